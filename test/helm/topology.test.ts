import { test } from 'node:test'
import assert from 'node:assert/strict'
import yaml from 'js-yaml'
import { validateConfig } from '../../src/config/load.js'
import { changepropConfigSchema } from '../../src/changeprop/config.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import { streamsConfigSchema } from '../../src/streams/config.js'
import { buildCatalog } from '../../src/streams/catalog.js'
import { datacenterPrefix, mirrorTopicsPattern, namingOf, streamTopics, topicOf } from '../../src/stream-config/index.js'
import type { KubeObject, RenderOptions } from './chart-tools.js'
import { findObject, renderChart } from './chart-tools.js'

// The chart's topic and mirror helpers (helm/sluice/templates/_helpers.tpl) against the topology
// module they mirror (src/stream-config/topology.ts): the chart renders, and what it renders must
// be what the module decides.

const datacenters = ['eqiad', 'codfw'] as const
const streams = ['mediawiki.page_change.v1', 'eventlogging_NavigationTiming', 'resource_change']
const everything: RenderOptions['set'] = ['changeprop.enabled=true', 'streams.enabled=true', 'mirror.enabled=true']
const rule = 'changeprop.rules={"purge":{"topic":"eventlogging_NavigationTiming","exec":{"method":"get","uri":"http://purge.example/"}}}'

function configOf (objects: readonly KubeObject[], component: string): Record<string, unknown> {
  const configMap = findObject(objects, 'ConfigMap', `-${component}`) as KubeObject & { data: Record<string, string> }
  return yaml.load(configMap.data['config.yaml'] as string) as Record<string, unknown>
}

interface Release {
  gateway: ReturnType<typeof validateConfig<typeof gatewayConfigSchema>>
  changeprop: ReturnType<typeof validateConfig<typeof changepropConfigSchema>>
  streams: ReturnType<typeof validateConfig<typeof streamsConfigSchema>>
  /** source datacenter → the topics pattern its flow into this release's cluster copies. */
  mirrors: Map<string, string>
}

async function release (dc: string, set: readonly string[] = []): Promise<Release> {
  const objects = await renderChart({ valuesFiles: [`values-${dc}.yaml`], set: [...everything ?? [], ...set], setJson: [rule] })
  const mirror = findObject(objects, 'KafkaMirrorMaker2', '-mirror') as KubeObject & { spec: { mirrors: Array<{ sourceCluster: string, topicsPattern: string }> } }
  return {
    gateway: validateConfig(configOf(objects, 'gateway'), gatewayConfigSchema, 'gateway'),
    changeprop: validateConfig(configOf(objects, 'changeprop'), changepropConfigSchema, 'changeprop'),
    streams: validateConfig(configOf(objects, 'streams'), streamsConfigSchema, 'streams'),
    mirrors: new Map(mirror.spec.mirrors.map((m) => [m.sourceCluster, m.topicsPattern]))
  }
}

test('every service of a release gets the module\'s prefix of its datacenter and the same legacy home', async () => {
  for (const dc of datacenters) {
    const { gateway, changeprop, streams: service } = await release(dc)
    assert.equal(gateway.topic_prefix, datacenterPrefix(dc))
    assert.equal(changeprop.topic_prefix, datacenterPrefix(dc))
    for (const config of [gateway, changeprop, service]) assert.equal(config.legacy_topics_home, datacenterPrefix('eqiad'), dc)
    assert.deepEqual(service.stream_config_defaults.topic_prefixes, datacenters.map(datacenterPrefix))
  }
  // Any datacenter name; the legacy home follows an overridden prefix of its own datacenter.
  const ulsfo = await renderChart({ set: ['datacenter=ulsfo-2', 'legacyTopicsDatacenter=ulsfo-2', 'topicPrefix=main-ulsfo.'] })
  assert.equal(configOf(ulsfo, 'gateway').topic_prefix, 'main-ulsfo.')
  assert.equal(configOf(ulsfo, 'gateway').legacy_topics_home, 'main-ulsfo.')
  const plain = await renderChart({ set: ['datacenter=ulsfo-2', 'legacyTopicsDatacenter=eqiad'] })
  assert.equal(configOf(plain, 'gateway').topic_prefix, datacenterPrefix('ulsfo-2'))
  assert.equal(configOf(plain, 'gateway').legacy_topics_home, datacenterPrefix('eqiad'))
  // Unset: no key, so each service is its own legacy home (one datacenter).
  assert.equal(configOf(await renderChart({ set: ['datacenter=eqiad'] }), 'gateway').legacy_topics_home, undefined)
})

test('each mirror flow copies the module\'s pattern of its source', async () => {
  for (const dc of datacenters) {
    const { mirrors } = await release(dc)
    assert.ok(mirrors.size > 0)
    for (const [source, pattern] of mirrors) assert.equal(pattern, mirrorTopicsPattern(source, 'eqiad'), `${source} → ${dc}`)
  }
})

test('what each datacenter\'s services write reaches the other cluster exactly once, and the stream service reads each topic once', async () => {
  const releases = new Map<string, Release>()
  for (const dc of datacenters) releases.set(dc, await release(dc))
  const matches = (pattern: string | undefined, topic: string): boolean => pattern !== undefined && new RegExp(`^(?:${pattern})$`).test(topic)
  for (const stream of streams) {
    const written = new Map<string, string>()
    for (const [writer, { gateway }] of releases) {
      const topic = topicOf(stream, namingOf(gateway.topic_prefix, gateway.legacy_topics_home))
      assert.equal(written.get(topic), undefined, `${topic} is written by two datacenters`)
      written.set(topic, writer)
      for (const [reader, { mirrors }] of releases) {
        if (reader === writer) continue
        // Copied into the reader's cluster by the flow from the writer, and by no other flow.
        const copiedBy = [...mirrors].filter(([, pattern]) => matches(pattern, topic)).map(([source]) => source)
        assert.deepEqual(copiedBy, [writer], `${topic} into ${reader}`)
      }
    }
    for (const [reader, { streams: service, changeprop }] of releases) {
      // The stream service of either datacenter reads exactly the topics the gateways write.
      const catalog = buildCatalog({ [stream]: { schema_title: 't' } }, {
        defaults: service.stream_config_defaults,
        aliases: {},
        legacyTopicsHome: service.legacy_topics_home
      })
      assert.deepEqual([...catalog.get(stream)!.topics].sort(), [...written.keys()].sort(), `${stream} in ${reader}`)
      assert.deepEqual(catalog.get(stream)!.topics, streamTopics(stream, datacenters.map(datacenterPrefix), datacenterPrefix('eqiad')))
      // Change propagation reacts where the event was produced: its own topic is its gateway's.
      assert.equal(written.get(topicOf(stream, namingOf(changeprop.topic_prefix, changeprop.legacy_topics_home))), reader)
    }
  }
})
