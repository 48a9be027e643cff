{{/* Names are cut to 63 characters: label values and DNS names allow no more. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
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

{{/* "<fullname>-<component>", leaving room for the component suffix. */}}
{{- define "sluice.componentName" -}}
{{- printf "%s-%s" (include "sluice.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* Labels of one component (root, component). */}}
{{- define "sluice.componentLabels" -}}
{{ include "sluice.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels never change between releases: Deployment selectors are immutable. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Topic and mirror naming. Each helper mirrors one function of the topology module
(src/stream-config/topology.ts), and test/helm/topology.test.ts renders the chart and checks
them against it.
*/}}

{{/* The topic prefix of a datacenter: "eqiad" → "eqiad." (datacenterPrefix). */}}
{{- define "sluice.datacenterPrefix" -}}
{{- printf "%s." . }}
{{- end }}

{{/* topicPrefix wins, also when ""; null derives "<datacenter>." from the datacenter. */}}
{{- define "sluice.topicPrefix" -}}
{{- if kindIs "string" .Values.topicPrefix }}
{{- .Values.topicPrefix }}
{{- else if .Values.datacenter }}
{{- include "sluice.datacenterPrefix" .Values.datacenter }}
{{- end }}
{{- end }}

{{/*
Every service's legacy_topics_home: the prefix of legacyTopicsDatacenter (this release's own
prefix when it is this datacenter); empty when unset, leaving each service its own.
*/}}
{{- define "sluice.legacyTopicsHome" -}}
{{- with .Values.legacyTopicsDatacenter }}
{{- if eq . $.Values.datacenter }}
{{- include "sluice.topicPrefix" $ }}
{{- else }}
{{- include "sluice.datacenterPrefix" . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The topics MirrorMaker 2 copies out of a datacenter (mirrorTopicsPattern), a Java regex matched
against the whole name: "<datacenter>\..*", and the bare legacy names when it is the legacy
home. Takes (datacenter, legacy); datacenter names need no escaping.
*/}}
{{- define "sluice.mirrorTopicsPattern" -}}
{{- $own := printf "%s\\..*" .datacenter }}
{{- if eq .datacenter .legacy }}
{{- printf "%s|eventlogging_.*" $own }}
{{- else }}
{{- $own }}
{{- end }}
{{- end }}

{{- define "sluice.clientId" -}}
{{- if .root.Values.datacenter }}
{{- printf "sluice-%s-%s" .component .root.Values.datacenter }}
{{- else }}
{{- printf "sluice-%s" .component }}
{{- end }}
{{- end }}

{{/* Where the containers find their mounted files. */}}
{{- define "sluice.paths" -}}
config: /etc/sluice/config
streamConfig: /etc/sluice/stream-config
rules: /etc/sluice/rules
schemaRepo: /srv/schema-repo
cache: /var/cache/sluice
{{- end }}

{{/*
The gateway's config file. The chart sets what it owns (port, prefix, brokers, mounted paths,
shutdown budget); gateway.config adds or overrides the rest.
*/}}
{{- define "sluice.gatewayConfig" -}}
{{- $paths := include "sluice.paths" . | fromYaml }}
{{- $g := .Values.gateway }}
{{- $config := dict
  "service_name" "sluice-gateway"
  "port" (int $g.port)
  "listen_address" "0.0.0.0"
  "log_level" .Values.logLevel
  "topic_prefix" (include "sluice.topicPrefix" .)
  "kafka" (merge (dict "brokers" .Values.kafka.brokers "client_id" (include "sluice.clientId" (dict "root" . "component" "gateway")) "compression" .Values.kafka.compression) (include "sluice.kafkaSecurityConfig" (dict "root" . "component" "gateway") | fromYaml))
  "shutdown_grace_ms" (int (sub (mul (sub $g.terminationGracePeriodSeconds $g.preStopSleepSeconds) 1000) 500))
}}
{{- with include "sluice.legacyTopicsHome" . }}
{{- $_ := set $config "legacy_topics_home" . }}
{{- end }}
{{- if eq .Values.schemas.source "image" }}
{{- $_ := set $config "schema_base_uris" (list "file:///app/schemas/") }}
{{- else if eq .Values.schemas.source "git" }}
{{- $_ := set $config "schema_base_uris" (list) }}
{{- $_ := set $config "schema_git" (dict
  "repository" .Values.schemas.git.repository
  "ref" .Values.schemas.git.ref
  "path" .Values.schemas.git.path
  "poll_interval_ms" (int (mul .Values.schemas.git.pollIntervalSeconds 1000))
  "cache_dir" (printf "%s/schema-git" $paths.cache)) }}
{{- else }}
{{- $checkout := printf "%s/current" $paths.schemaRepo }}
{{- with trimAll "/" .Values.schemas.git.path }}{{ $checkout = printf "%s/%s" $checkout . }}{{ end }}
{{- $_ := set $config "schema_base_uris" (list (printf "file://%s/" $checkout)) }}
{{- end }}
{{- if .Values.streamConfig.uri }}
{{- $_ := set $config "stream_config_uri" .Values.streamConfig.uri }}
{{- else if .Values.streamConfig.files }}
{{- $_ := set $config "stream_config_uri" $paths.streamConfig }}
{{- else }}
{{- $_ := set $config "stream_config_uri" "/app/stream-config" }}
{{- end }}
{{- $merged := mergeOverwrite $config (deepCopy $g.config) }}
{{- toYaml $merged }}
{{- end }}

{{/*
Change propagation's config file. On SIGTERM it waits shutdown_timeout_ms for in-flight events,
then leaves the rest uncommitted for the next consumer; that wait ends 3 s before the kill.
*/}}
{{- define "sluice.changepropConfig" -}}
{{- $paths := include "sluice.paths" . | fromYaml }}
{{- $c := .Values.changeprop }}
{{- $config := dict
  "service_name" "sluice-changeprop"
  "port" (int $c.port)
  "log_level" .Values.logLevel
  "topic_prefix" (include "sluice.topicPrefix" .)
  "kafka" (merge (dict "brokers" .Values.kafka.brokers "client_id" (include "sluice.clientId" (dict "root" . "component" "changeprop")) "compression" .Values.kafka.compression) (include "sluice.kafkaSecurityConfig" (dict "root" . "component" "changeprop") | fromYaml))
  "listen_address" "0.0.0.0"
  "concurrency" (int $c.concurrency)
  "rules_dir" $paths.rules
  "shutdown_timeout_ms" (int (mul (sub $c.terminationGracePeriodSeconds 3) 1000))
}}
{{- with include "sluice.legacyTopicsHome" . }}
{{- $_ := set $config "legacy_topics_home" . }}
{{- end }}
{{- $merged := mergeOverwrite $config (deepCopy $c.config) }}
{{- toYaml $merged }}
{{- end }}

{{/*
The stream service's config file. Every stream is read from the topics of every datacenter
(stream_config_defaults.topic_prefixes); on SIGTERM it ends its open streams within
shutdown_grace_ms, which ends 1 s before the kill.
*/}}
{{- define "sluice.streamsConfig" -}}
{{- $s := .Values.streams }}
{{- $paths := include "sluice.paths" . | fromYaml }}
{{- $config := dict
  "service_name" "sluice-streams"
  "port" (int $s.port)
  "listen_address" "0.0.0.0"
  "log_level" .Values.logLevel
  "kafka" (merge (dict "brokers" .Values.kafka.brokers "client_id" (include "sluice.clientId" (dict "root" . "component" "streams"))) (include "sluice.kafkaSecurityConfig" (dict "root" . "component" "streams") | fromYaml))
  "shutdown_grace_ms" (int (mul (sub (sub $s.terminationGracePeriodSeconds $s.preStopSleepSeconds) 1) 1000))
}}
{{- if .Values.streamConfig.uri }}
{{- $_ := set $config "stream_config_uri" .Values.streamConfig.uri }}
{{- else if .Values.streamConfig.files }}
{{- $_ := set $config "stream_config_uri" $paths.streamConfig }}
{{- else }}
{{- $_ := set $config "stream_config_uri" "/app/stream-config" }}
{{- end }}
{{- $prefixes := include "sluice.streamsTopicPrefixes" . | fromYamlArray }}
{{- if $prefixes }}
{{- $_ := set $config "stream_config_defaults" (dict "topic_prefixes" $prefixes) }}
{{- end }}
{{- with include "sluice.legacyTopicsHome" . }}
{{- $_ := set $config "legacy_topics_home" . }}
{{- end }}
{{- $merged := mergeOverwrite $config (deepCopy $s.config) }}
{{- toYaml $merged }}
{{- end }}

{{/*
The topic prefixes the stream service reads every stream from: streams.topicPrefixes, or this
release's own prefix alone; none at all when topics are not prefixed.
*/}}
{{- define "sluice.streamsTopicPrefixes" -}}
{{- if .Values.streams.topicPrefixes }}
{{- toYaml .Values.streams.topicPrefixes }}
{{- else if include "sluice.topicPrefix" . }}
{{- toYaml (list (include "sluice.topicPrefix" .)) }}
{{- else }}
{{- toYaml (list) }}
{{- end }}
{{- end }}

{{/*
Refuses stream-service timings that leave no time to end the open streams: after the preStop
sleep the service needs at least 1 s of shutdown_grace_ms and 1 s before SIGKILL.
*/}}
{{- define "sluice.checkStreamsShutdownTiming" -}}
{{- $s := .Values.streams }}
{{- if lt (int (sub $s.terminationGracePeriodSeconds $s.preStopSleepSeconds)) 2 }}
{{- fail (printf "streams: terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds (%d) + 2; the open streams need time to end after SIGTERM" (int $s.terminationGracePeriodSeconds) (int $s.preStopSleepSeconds)) }}
{{- end }}
{{- end }}

{{/* The stream-config directory: one file per key of streamConfig.files. */}}
{{- define "sluice.streamConfigFiles" -}}
{{- range $file, $streams := .Values.streamConfig.files }}
{{ $file }}: |
{{- toYaml $streams | nindent 2 }}
{{- end }}
{{- end }}

{{/* The rules directory: one file per rule, holding a mapping of its name to the rule. */}}
{{- define "sluice.ruleFiles" -}}
{{- range $name, $rule := .Values.changeprop.rules }}
{{ $name }}.yaml: |
{{- toYaml (dict $name $rule) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Refuses shutdown timings that drop requests: after SIGTERM the gateway needs longer than one
produce timeout to finish in-flight requests, and Kubernetes must be done before the clients
give up, or a client sees a timeout for an event that was in fact written.
*/}}
{{- define "sluice.checkShutdownTiming" -}}
{{- $g := .Values.gateway }}
{{- $produceTimeoutMs := 5000 }}
{{- with $g.config.kafka }}{{ with .produce_timeout_ms }}{{ $produceTimeoutMs = int . }}{{ end }}{{ end }}
{{- $afterSigtermMs := mul (sub $g.terminationGracePeriodSeconds $g.preStopSleepSeconds) 1000 }}
{{- if le (int $afterSigtermMs) $produceTimeoutMs }}
{{- fail (printf "gateway: terminationGracePeriodSeconds (%d) - preStopSleepSeconds (%d) leaves %d ms after SIGTERM, not more than the producer timeout (%d ms); in-flight requests would be cut off" (int $g.terminationGracePeriodSeconds) (int $g.preStopSleepSeconds) (int $afterSigtermMs) $produceTimeoutMs) }}
{{- end }}
{{- if ge (int $g.terminationGracePeriodSeconds) (int $g.clientTimeoutSeconds) }}
{{- fail (printf "gateway: terminationGracePeriodSeconds (%d) must be shorter than clientTimeoutSeconds (%d)" (int $g.terminationGracePeriodSeconds) (int $g.clientTimeoutSeconds)) }}
{{- end }}
{{- end }}

{{/* topologySpreadConstraints, each without labelSelector getting the component's selector. */}}
{{- define "sluice.topologySpreadConstraints" -}}
{{- $root := .root }}
{{- $component := .component }}
{{- range .constraints }}
{{- $constraint := deepCopy . }}
{{- if not (hasKey $constraint "labelSelector") }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "sluice.selectorLabels" (dict "root" $root "component" $component) | fromYaml)) }}
{{- end }}
- {{ toYaml $constraint | nindent 2 | trim }}
{{- end }}
{{- end }}

