{{/* Labels every object carries; a component name adds app.kubernetes.io/name. */}}
{{- define "gpufleet.labels" -}}
app.kubernetes.io/part-of: gpufleet
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .name }}
app.kubernetes.io/name: {{ . }}
{{- end }}
{{- end }}

{{- define "gpufleet.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if eq $tag "latest" }}{{ fail "image.tag: give a version, not latest" }}{{ end -}}
{{- with .root.Values.image.registry -}}{{ trimSuffix "/" . }}/{{- end -}}
gpufleet/{{ .name }}:{{ $tag }}
{{- end }}

{{- define "gpufleet.clusterTokenSecret" -}}
{{ .Values.secrets.clusterToken.existingSecret | default "gpufleet-cluster-token" }}
{{- end }}

{{- define "gpufleet.hubTokensSecret" -}}
{{ .Values.secrets.hubTokens.existingSecret | default "gpufleet-hub-tokens" }}
{{- end }}

{{/* The Secret holding a service's database login: (dict "root" $ "role" "registry") */}}
{{- define "gpufleet.dbSecret" -}}
{{ (index .root.Values.postgres.roles .role).existingSecret | default (printf "gpufleet-db-%s" .role) }}
{{- end }}

{{/* The Secret with a service's Kafka login (key sasl.jaas.config), empty when it has none. */}}
{{- define "gpufleet.kafkaSecret" -}}
{{- if .root.Values.kafka.deploy -}}
{{ .user }}
{{- else -}}
{{ index .root.Values.kafka.external.credentialsSecrets .user | default "" }}
{{- end -}}
{{- end }}

{{- define "gpufleet.kafkaBootstrap" -}}
{{- if .Values.kafka.deploy -}}
{{ .Values.kafka.clusterName }}-kafka-bootstrap:9092
{{- else -}}
{{ required "kafka.external.bootstrapServers is required when kafka.deploy is false" .Values.kafka.external.bootstrapServers }}
{{- end -}}
{{- end }}

{{- define "gpufleet.postgresHostPort" -}}
{{- if .Values.postgres.deploy -}}
{{ .Values.postgres.clusterName }}-rw:5432
{{- else -}}
{{ required "postgres.external.host is required when postgres.deploy is false" .Values.postgres.external.host }}:{{ .Values.postgres.external.port }}
{{- end -}}
{{- end }}

{{- define "gpufleet.postgresDatabase" -}}
{{ ternary .Values.postgres.database .Values.postgres.external.database .Values.postgres.deploy }}
{{- end }}

{{/* Pod-level hardening shared by the services. */}}
{{- define "gpufleet.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 185
runAsGroup: 185
fsGroup: 185
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "gpufleet.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end }}

{{/* Startup, liveness and readiness on Quarkus' health endpoints, on the named port. */}}
{{- define "gpufleet.probes" -}}
startupProbe:
  httpGet:
    path: /q/health/started
    port: {{ . }}
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /q/health/live
    port: {{ . }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /q/health/ready
    port: {{ . }}
  periodSeconds: 5
  timeoutSeconds: 6
  failureThreshold: 3
{{- end }}

{{/* Environment every process gets: cluster token and Kafka login. (dict "root" $ "user" "<kafka user>") */}}
{{- define "gpufleet.commonEnv" -}}
- name: GPUFLEET_CLUSTER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.clusterTokenSecret" .root }}
      key: token
{{- with include "gpufleet.kafkaSecret" . }}
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: sasl.jaas.config
{{- end }}
{{- end }}

{{- define "gpufleet.hubTokenEnv" -}}
- name: {{ .prefix }}_HUGGINGFACE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.hubTokensSecret" .root }}
      key: huggingface
      optional: true
- name: {{ .prefix }}_MODELSCOPE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.hubTokensSecret" .root }}
      key: modelscope
      optional: true
{{- end }}
