#!/usr/bin/env bash
# Puts hack/boilerplate.go.txt at the top of every Go file of the project
# that lacks it (TestGoFilesCarryTheLicenceHeader checks them all).
set -euo pipefail
cd "$(dirname "$0")/.."
header=hack/boilerplate.go.txt
git ls-files --cached --others --exclude-standard -- '*.go' | while read -r f; do
	case "$f" in */testdata/*) continue ;; esac
	head -c 200 "$f" | grep -q 'Copyright .* The lightning-operator Authors' && continue
	# A build constraint must stay first; such a file needs the header by hand.
	if head -1 "$f" | grep -q '^//go:build'; then echo "$f: starts with a build constraint; add the header after it by hand" >&2; continue; fi
	{ cat "$header"; echo; cat "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
done
