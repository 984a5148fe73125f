#!/usr/bin/env bash
# Writes the chart's copies of what controller-gen generates (run by
# `make manifests`): the CRDs into dist/chart/templates/crd and the manager
# roles into dist/chart/templates/rbac/role.yaml, with the chart's labels,
# the release namespace and the bundle's name prefix; and of the long
# ValidatingAdmissionPolicy, config/policy/app-pods.yaml. test/chart compares the
# rendered chart with config/default, so a copy left stale fails the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
chart=dist/chart/templates

# A generated file with template braces would render wrong; refuse it.
for f in config/crd/bases/*.yaml config/rbac/role.yaml config/policy/app-pods.yaml; do
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

{
echo "# Generated from config/policy/app-pods.yaml by hack/chart-manifests.sh (make manifests); do not edit."
awk -v labels="$labels" '
	/^  name: app-pods$/ { print "  name: lightning-operator-app-pods"; print labels; next }
	/^  policyName: app-pods$/ { print "  policyName: lightning-operator-app-pods"; next }
	{ print }
' config/policy/app-pods.yaml
} > "$chart/policy/app-pods.yaml"
