{{/*
Reaching a secured Kafka cluster. kafka.tls and kafka.sasl name Kubernetes Secrets; each
component mounts the keys it needs as files under /etc/sluice/kafka (one projected volume) and
its config points kafka.ssl and kafka.sasl at them. A component's own <component>.kafka.tls and
<component>.kafka.sasl (e.g. a KafkaUser of its own) are merged over the release's.
*/}}

{{- define "sluice.kafkaSecretsDir" -}}
/etc/sluice/kafka
{{- end }}

{{/* The TLS and SASL values of one component (root, component): the release's, with the component's own merged over them. */}}
{{- define "sluice.kafkaAccess" -}}
{{- $values := index .root.Values .component | default dict }}
{{- $own := (index $values "kafka") | default dict }}
{{- $ownTls := $own.tls | default dict }}
{{- $tls := mergeOverwrite (deepCopy .root.Values.kafka.tls) (deepCopy $ownTls) }}
{{- /* mergeOverwrite keeps true over false: the component's booleans are set as given. */}}
{{- range $key := list "enabled" "verify" }}{{ if hasKey $ownTls $key }}{{ $_ := set $tls $key (index $ownTls $key) }}{{ end }}{{ end }}
{{- $sasl := mergeOverwrite (deepCopy .root.Values.kafka.sasl) (deepCopy ($own.sasl | default dict)) }}
{{- include "sluice.checkKafkaAccess" (dict "where" .component "tls" $tls "sasl" $sasl) }}
{{- toYaml (dict "tls" $tls "sasl" $sasl) }}
{{- end }}

{{/* The shape of kafka.tls and kafka.sasl with nothing set: what a mirror source's own tls / sasl are merged over. */}}
{{- define "sluice.kafkaAccessDefaults" -}}
tls:
  enabled: false
  caSecret: {name: "", key: ca.crt}
  clientCertSecret: {name: "", certKey: user.crt, keyKey: user.key, passphraseKey: ""}
  serverName: ""
  verify: true
sasl:
  mechanism: ""
  username: ""
  passwordSecret: {name: "", key: password}
  tokenSecret: {name: "", key: token}
{{- end }}

{{/* Refuses values that cannot work: a mechanism without its secret, a client certificate without TLS. */}}
{{- define "sluice.checkKafkaAccess" -}}
{{- $sasl := .sasl }}
{{- if and $sasl.mechanism (ne $sasl.mechanism "OAUTHBEARER") }}
{{- if or (not $sasl.username) (not $sasl.passwordSecret.name) }}
{{- fail (printf "%s: kafka.sasl.mechanism %s needs kafka.sasl.username and kafka.sasl.passwordSecret.name" .where $sasl.mechanism) }}
{{- end }}
{{- end }}
{{- if and (eq ($sasl.mechanism | default "") "OAUTHBEARER") (not $sasl.tokenSecret.name) }}
{{- fail (printf "%s: kafka.sasl.mechanism OAUTHBEARER needs kafka.sasl.tokenSecret.name" .where) }}
{{- end }}
{{- if and (not .tls.enabled) (or .tls.caSecret.name .tls.clientCertSecret.name) }}
{{- fail (printf "%s: kafka.tls names Secrets but kafka.tls.enabled is false" .where) }}
{{- end }}
{{- end }}

