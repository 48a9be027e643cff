import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { validateConfig } from '../../src/config/load.js'
import { changepropConfigSchema } from '../../src/changeprop/config.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import { streamsConfigSchema } from '../../src/streams/config.js'
import type { KubeObject, RenderOptions } from './chart-tools.js'
import { findObject, helmLint, helmTemplate, isCustomResource, renderChart, repoRoot, validateAgainstKubernetesSchemas } from './chart-tools.js'

// The chart on a secured Kafka cluster: Kubernetes Secrets mounted as files for the CA, the
// client certificate and the SASL secret in every component, the components' config pointing at
// them, and the Strimzi KafkaMirrorMaker2's `tls` and `authentication` blocks per cluster.

const secured: RenderOptions = { valuesFiles: [join(repoRoot, 'test', 'helm', 'values-secured-kafka.yaml')] }
const dir = '/etc/sluice/kafka'

interface Volume { name: string, projected?: { defaultMode: number, sources: Array<{ secret: { name: string, items: Array<{ key: string, path: string }> } }> } }
interface Pod { volumes: Volume[], containers: Array<{ name: string, volumeMounts: Array<{ name: string, mountPath: string, readOnly?: boolean }> }> }

function podOf (objects: readonly KubeObject[], component: string): Pod {
  return (findObject(objects, 'Deployment', `-${component}`) as KubeObject & { spec: { template: { spec: Pod } } }).spec.template.spec
}

function configOf (objects: readonly KubeObject[], component: string): Record<string, unknown> & { kafka: Record<string, unknown> } {
  const configMap = findObject(objects, 'ConfigMap', `-${component}`) as KubeObject & { data: Record<string, string> }
  return yaml.load(configMap.data['config.yaml'] as string) as Record<string, unknown> & { kafka: Record<string, unknown> }
}

/** The Secret keys a component mounts, as `secret/key → file`. */
function mountedSecrets (pod: Pod): string[] {
  const volume = pod.volumes.find((v) => v.name === 'kafka-secrets')
  if (volume === undefined) return []
  const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === 'kafka-secrets')
  assert.deepEqual(mount, { name: 'kafka-secrets', mountPath: dir, readOnly: true })
  assert.equal(volume.projected!.defaultMode, 0o440)
  return volume.projected!.sources.flatMap((s) => s.secret.items.map((item) => `${s.secret.name}/${item.key} → ${item.path}`))
}

interface StrimziCluster { alias: string, tls?: { trustedCertificates?: Array<{ secretName: string, certificate: string }> }, authentication?: Record<string, unknown>, config?: Record<string, unknown> }

test('without TLS or SASL values nothing is mounted and the config has no kafka.ssl or kafka.sasl', async () => {
  const objects = await renderChart({ set: ['changeprop.enabled=true', 'streams.enabled=true'], setJson: ['changeprop.rules={"r":{"topic":"t","exec":{"uri":"http://x/"}}}'] })
  for (const component of ['gateway', 'changeprop', 'streams']) {
    assert.deepEqual(mountedSecrets(podOf(objects, component)), [], component)
    const { kafka } = configOf(objects, component)
    assert.equal(kafka.ssl, undefined)
    assert.equal(kafka.sasl, undefined)
  }
})

test('TLS and SCRAM for the release: every component mounts the CA and the password Secret as files, and its config reads them', async () => {
  const objects = await renderChart(secured)
  const gateway = configOf(objects, 'gateway')
  assert.deepEqual(gateway.kafka.ssl, { ca_file: `${dir}/ca.crt`, verify: true })
  assert.deepEqual(gateway.kafka.sasl, { mechanism: 'SCRAM-SHA-512', username: 'sluice', password_file: `${dir}/sasl-password` })
  assert.equal(gateway.kafka.compression, 'snappy')
  assert.deepEqual(mountedSecrets(podOf(objects, 'gateway')), ['main-cluster-ca-cert/ca.crt → ca.crt', 'sluice/password → sasl-password'])
  assert.doesNotThrow(() => validateConfig(gateway, gatewayConfigSchema, 'gateway config'))
  // Nothing secret in the rendered objects: only Secret names and keys.
  const text = yaml.dump(objects)
  assert.doesNotMatch(text, /password_env|BEGIN/)
})

test('a component\'s own KafkaUser: change propagation authenticates as itself with its own Secret', async () => {
  const objects = await renderChart(secured)
  const changeprop = configOf(objects, 'changeprop')
  assert.deepEqual(changeprop.kafka.sasl, { mechanism: 'SCRAM-SHA-512', username: 'sluice-changeprop', password_file: `${dir}/sasl-password` })
  assert.equal(changeprop.kafka.compression, 'snappy')
  assert.deepEqual(mountedSecrets(podOf(objects, 'changeprop')), ['main-cluster-ca-cert/ca.crt → ca.crt', 'sluice-changeprop/password → sasl-password'])
  assert.doesNotThrow(() => validateConfig({ ...changeprop, rules: {} }, changepropConfigSchema, 'changeprop config'))
})

