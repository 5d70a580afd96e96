{{/* Name of every namespaced object and of the ClusterRole: <release>-ors-operator. */}}
{{- define "ors-operator.fullname" -}}
{{- printf "%s-ors-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ors-operator.selectorLabels" -}}
app.kubernetes.io/name: ors-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ors-operator.labels" -}}
{{ include "ors-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ors-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ors-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
