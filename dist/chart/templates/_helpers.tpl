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