test('mutual TLS: the stream service mounts its client certificate, key and passphrase, with its own server name', async () => {
  const objects = await renderChart(secured)
  const streams = configOf(objects, 'streams')
  assert.deepEqual(streams.kafka.ssl, { ca_file: `${dir}/ca.crt`, cert_file: `${dir}/client.crt`, key_file: `${dir}/client.key`, key_passphrase_file: `${dir}/client.key-passphrase`, server_name: 'kafka.example.org', verify: true })
  assert.equal(streams.kafka.sasl, undefined)
  assert.deepEqual(mountedSecrets(podOf(objects, 'streams')), [
    'main-cluster-ca-cert/ca.crt → ca.crt',
    'sluice-streams/user.crt → client.crt', 'sluice-streams/user.key → client.key', 'sluice-streams/user.password → client.key-passphrase'
  ])
  assert.doesNotThrow(() => validateConfig(streams, streamsConfigSchema, 'streams config'))
})

test('OAUTHBEARER: the token Secret is mounted and the config reads it (the services re-read it when Kubernetes updates it)', async () => {
  const objects = await renderChart({ set: ['kafka.tls.enabled=true', 'kafka.sasl.mechanism=OAUTHBEARER', 'kafka.sasl.tokenSecret.name=sluice-token'] })
  const gateway = configOf(objects, 'gateway')
  assert.deepEqual(gateway.kafka.sasl, { mechanism: 'OAUTHBEARER', token_file: `${dir}/sasl-token` })
  assert.deepEqual(gateway.kafka.ssl, { verify: true })
  assert.deepEqual(mountedSecrets(podOf(objects, 'gateway')), ['sluice-token/token → sasl-token'])
  assert.doesNotThrow(() => validateConfig(gateway, gatewayConfigSchema, 'gateway config'))
})

test('the KafkaMirrorMaker2 carries Strimzi tls and authentication blocks per cluster', async () => {
  const objects = await renderChart(secured)
  const mirror = findObject(objects, 'KafkaMirrorMaker2', '-mirror') as KubeObject & { spec: { clusters: StrimziCluster[] } }
  const [target, codfw, esams] = mirror.spec.clusters
  assert.equal(target?.alias, 'eqiad')
  assert.deepEqual(target?.tls, { trustedCertificates: [{ secretName: 'main-cluster-ca-cert', certificate: 'ca.crt' }] })
  assert.deepEqual(target?.authentication, { type: 'scram-sha-512', username: 'mirror-eqiad', passwordSecret: { secretName: 'mirror-eqiad', password: 'password' } })
  assert.equal(codfw?.alias, 'codfw')
  assert.deepEqual(codfw?.tls, { trustedCertificates: [{ secretName: 'codfw-cluster-ca-cert', certificate: 'ca.crt' }] })
  assert.deepEqual(codfw?.authentication, { type: 'tls', certificateAndKey: { secretName: 'mirror-codfw', certificate: 'user.crt', key: 'user.key' } })
  assert.equal(esams?.alias, 'esams')
  // No CA Secret: Strimzi trusts the JVM's CAs.
  assert.deepEqual(esams?.tls, {})
  assert.deepEqual(esams?.authentication, { type: 'oauth', accessToken: { secretName: 'mirror-esams-token', key: 'token' } })
})

test('the secured values lint, and their objects validate against the Kubernetes API schemas', async () => {
  const lint = await helmLint(secured)
  assert.equal(lint.code, 0, lint.stdout + lint.stderr)
  const report = await validateAgainstKubernetesSchemas((await renderChart(secured)).filter((object) => !isCustomResource(object)))
  assert.deepEqual(report.errors, [])
})

test('values that cannot work are refused', async () => {
  const cases: Array<{ name: string, options: RenderOptions, message: RegExp }> = [
    { name: 'a SCRAM mechanism without a password Secret', options: { set: ['kafka.sasl.mechanism=SCRAM-SHA-512', 'kafka.sasl.username=u'] }, message: /\/kafka\/sasl\/passwordSecret\/name/ },
    { name: 'a SCRAM mechanism without a username', options: { set: ['kafka.sasl.mechanism=SCRAM-SHA-256', 'kafka.sasl.passwordSecret.name=p'] }, message: /\/kafka\/sasl\/username/ },
    { name: 'OAUTHBEARER without a token Secret', options: { set: ['kafka.sasl.mechanism=OAUTHBEARER'] }, message: /\/kafka\/sasl\/tokenSecret\/name/ },
    { name: 'a mechanism the services do not know', options: { set: ['kafka.sasl.mechanism=GSSAPI'] }, message: /\/kafka\/sasl\/mechanism/ },
    { name: 'an inline password', options: { set: ['kafka.sasl.password=secret'] }, message: /additional properties 'password' not allowed/ },
    { name: 'a codec the producer does not know', options: { set: ['kafka.compression=brotli'] }, message: /\/kafka\/compression/ },
    { name: 'a CA Secret while TLS is off', options: { set: ['kafka.tls.caSecret.name=ca'] }, message: /kafka\.tls names Secrets but kafka\.tls\.enabled is false/ },
    { name: 'a mirror source with both a client certificate and SASL', options: { ...secured, set: ['mirror.sources[0].sasl.mechanism=PLAIN', 'mirror.sources[0].sasl.username=u', 'mirror.sources[0].sasl.passwordSecret.name=p'] }, message: /takes one authentication per cluster/ }
  ]
  for (const { name, options, message } of cases) {
    const result = await helmTemplate(options)
    assert.notEqual(result.code, 0, `helm template accepted ${name}`)
    assert.match(result.stderr, message, name)
  }
})
