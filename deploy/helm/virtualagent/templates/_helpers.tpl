{{/* Names, labels and the shared pod bits of every VirtualAgent workload. */}}

{{- define "virtualagent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "virtualagent.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "virtualagent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "virtualagent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels for one component: call with (dict "ctx" $ "component" "web"). */}}
{{- define "virtualagent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "virtualagent.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "virtualagent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "virtualagent.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "virtualagent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "virtualagent.secretName" -}}
{{- default (printf "%s-secrets" (include "virtualagent.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Settings: the ConfigMap, then the Secret (same names as core/config.py). */}}
{{- define "virtualagent.envFrom" -}}
- configMapRef:
    name: {{ include "virtualagent.fullname" . }}-config
- secretRef:
    name: {{ include "virtualagent.secretName" . }}
{{- end -}}
