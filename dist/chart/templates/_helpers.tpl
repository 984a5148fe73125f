{{/*
Names are fixed, not derived from the release: the operator's flags default to
them and its ClusterRole names the webhook configuration, so one cluster holds
one installation.
*/}}

{{/* Labels on every object, besides the ones config/ gives it. */}}
{{- define "chart.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "chart.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "chart.certManager" -}}
{{- if eq .Values.webhook.tls "cert-manager" }}true{{ else if ne .Values.webhook.tls "self" }}
{{- fail (printf "webhook.tls is self or cert-manager, not %q" .Values.webhook.tls) }}
{{- end }}
{{- end }}

{{/* The manager's files from values, mounted from one ConfigMap. */}}
{{- define "chart.config" -}}
{{- if .Values.computePresets }}
compute-presets.yaml: |
  {{- toYaml .Values.computePresets | nindent 2 }}
{{- end }}
{{- if .Values.defaultRecipients }}
recipients.pem: |
  {{- .Values.defaultRecipients | trim | nindent 2 }}
{{- end }}
{{- end }}

{{/*
watchNamespaces, checked as the manager checks --watch-namespaces, sorted (as
the leader writes the webhook's In requirement) and joined with commas.
Empty: every namespace.
*/}}
{{- define "chart.watchNamespaces" -}}
{{- $list := .Values.watchNamespaces | default list }}
{{- if not (kindIs "slice" $list) }}
{{- fail (printf "watchNamespaces is a list, like [team-a, team-b] (--set 'watchNamespaces={team-a,team-b}'), not %q" (toString $list)) }}
{{- end }}
{{- $names := list }}
{{- range $list }}
{{- $ns := toString . }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $ns) }}
{{- fail (printf "watchNamespaces: %q is not a namespace name (lower-case letters, digits and '-', at most 63)" $ns) }}
{{- else if eq $ns $.Release.Namespace }}
{{- fail (printf "watchNamespaces: %s is the release namespace, the operator's own, where no app runs; list only the apps' namespaces" $ns) }}
{{- else if eq $ns "kube-system" }}
{{- fail "watchNamespaces: kube-system is never served by the pod webhook, so no app runs there; list only the apps' namespaces" }}
{{- else if has $ns $names }}
{{- fail (printf "watchNamespaces: %s is listed twice" $ns) }}
{{- end }}
{{- $names = append $names $ns }}
{{- end }}
{{- $names | sortAlpha | join "," }}
{{- end }}
