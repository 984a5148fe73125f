#!/usr/bin/env bash
# Writes the chart's copies of what controller-gen generates (run by
# `make manifests`): the CRDs into dist/chart/templates/crd and the manager
# roles into dist/chart/templates/rbac/role.yaml, with the chart's labels,
# the release namespace and the bundle's name prefix; and of the long
# ValidatingAdmissionPolicies, config/policy/*.yaml. test/chart compares the
# rendered chart with config/default, so a copy left stale fails the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
chart=dist/chart/templates

# A generated file with template braces would render wrong; refuse it.
policies=$(ls config/policy/*.yaml | grep -v '/kustomi[sz]')
for f in config/crd/bases/*.yaml config/rbac/role.yaml $policies; do
	if grep -q '{{\|}}' "$f"; then echo "$f has template braces; escape them for the chart" >&2; exit 1; fi
done

labels='  labels:
    {{- include "chart.labels" . | nindent 4 }}'

rm -f "$chart"/crd/*.yaml
for f in config/crd/bases/*.yaml; do
	{
		echo "# Generated from $f by hack/chart-manifests.sh (make manifests); do not edit."
		echo '{{- if .Values.crd.enable }}'
		awk -v labels="$labels" '
			/^---$/ { next }
			{ print }
			/^metadata:$/ { print labels }
			/^  annotations:$/ { print "    {{- if .Values.crd.keep }}\n    helm.sh/resource-policy: keep\n    {{- end }}" }
		' "$f"
		echo '{{- end }}'
	} > "$chart/crd/$(basename "$f")"
done

{
echo "# Generated from config/rbac/role.yaml by hack/chart-manifests.sh (make manifests); do not edit."
awk -v labels="$labels" '
	/^  name: manager-role$/ { print "  name: lightning-operator-manager-role"; next }
	/^  namespace: system$/ { print "  namespace: {{ .Release.Namespace }}"; next }
	{ print }
	/^metadata:$/ { print labels }
' config/rbac/role.yaml
} > "$chart/rbac/role.yaml"

# Each policy and its binding get the bundle's name prefix and the chart's labels.
rm -f "$chart"/policy/*.yaml
for f in $policies; do
	{
		echo "# Generated from $f by hack/chart-manifests.sh (make manifests); do not edit."
		awk -v labels="$labels" '
			/^metadata:$/ { meta = 1 }
			meta && /^  name: / { print "  name: lightning-operator-" $2; print labels; meta = 0; next }
			/^  policyName: / { print "  policyName: lightning-operator-" $2; next }
			{ print }
		' "$f"
	} > "$chart/policy/$(basename "$f")"
done