{{/* kafka.ssl and kafka.sasl of a component's config file, pointing at the mounted files. */}}
{{- define "sluice.kafkaSecurityConfig" -}}
{{- $access := include "sluice.kafkaAccess" . | fromYaml }}
{{- $dir := include "sluice.kafkaSecretsDir" . }}
{{- $config := dict }}
{{- $tls := $access.tls }}
{{- if $tls.enabled }}
{{- $ssl := dict "verify" $tls.verify }}
{{- if $tls.caSecret.name }}{{ $_ := set $ssl "ca_file" (printf "%s/ca.crt" $dir) }}{{ end }}
{{- if $tls.clientCertSecret.name }}
{{- $_ := set $ssl "cert_file" (printf "%s/client.crt" $dir) }}
{{- $_ := set $ssl "key_file" (printf "%s/client.key" $dir) }}
{{- if $tls.clientCertSecret.passphraseKey }}{{ $_ := set $ssl "key_passphrase_file" (printf "%s/client.key-passphrase" $dir) }}{{ end }}
{{- end }}
{{- with $tls.serverName }}{{ $_ := set $ssl "server_name" . }}{{ end }}
{{- $_ := set $config "ssl" $ssl }}
{{- end }}
{{- $sasl := $access.sasl }}
{{- if eq ($sasl.mechanism | default "") "OAUTHBEARER" }}
{{- $_ := set $config "sasl" (dict "mechanism" "OAUTHBEARER" "token_file" (printf "%s/sasl-token" $dir)) }}
{{- else if $sasl.mechanism }}
{{- $_ := set $config "sasl" (dict "mechanism" $sasl.mechanism "username" $sasl.username "password_file" (printf "%s/sasl-password" $dir)) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* The projected volume of a component's Kafka Secrets (nothing when it needs none). */}}
{{- define "sluice.kafkaSecretsVolume" -}}
{{- $access := include "sluice.kafkaAccess" . | fromYaml }}
{{- $sources := list }}
{{- $tls := $access.tls }}
{{- if $tls.enabled }}
{{- with $tls.caSecret }}{{ if .name }}{{ $sources = append $sources (dict "secret" (dict "name" .name "items" (list (dict "key" .key "path" "ca.crt")))) }}{{ end }}{{ end }}
{{- with $tls.clientCertSecret }}
{{- if .name }}
{{- $items := list (dict "key" .certKey "path" "client.crt") (dict "key" .keyKey "path" "client.key") }}
{{- if .passphraseKey }}{{ $items = append $items (dict "key" .passphraseKey "path" "client.key-passphrase") }}{{ end }}
{{- $sources = append $sources (dict "secret" (dict "name" .name "items" $items)) }}
{{- end }}
{{- end }}
{{- end }}
{{- $sasl := $access.sasl }}
{{- if eq ($sasl.mechanism | default "") "OAUTHBEARER" }}
{{- $sources = append $sources (dict "secret" (dict "name" $sasl.tokenSecret.name "items" (list (dict "key" $sasl.tokenSecret.key "path" "sasl-token")))) }}
{{- else if $sasl.mechanism }}
{{- $sources = append $sources (dict "secret" (dict "name" $sasl.passwordSecret.name "items" (list (dict "key" $sasl.passwordSecret.key "path" "sasl-password")))) }}
{{- end }}
{{- if $sources }}
- name: kafka-secrets
  projected:
    # 0440 written in decimal (YAML 1.1 and 1.2 read a leading zero differently): readable by the
    # pod's user and group (fsGroup) only. Kubernetes rewrites the files when a Secret changes.
    defaultMode: 288
    sources:
      {{- toYaml $sources | nindent 6 }}
{{- end }}
{{- end }}

{{- define "sluice.kafkaSecretsMount" -}}
{{- if include "sluice.kafkaSecretsVolume" . }}
- name: kafka-secrets
  mountPath: {{ include "sluice.kafkaSecretsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
A KafkaMirrorMaker2 cluster entry's `tls` and `authentication` (Strimzi's blocks), from the
same values (tls, sasl). Strimzi takes one authentication per cluster: a client certificate
(type tls) or SASL.
*/}}
{{- define "sluice.strimziClusterSecurity" -}}
{{- $tls := .tls }}
{{- $sasl := .sasl }}
{{- $block := dict }}
{{- if $tls.enabled }}
{{- /* No CA Secret: Strimzi's tls block without trustedCertificates uses the JVM's CAs. */}}
{{- $_ := set $block "tls" (ternary (dict "trustedCertificates" (list (dict "secretName" $tls.caSecret.name "certificate" $tls.caSecret.key))) dict (not (empty $tls.caSecret.name))) }}
{{- end }}
{{- if and $sasl.mechanism $tls.clientCertSecret.name }}
{{- fail (printf "%s: Strimzi's KafkaMirrorMaker2 takes one authentication per cluster: a client certificate (kafka.tls.clientCertSecret) or SASL (kafka.sasl), not both" .where) }}
{{- end }}
{{- if eq ($sasl.mechanism | default "") "OAUTHBEARER" }}
{{- $_ := set $block "authentication" (dict "type" "oauth" "accessToken" (dict "secretName" $sasl.tokenSecret.name "key" $sasl.tokenSecret.key)) }}
{{- else if $sasl.mechanism }}
{{- $type := get (dict "PLAIN" "plain" "SCRAM-SHA-256" "scram-sha-256" "SCRAM-SHA-512" "scram-sha-512") $sasl.mechanism }}
{{- $_ := set $block "authentication" (dict "type" $type "username" $sasl.username "passwordSecret" (dict "secretName" $sasl.passwordSecret.name "password" $sasl.passwordSecret.key)) }}
{{- else if and $tls.enabled $tls.clientCertSecret.name }}
{{- $_ := set $block "authentication" (dict "type" "tls" "certificateAndKey" (dict "secretName" $tls.clientCertSecret.name "certificate" $tls.clientCertSecret.certKey "key" $tls.clientCertSecret.keyKey)) }}
{{- end }}
{{- if $block }}
{{- toYaml $block }}
{{- end }}
{{- end }}

{{/* Strimzi cluster config a cluster's TLS values add (certificate checks off: host names only, as in the Java client). */}}
{{- define "sluice.strimziClusterConfig" -}}
{{- if and .tls.enabled (not .tls.verify) }}
ssl.endpoint.identification.algorithm: ""
{{- end }}
{{- end }}