{{/* git-sync keeps <schemaRepo>/current pointing at the latest checkout of schemas.git.ref. */}}
{{- define "sluice.gitSyncContainer" -}}
{{- $root := .root }}
{{- $paths := include "sluice.paths" $root | fromYaml }}
{{- $git := $root.Values.schemas.git }}
{{- $gitSync := $root.Values.schemas.gitSync }}
- name: {{ .name }}
  image: {{ printf "%s:%s" $gitSync.image.repository $gitSync.image.tag }}
  imagePullPolicy: {{ $gitSync.image.pullPolicy }}
  args:
    - --repo={{ $git.repository }}
    - --ref={{ $git.ref }}
    - --root={{ $paths.schemaRepo }}
    - --link=current
    - --depth=1
    {{- if .oneTime }}
    - --one-time
    {{- else }}
    - --period={{ $git.pollIntervalSeconds }}s
    {{- end }}
  env:
    - name: HOME
      value: /tmp
  resources:
    {{- toYaml $gitSync.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: schema-repo
      mountPath: {{ $paths.schemaRepo }}
    - name: tmp
      mountPath: /tmp
{{- end }}

{{- define "sluice.hpa" -}}
{{- $component := dict "root" .root "component" .component }}
{{- if gt (int .autoscaling.minReplicas) (int .autoscaling.maxReplicas) }}
{{- fail (printf "%s.autoscaling: minReplicas (%d) is greater than maxReplicas (%d)" .component (int .autoscaling.minReplicas) (int .autoscaling.maxReplicas)) }}
{{- end }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "sluice.componentName" $component }}
  labels:
    {{- include "sluice.componentLabels" $component | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "sluice.componentName" $component }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    # Traffic comes in bursts (deploys, bot runs); scale down slowly so a burst does not flap.
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end }}

