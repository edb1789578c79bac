{{/* Chart name, shortened to fit a label value. */}}
{{- define "webapp-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. Suffixes up to "-metrics" (8 characters) are added to it, so it
stays within 55 characters to keep every name a valid DNS label.
*/}}
{{- define "webapp-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "webapp-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object of the chart carries. */}}
{{- define "webapp-operator.labels" -}}
helm.sh/chart: {{ include "webapp-operator.chart" . }}
{{ include "webapp-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: webapp-operator
{{- end }}

{{/* The operator pods' labels; a Deployment's selector can never change, so keep these two. */}}
{{- define "webapp-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "webapp-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "webapp-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "webapp-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "webapp-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The operator's rules: exactly the API calls of `webapp-operator run` (src/controller, src/kube), no
more. WebApps are read from watch caches (list, watch; never get); their status is written through
the status subresource (patch). Children are watched filtered by the managed-by label (list,
watch; never get: a namesake made by someone else is refused by the API server itself, which the
operator reads from the refusal), created and updated by server-side apply (patch, which also
creates), and pruned (delete; for migration Jobs, the history beyond the last few). The tiers' pods are watched by the same label (list, watch; never
written), so a container that cannot run is named in the WebApp's status within seconds. Events are
created, and repeats folded into one Event (patch). No
Secrets, no CRD writes, no webapps/scale: users and autoscalers scale WebApps, the operator never does.
*/}}
{{- define "webapp-operator.operatorRules" -}}
- apiGroups: ["webapp-operator.dev"]
  resources: ["webapps"]
  verbs: ["list", "watch"]
- apiGroups: ["webapp-operator.dev"]
  resources: ["webapps/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  resources: ["configmaps", "persistentvolumeclaims", "services"]
  verbs: ["delete", "list", "patch", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["delete", "list", "patch", "watch"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["delete", "list", "patch", "watch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["delete", "list", "patch", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["delete", "list", "patch", "watch"]
{{- /* Gateway API routes: used only where the Gateway API CRDs are installed (the operator finds them through discovery). */}}
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["delete", "list", "patch", "watch"]
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["delete", "list", "patch", "watch"]
{{- end }}

{{/* The Lease the replicas elect a leader with, in the release namespace. */}}
{{- define "webapp-operator.leaseName" -}}
webapp-operator-leader
{{- end }}
