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

{{- define "gpufleet.backendKeySecret" -}}
{{ .Values.secrets.backendKeySecret.existingSecret | default "gpufleet-backend-key-secret" }}
{{- end }}

{{- define "gpufleet.metricsTokenSecret" -}}
{{ .Values.secrets.metricsToken.existingSecret | default "gpufleet-metrics-token" }}
{{- end }}

{{/* The Secret with the first admin's API key (key `key`), empty when there is none. */}}
{{- define "gpufleet.adminApiKeySecret" -}}
{{- if .Values.secrets.adminApiKey.existingSecret -}}
{{ .Values.secrets.adminApiKey.existingSecret }}
{{- else if .Values.secrets.adminApiKey.generate -}}
gpufleet-admin-api-key
{{- end -}}
{{- end }}

{{/* metadata of a Secret the chart generates, but its name: a pre-install hook unless secrets.asInstallHook is false. */}}
{{- define "gpufleet.generatedSecretMeta" -}}
namespace: {{ .Release.Namespace }}
labels:
  {{- include "gpufleet.labels" (dict "root" .) | nindent 2 }}
{{- if .Values.secrets.asInstallHook }}
annotations:
  helm.sh/hook: pre-install
  helm.sh/hook-weight: "-10"
{{- end }}
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
{{ .Values.kafka.clusterName }}-kafka-bootstrap:{{ ternary 9093 9092 .Values.kafka.tls }}
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

{{/* How the clients reach Kafka: SCRAM, over TLS when kafka.tls; as configured for a Kafka of your own. */}}
{{- define "gpufleet.kafkaProtocol" -}}
{{- if .Values.kafka.deploy -}}
{{ ternary "SASL_SSL" "SASL_PLAINTEXT" .Values.kafka.tls }}
{{- else -}}
{{ .Values.kafka.external.securityProtocol }}
{{- end -}}
{{- end }}

{{/* The Secret (key ca.crt) whose CA the clients trust for Kafka's TLS; empty: none to mount. */}}
{{- define "gpufleet.kafkaCaSecret" -}}
{{- if and .Values.kafka.deploy .Values.kafka.tls -}}
{{ .Values.kafka.clusterName }}-cluster-ca-cert
{{- else if not .Values.kafka.deploy -}}
{{ .Values.kafka.external.caSecret }}
{{- end -}}
{{- end }}

{{/* The Secret (key ca.crt) whose CA the services trust for PostgreSQL's TLS; empty without postgres.tls. */}}
{{- define "gpufleet.postgresCaSecret" -}}
{{- if .Values.postgres.tls -}}
{{- if .Values.postgres.deploy -}}
{{ .Values.postgres.clusterName }}-ca
{{- else -}}
{{ required "postgres.external.caSecret is required when postgres.tls is true and postgres.deploy is false" .Values.postgres.external.caSecret }}
{{- end -}}
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

{{/*
Environment every process gets: the service token, the metrics token (each with its optional key `previous`, the
second accepted value during a rotation), the Kafka login and the management port (metrics).
(dict "root" $ "user" "<kafka user>" "port" <management port>)
*/}}
{{- define "gpufleet.commonEnv" -}}
- name: GPUFLEET_CLUSTER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.clusterTokenSecret" .root }}
      key: token
- name: GPUFLEET_CLUSTER_TOKEN_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.clusterTokenSecret" .root }}
      key: previous
      optional: true
- name: GPUFLEET_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.metricsTokenSecret" .root }}
      key: token
- name: GPUFLEET_METRICS_TOKEN_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.metricsTokenSecret" .root }}
      key: previous
      optional: true
- name: QUARKUS_MANAGEMENT_PORT
  value: {{ .port | quote }}
{{- with .root.Values.observability }}
{{- if .otlpEndpoint }}
- name: QUARKUS_OTEL_SDK_DISABLED
  value: "false"
- name: QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .otlpEndpoint | quote }}
- name: QUARKUS_OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .otlpProtocol | quote }}
{{- end }}
{{- if .jsonLogs }}
- name: QUARKUS_LOG_CONSOLE_JSON_ENABLED
  value: "true"
{{- end }}
{{- end }}
{{- with include "gpufleet.kafkaSecret" . }}
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: sasl.jaas.config
{{- end }}
{{- end }}

{{/* The backend-key secret (and its optional key `previous` during a rotation): the gateway and the agents only. */}}
{{- define "gpufleet.backendKeyEnv" -}}
- name: GPUFLEET_BACKEND_KEY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.backendKeySecret" . }}
      key: secret
- name: GPUFLEET_BACKEND_KEY_SECRET_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "gpufleet.backendKeySecret" . }}
      key: previous
      optional: true
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