{{- define "sluice.pdb" -}}
{{- $component := dict "root" .root "component" .component }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "sluice.componentName" $component }}
  labels:
    {{- include "sluice.componentLabels" $component | nindent 4 }}
spec:
  {{- if hasKey .budget "minAvailable" }}
  minAvailable: {{ .budget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .budget.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "sluice.selectorLabels" $component | nindent 6 }}
{{- end }}

{{/*
Refuses mirror values that cannot work: the target alias is this release's datacenter, and each
source is another datacenter, listed once (its alias names its topics' prefix).
*/}}
{{- define "sluice.checkMirror" -}}
{{- $m := .Values.mirror }}
{{- if not .Values.datacenter }}
{{- fail "mirror: datacenter must be set; it is the alias of the target cluster and the prefix no source may copy" }}
{{- end }}
{{- if not .Values.legacyTopicsDatacenter }}
{{- fail "mirror: legacyTopicsDatacenter must be set, the same in every datacenter: it names the one cluster owning the bare topics of legacy eventlogging_* streams, which only its mirror copies" }}
{{- end }}
{{- $legacyReachable := eq .Values.legacyTopicsDatacenter .Values.datacenter }}
{{- $seen := dict }}
{{- range $m.sources }}
{{- if eq .datacenter $.Values.legacyTopicsDatacenter }}{{ $legacyReachable = true }}{{ end }}
{{- if eq .datacenter $.Values.datacenter }}
{{- fail (printf "mirror.sources: %s is this release's datacenter; a datacenter mirrors only the others' topics into its own cluster" .datacenter) }}
{{- end }}
{{- if hasKey $seen .datacenter }}
{{- fail (printf "mirror.sources: %s is listed twice" .datacenter) }}
{{- end }}
{{- $_ := set $seen .datacenter true }}
{{- end }}
{{- if not $legacyReachable }}
{{- fail (printf "mirror: legacyTopicsDatacenter (%s) is neither this datacenter nor one of mirror.sources; its legacy topics would never reach this cluster" .Values.legacyTopicsDatacenter) }}
{{- end }}
{{- end }}

