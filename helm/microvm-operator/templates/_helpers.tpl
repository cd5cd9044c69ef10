{{/* The chart's name, or nameOverride. */}}
{{- define "microvm-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's resource names: fullnameOverride, or the release name (with the chart's name unless it contains it). */}}
{{- define "microvm-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "microvm-operator.serviceAccountName" -}}
{{- default (include "microvm-operator.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "microvm-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "microvm-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* A Deployment's pods: the release's selector labels for the operator that keeps what no shard
has (unchanged since the first chart: a Deployment's selector cannot change), their own for each
shard (root: the chart's context, shard: the shard's name or ""). */}}
{{- define "microvm-operator.podSelectorLabels" -}}
{{- if .shard }}
app.kubernetes.io/name: {{ include "microvm-operator.name" .root }}-shard
app.kubernetes.io/instance: {{ .root.Release.Name }}
microvm-operator.io/shard: {{ .shard }}
{{- else }}
{{- include "microvm-operator.selectorLabels" .root }}
{{- end }}
{{- end }}

{{/* Every operator pod of the release, shards included: what the metrics Service and PodMonitor select. */}}
{{- define "microvm-operator.allPodsLabels" -}}
app.kubernetes.io/part-of: microvm-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "microvm-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "microvm-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}


{{/* The image: repository@digest when a digest is set (the tag is then ignored), else repository:tag. */}}
{{- define "microvm-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* What templates/crds.yaml adds to each CRD's metadata: lines indented under metadata:, each after a newline. */}}
{{- define "microvm-operator.crdMetadata" }}
  labels:
    {{- include "microvm-operator.labels" . | nindent 4 }}
{{- if .Values.crds.keep }}
  annotations:
    # helm uninstall leaves the CRDs, and so every MicroVM and MicroVMHost, in place.
    helm.sh/resource-policy: keep
{{- end }}
{{- end }}
