import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { canaryConfigSchema } from '../../src/canary/index.js'
import { validateConfig } from '../../src/config/load.js'
import type { KubeObject } from './chart-tools.js'
import { chartDir, findObject, helmTemplate, isCustomResource, objectKey, renderChart, repoRoot, validateAgainstKubernetesSchemas } from './chart-tools.js'

// The chart's canary CronJob (canary.*): `sluice canary` on a schedule.

interface Container {
  name: string
  image: string
  args: string[]
  env?: Array<{ name: string, value?: string }>
  securityContext: Record<string, unknown>
  volumeMounts: Array<{ name: string, mountPath: string, readOnly?: boolean }>
}

interface CronJob extends KubeObject {
  spec: {
    schedule: string
    concurrencyPolicy: string
    jobTemplate: {
      spec: {
        backoffLimit: number
        activeDeadlineSeconds: number
        template: {
          metadata: { labels: Record<string, string> }
          spec: { restartPolicy: string, automountServiceAccountToken: boolean, securityContext: Record<string, unknown>, containers: Container[], volumes: Array<{ name: string, emptyDir?: unknown, configMap?: { name: string } }> }
        }
      }
    }
  }
}

const enabled = ['canary.enabled=true']

function cronJob (objects: readonly KubeObject[]): CronJob {
  return findObject(objects, 'CronJob', '-canary') as CronJob
}

function canaryConfig (objects: readonly KubeObject[]): ReturnType<typeof validateConfig<typeof canaryConfigSchema>> {
  const configMap = findObject(objects, 'ConfigMap', '-canary') as KubeObject & { data: Record<string, string> }
  return validateConfig(yaml.load(configMap.data['config.yaml'] as string), canaryConfigSchema, 'the canary ConfigMap')
}

void test('the canary CronJob is absent unless canary.enabled is set', async () => {
  for (const files of [[], ['values-eqiad.yaml'], ['values-codfw.yaml']]) {
    const objects = await renderChart({ valuesFiles: files })
    assert.deepEqual(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'canary').map(objectKey), [])
  }
  const values = yaml.load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as { canary: { enabled: boolean } }
  assert.equal(values.canary.enabled, false)
})

void test('enabled, it runs sluice canary every 5 minutes against this release\'s gateway, once per run, as the other pods run', async () => {
  const objects = await renderChart({ valuesFiles: ['values-eqiad.yaml'], set: [...enabled, 'canary.pushgateway.url=http://pushgateway.monitoring:9091'] })
  const job = cronJob(objects)
  assert.equal(job.apiVersion, 'batch/v1')
  assert.equal(job.spec.schedule, '*/5 * * * *')
  assert.equal(job.spec.concurrencyPolicy, 'Forbid')
  assert.equal(job.spec.jobTemplate.spec.backoffLimit, 0, 'a failed run is reported, not retried')
  const pod = job.spec.jobTemplate.spec.template.spec
  assert.equal(pod.restartPolicy, 'Never')
  assert.equal(pod.automountServiceAccountToken, false)
  assert.equal(pod.securityContext.runAsNonRoot, true)
  const [container] = pod.containers
  assert.deepEqual(container?.args, ['canary', '--config', '/etc/sluice/config/config.yaml'])
  assert.equal(container?.securityContext.readOnlyRootFilesystem, true)
  const tmp = container?.volumeMounts.find((m) => m.mountPath === '/tmp')
  assert.ok(tmp !== undefined && pod.volumes.find((v) => v.name === tmp.name)?.emptyDir !== undefined, '/tmp is a writable emptyDir')
  assert.equal(pod.volumes.find((v) => v.name === 'config')?.configMap?.name, findObject(objects, 'ConfigMap', '-canary').metadata.name)

  // The command's own validation accepts the rendered config; it reads and posts to the gateway's Service.
  const config = canaryConfig(objects)
  const service = findObject(objects, 'Service', '-gateway') as KubeObject & { spec: { ports: Array<{ port: number }> } }
  const gateway = `http://${service.metadata.name}:${service.spec.ports[0]!.port}`
  assert.deepEqual(config.gateways, { eqiad: [`${gateway}/v1/events`] })
  assert.equal(config.stream_config_uri, `${gateway}/v1/streams`)
  assert.deepEqual(config.schema_base_uris, [`${gateway}/schemas/`])
  assert.deepEqual(config.pushgateway, { url: 'http://pushgateway.monitoring:9091', job: 'sluice_canary', grouping: { namespace: 'sluice' }, timeout_ms: 5000 })

  const report = await validateAgainstKubernetesSchemas(objects.filter((o) => !isCustomResource(o)))
  assert.deepEqual(report.errors, [])
})

void test('canary.gateways, canary.config and a release without the gateway', async () => {
  const all = await renderChart({ valuesFiles: [join(repoRoot, 'test', 'helm', 'values-all-features.yaml')] })
  const config = canaryConfig(all)
  assert.deepEqual(Object.keys(config.gateways), ['codfw', 'eqiad'])
  assert.deepEqual(config.gateways.eqiad?.[1], { url: 'http://eventgate-analytics.svc.eqiad.example.org:4592/v1/events', event_service: 'eventgate-analytics' })
  assert.equal(config.request_timeout_ms, 5000)
  assert.equal(cronJob(all).spec.schedule, '*/15 * * * *')

  const alone = canaryConfig(await renderChart({ set: [...enabled, 'gateway.enabled=false', 'canary.gateways.eqiad={http://gw.eqiad:8192/v1/events}', 'streamConfig.uri=https://meta.example.org/w/api.php'] }))
  assert.equal(alone.stream_config_uri, 'https://meta.example.org/w/api.php')
  assert.deepEqual(alone.schema_base_uris, ['file:///app/schemas/'])
})

void test('values the canary cannot run with fail', async () => {
  const cases: Array<{ set: string[], message: RegExp }> = [
    { set: enabled, message: /canary: datacenter must be set/ },
    { set: [...enabled, 'datacenter=eqiad', 'gateway.enabled=false'], message: /canary: list canary.gateways/ },
    { set: [...enabled, 'datacenter=eqiad', 'canary.gateways.eqiad={gateway.eqiad}'], message: /\/canary\/gateways\/eqiad\/0/ },
    { set: [...enabled, 'datacenter=eqiad', 'canary.config.gateways.x={http://a/v1/events}'], message: /\/canary\/config\/gateways/ },
    { set: [...enabled, 'datacenter=eqiad', 'canary.pushgateway.url=pushgateway:9091'], message: /\/canary\/pushgateway\/url/ },
    { set: [...enabled, 'datacenter=eqiad', 'canary.pushgateway.url=http://canary:secret@pushgateway:9091'], message: /\/canary\/pushgateway\/url/ },
    { set: [...enabled, 'datacenter=eqiad', 'canary.concurrencyPolicy=Sometimes'], message: /\/canary\/concurrencyPolicy/ }
  ]
  for (const { set, message } of cases) {
    const result = await helmTemplate({ set })
    assert.notEqual(result.code, 0, `helm template accepted ${set.join(' ')}`)
    assert.match(result.stderr, message)
  }
})