{{/*
`sluice canary`'s config file. With the gateway in this release the stream config and the schemas
are read from it (GET /v1/streams, /schemas/), so the canaries are built from what it accepts; its
Service is also the one gateway posted to unless canary.gateways lists others.
*/}}
{{- define "sluice.canaryConfig" -}}
{{- $c := .Values.canary }}
{{- $gatewayUrl := printf "http://%s:%d" (include "sluice.componentName" (dict "root" . "component" "gateway")) (int .Values.gateway.service.port) }}
{{- $config := dict }}
{{- if .Values.gateway.enabled }}
{{- $_ := set $config "stream_config_uri" (printf "%s/v1/streams" $gatewayUrl) }}
{{- $_ := set $config "schema_base_uris" (list (printf "%s/schemas/" $gatewayUrl)) }}
{{- else }}
{{- $_ := set $config "stream_config_uri" (default "/app/stream-config" .Values.streamConfig.uri) }}
{{- $_ := set $config "schema_base_uris" (list "file:///app/schemas/") }}
{{- end }}
{{- if $c.gateways }}
{{- $_ := set $config "gateways" $c.gateways }}
{{- else }}
{{- $_ := set $config "gateways" (dict .Values.datacenter (list (printf "%s/v1/events" $gatewayUrl))) }}
{{- end }}
{{- if $c.pushgateway.url }}
{{- $_ := set $config "pushgateway" (dict "url" $c.pushgateway.url "grouping" (dict "namespace" .Release.Namespace)) }}
{{- end }}
{{- $merged := mergeOverwrite $config (deepCopy $c.config) }}
{{- toYaml $merged }}
{{- end }}

{{/* Refuses a canary CronJob with nowhere to post: without canary.gateways it posts to this release's gateway, named by datacenter. */}}
{{- define "sluice.checkCanary" -}}
{{- $c := .Values.canary }}
{{- if not $c.gateways }}
{{- if not .Values.gateway.enabled }}
{{- fail "canary: list canary.gateways; without them the canaries go to this release's gateway, which is disabled" }}
{{- end }}
{{- if not .Values.datacenter }}
{{- fail "canary: datacenter must be set (it names the datacenter of this release's gateway in the canary metrics), or list canary.gateways" }}
{{- end }}
{{- end }}
{{- end }}
