import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { validateConfig } from '../../src/config/load.js'
import { gatewayConfigSchema } from '../../src/gateway/config.js'
import { changepropConfigSchema } from '../../src/changeprop/config.js'
import { streamsConfigSchema } from '../../src/streams/config.js'
import { loadRules } from '../../src/changeprop/rules/load.js'
import type { KubeObject, RenderOptions } from './chart-tools.js'
import {
  chartDir, findObject, helmLint, helmTemplate, isCustomResource, kubernetesVersions, locateTool,
  objectKey, renderChart, repoRoot, validateAgainstKubernetesSchemas
} from './chart-tools.js'

interface Container {
  name: string
  image: string
  args?: string[]
  ports?: Array<{ name: string, containerPort: number }>
  livenessProbe?: { httpGet: { path: string, port: string } }
  readinessProbe?: { httpGet: { path: string, port: string } }
  startupProbe?: { httpGet: { path: string, port: string } }
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
  securityContext?: Record<string, unknown>
  volumeMounts?: Array<{ name: string, mountPath: string, readOnly?: boolean }>
  resources?: { requests?: Record<string, unknown>, limits?: Record<string, unknown> }
}

interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  securityContext: Record<string, unknown>
  terminationGracePeriodSeconds: number
  volumes: Array<{ name: string, emptyDir?: unknown, configMap?: { name: string } }>
  automountServiceAccountToken?: boolean
}

interface Deployment extends KubeObject {
  spec: {
    replicas?: number
    selector: { matchLabels: Record<string, string> }
    template: { metadata: { labels: Record<string, string>, annotations: Record<string, string> }, spec: PodSpec }
  }
}

const valuesFiles = {
  default: [],
  eqiad: ['values-eqiad.yaml'],
  codfw: ['values-codfw.yaml'],
  'all features': [join(repoRoot, 'test', 'helm', 'values-all-features.yaml')]
} satisfies Record<string, string[]>

/** Every Deployment of the chart; values-all-features.yaml enables them all. */
const components = ['gateway', 'changeprop', 'streams'] as const

function deployment (objects: readonly KubeObject[], component: string): Deployment {
  return findObject(objects, 'Deployment', `-${component}`) as Deployment
}

function configOf (objects: readonly KubeObject[], component: string): Record<string, unknown> {
  const configMap = findObject(objects, 'ConfigMap', `-${component}`) as KubeObject & { data: Record<string, string> }
  return yaml.load(configMap.data['config.yaml'] as string) as Record<string, unknown>
}

function allContainers (pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers]
}

function matches (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value)
}

void test('the chart tools are installed (scripts/provision.sh)', () => {
  // Fails, naming the install script, instead of skipping the chart checks.
  for (const tool of ['helm', 'kubernetes-validate'] as const) assert.ok(locateTool(tool))
})

void describe('helm lint and helm template', () => {
  for (const [name, files] of Object.entries(valuesFiles)) {
    void test(`helm lint --strict passes with ${name} values`, async () => {
      const result = await helmLint({ valuesFiles: files })
      assert.equal(result.code, 0, `helm lint failed:\n${result.stdout}\n${result.stderr}`)
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/)
    })

    void test(`every object rendered with ${name} values validates against the Kubernetes API schemas`, async () => {
      const objects = await renderChart({ valuesFiles: files })
      assert.ok(objects.length >= 5, `only ${objects.length} objects rendered`)
      const builtIn = objects.filter((object) => !isCustomResource(object))
      const report = await validateAgainstKubernetesSchemas(builtIn)
      assert.deepEqual(report.errors, [])
      for (const version of kubernetesVersions) {
        const passed = report.passed.get(version) ?? new Set()
        const unchecked = builtIn.map(objectKey).filter((key) => !passed.has(key))
        assert.deepEqual(unchecked, [], `not validated against Kubernetes ${version}`)
      }
    })
  }

  void test('the Kubernetes schema check rejects what the API server would (it is able to fail)', async () => {
    const objects = await renderChart()
    const gateway = structuredClone(deployment(objects, 'gateway'))
    const container = gateway.spec.template.spec.containers[0] as Container & Record<string, unknown>
    container.livenesProbe = container.livenessProbe
    const report = await validateAgainstKubernetesSchemas([gateway])
    assert.equal(report.errors.length, kubernetesVersions.length, report.errors.join('\n'))
    assert.match(report.errors[0] as string, /livenesProbe/)
  })

  void test('an operator installs with only the datacenter and the brokers set', async () => {
    const objects = await renderChart({ set: ['datacenter=ulsfo', 'kafka.brokers={kafka1.ulsfo:9092,kafka2.ulsfo:9092}'] })
    const config = configOf(objects, 'gateway')
    assert.equal(config.topic_prefix, 'ulsfo.')
    assert.deepEqual((config.kafka as { brokers: string[] }).brokers, ['kafka1.ulsfo:9092', 'kafka2.ulsfo:9092'])
    const report = await validateAgainstKubernetesSchemas(objects.filter((object) => !isCustomResource(object)))
    assert.deepEqual(report.errors, [])
  })
})

void describe('values.schema.json and the chart refuse broken values', () => {
  const cases: Array<{ name: string, options: RenderOptions, message: RegExp }> = [
    { name: 'no broker list', options: { set: ['kafka.brokers=null'] }, message: /missing property 'brokers'/ },
    { name: 'an empty broker list', options: { setJson: ['kafka.brokers=[]'] }, message: /\/kafka\/brokers.*minItems/ },
    { name: 'a broker without a port', options: { set: ['kafka.brokers={kafka1.eqiad}'] }, message: /\/kafka\/brokers\/0/ },
    { name: 'a negative replica count', options: { set: ['gateway.replicaCount=-1'] }, message: /\/gateway\/replicaCount/ },
    { name: 'a replica count that is a string', options: { set: ['gateway.replicaCount=two'] }, message: /\/gateway\/replicaCount.*want integer/ },
    { name: 'a fractional replica count', options: { setJson: ['changeprop.replicaCount=1.5'] }, message: /\/changeprop\/replicaCount/ },
    { name: 'a port that is not a number', options: { set: ['gateway.port=http'] }, message: /\/gateway\/port/ },
    { name: 'a misspelt key', options: { set: ['gatway.replicaCount=2'] }, message: /additional properties 'gatway' not allowed/ },
    { name: 'an upper-case datacenter', options: { set: ['datacenter=EQIAD'] }, message: /\/datacenter/ },
    { name: 'a topic prefix with a slash', options: { set: ['topicPrefix=eqiad/'] }, message: /\/topicPrefix/ },
    { name: 'the port set through the service config', options: { set: ['gateway.config.port=9000'] }, message: /\/gateway\/config\/port/ },
    { name: 'brokers set through the service config', options: { set: ['gateway.config.kafka.brokers={a:1}'] }, message: /\/gateway\/config\/kafka\/brokers/ },
    { name: 'git schemas without a repository', options: { set: ['schemas.source=git'] }, message: /\/schemas\/git\/repository/ },
    { name: 'an unknown schema source', options: { set: ['schemas.source=s3'] }, message: /\/schemas\/source/ },
    { name: 'change propagation without rules', options: { set: ['changeprop.enabled=true'] }, message: /\/changeprop/ },
    { name: 'a rule name that is not a file name', options: { set: ['changeprop.enabled=true'], setJson: ['changeprop.rules={"../x":{"topic":"t"}}'] }, message: /invalid propertyName '\.\.\/x'/ },
    { name: 'an image digest that is not sha256', options: { set: ['image.digest=latest'] }, message: /\/image\/digest/ },
    { name: 'a log level the services do not know', options: { set: ['logLevel=verbose'] }, message: /\/logLevel/ },
    { name: 'a grace period not shorter than the client timeout', options: { set: ['gateway.terminationGracePeriodSeconds=10'] }, message: /must be shorter than clientTimeoutSeconds/ },
    { name: 'a preStop sleep that leaves less than the produce timeout', options: { set: ['gateway.preStopSleepSeconds=5'] }, message: /not more than the producer timeout/ },
    { name: 'a produce timeout longer than the shutdown budget', options: { set: ['gateway.config.kafka.produce_timeout_ms=7000'] }, message: /producer timeout \(7000 ms\)/ },
    { name: 'autoscaling with minReplicas above maxReplicas', options: { set: ['gateway.autoscaling.minReplicas=5', 'gateway.autoscaling.maxReplicas=3'] }, message: /minReplicas \(5\) is greater than maxReplicas \(3\)/ },
    { name: 'a misspelt stream-service key', options: { set: ['streams.enable=true'] }, message: /additional properties 'enable' not allowed/ },
    { name: 'the stream-service port set through its config', options: { set: ['streams.enabled=true', 'streams.config.port=9000'] }, message: /\/streams\/config\/port/ },
    { name: 'stream-service topic prefixes set through its config', options: { set: ['streams.config.stream_config_defaults.topic_prefixes={eqiad.}'] }, message: /\/streams\/config\/stream_config_defaults\/topic_prefixes/ },
    { name: 'a stream-service topic prefix with a slash', options: { set: ['streams.topicPrefixes={eqiad/}'] }, message: /\/streams\/topicPrefixes\/0/ },
    { name: 'a stream-service grace period that leaves no time to end the streams', options: { set: ['streams.enabled=true', 'streams.preStopSleepSeconds=10', 'streams.terminationGracePeriodSeconds=11'] }, message: /streams: terminationGracePeriodSeconds \(11\) must be at least preStopSleepSeconds \(10\) \+ 2/ },
    { name: 'a mirror without sources', options: { set: ['datacenter=eqiad', 'mirror.enabled=true'] }, message: /\/mirror\/sources.*minItems/ },
    { name: 'a mirror source without brokers', options: { set: ['datacenter=eqiad', 'mirror.enabled=true', 'mirror.sources[0].datacenter=codfw'] }, message: /\/mirror\/sources\/0.*bootstrapServers/ },
    { name: 'a mirror source broker without a port', options: { set: ['datacenter=eqiad', 'mirror.enabled=true', 'mirror.sources[0].datacenter=codfw', 'mirror.sources[0].bootstrapServers={kafka1.codfw}'] }, message: /\/mirror\/sources\/0\/bootstrapServers\/0/ },
    { name: 'a mirror without a datacenter to be its target', options: { valuesFiles: ['values-eqiad.yaml'], set: ['datacenter=', 'mirror.enabled=true'] }, message: /mirror: datacenter must be set/ },
    { name: 'a mirror from the release\'s own datacenter', options: { valuesFiles: ['values-eqiad.yaml'], set: ['mirror.enabled=true', 'mirror.sources[0].datacenter=eqiad'] }, message: /mirror.sources: eqiad is this release's datacenter/ },
    { name: 'a mirror source listed twice', options: { valuesFiles: ['values-eqiad.yaml'], set: ['mirror.enabled=true'], setJson: ['mirror.sources=[{"datacenter":"codfw","bootstrapServers":["a:9092"]},{"datacenter":"codfw","bootstrapServers":["b:9092"]}]'] }, message: /mirror.sources: codfw is listed twice/ },
    { name: 'a mirror without a legacy topics datacenter', options: { valuesFiles: ['values-eqiad.yaml'], set: ['mirror.enabled=true', 'legacyTopicsDatacenter='] }, message: /mirror: legacyTopicsDatacenter must be set/ },
    { name: 'a legacy topics datacenter the mirror never reaches', options: { valuesFiles: ['values-eqiad.yaml'], set: ['mirror.enabled=true', 'legacyTopicsDatacenter=ulsfo'] }, message: /legacyTopicsDatacenter \(ulsfo\) is neither this datacenter nor one of mirror.sources/ },
    { name: 'a legacy topics datacenter that is no datacenter name', options: { set: ['legacyTopicsDatacenter=eqiad.'] }, message: /\/legacyTopicsDatacenter/ },
    { name: 'the legacy topics home set through a service config', options: { set: ['gateway.config.legacy_topics_home=eqiad.'] }, message: /\/gateway\/config\/legacy_topics_home/ },
    { name: 'a mirror with another replication policy', options: { set: ['mirror.config.replication\\.policy\\.class=org.apache.kafka.connect.mirror.DefaultReplicationPolicy'] }, message: /\/mirror\/config\/replication.policy.class/ }
  ]
  for (const { name, options, message } of cases) {
    void test(`${name} fails`, async () => {
      const result = await helmTemplate(options)
      assert.notEqual(result.code, 0, `helm template accepted ${name}`)
      assert.match(result.stderr, message)
    })
  }

  void test('helm lint fails on broken values too', async () => {
    const result = await helmLint({ set: ['kafka.brokers=null'] })
    assert.notEqual(result.code, 0)
    assert.match(result.stdout + result.stderr, /brokers/)
  })
})

void describe('rendered objects', () => {
  void test('the topic prefix and brokers follow each datacenter', async () => {
    for (const dc of ['eqiad', 'codfw']) {
      const objects = await renderChart({ valuesFiles: [`values-${dc}.yaml`] })
      const config = configOf(objects, 'gateway')
      const values = yaml.load(await readFile(join(chartDir, `values-${dc}.yaml`), 'utf8')) as { kafka: { brokers: string[] } }
      assert.equal(config.topic_prefix, `${dc}.`)
      assert.deepEqual((config.kafka as { brokers: string[] }).brokers, values.kafka.brokers)
      assert.ok(values.kafka.brokers.every((broker) => broker.includes(`.${dc}.`)), `${dc} values name another datacenter's brokers`)
    }
    assert.equal(configOf(await renderChart(), 'gateway').topic_prefix, '')
    assert.equal(configOf(await renderChart({ set: ['datacenter=eqiad', 'topicPrefix='] }), 'gateway').topic_prefix, '')
    assert.equal(configOf(await renderChart({ set: ['datacenter=eqiad', 'topicPrefix=main-eqiad.'] }), 'gateway').topic_prefix, 'main-eqiad.')
  })

  void test('the rendered gateway config passes the gateway\'s own config validation', async () => {
    for (const files of Object.values(valuesFiles)) {
      const config = configOf(await renderChart({ valuesFiles: files }), 'gateway')
      assert.doesNotThrow(() => validateConfig(config, gatewayConfigSchema, 'config.yaml'))
    }
    const git = configOf(await renderChart({ set: ['schemas.source=git', 'schemas.git.repository=https://git.example.org/schemas.git'] }), 'gateway')
    assert.doesNotThrow(() => validateConfig(git, gatewayConfigSchema, 'config.yaml'))
    assert.deepEqual(git.schema_git, {
      repository: 'https://git.example.org/schemas.git', ref: 'main', path: 'schemas', poll_interval_ms: 60000, cache_dir: '/var/cache/sluice/schema-git'
    })
  })

  void test('the rendered change-propagation config and rule files load in change propagation', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'] })
    const config = validateConfig(configOf(objects, 'changeprop'), changepropConfigSchema, 'config.yaml')
    assert.equal(config.topic_prefix, 'eqiad.')
    assert.equal(config.rules_dir, '/etc/sluice/rules')
    const rulesMap = findObject(objects, 'ConfigMap', '-changeprop-rules') as KubeObject & { data: Record<string, string> }
    const dir = await mkdtemp(join(tmpdir(), 'sluice-rules-'))
    try {
      // Laid out as Kubernetes mounts a ConfigMap, hidden timestamped directory included.
      await mkdir(join(dir, '..2024_01_01_00_00_00.000000000'))
      for (const [file, text] of Object.entries(rulesMap.data)) await writeFile(join(dir, file), text)
      const rules = await loadRules({ inline: {}, dir, defaults: config, source: 'config.yaml' })
      assert.deepEqual(Object.keys(rules).sort(), ['purge_page', 'summary_rerender'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  void test('probes use /healthz for liveness and /readyz for readiness on the named ports', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'], set: ['gateway.readinessProbe.httpGet.path=/readyz'] })
    for (const [component, port, number] of [['gateway', 'http', 8192], ['changeprop', 'admin', 7272], ['streams', 'http', 8194]] as const) {
      const container = deployment(objects, component).spec.template.spec.containers.find((c) => c.name === component) as Container
      assert.deepEqual(container.ports?.map((p) => [p.name, p.containerPort]), [[port, number]])
      assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port })
      assert.deepEqual(container.startupProbe?.httpGet, { path: '/healthz', port })
      assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port })
      assert.ok(container.resources?.requests?.cpu !== undefined && container.resources.limits?.memory !== undefined)
    }
  })

  void test('every container runs as non-root on a read-only root filesystem with writable emptyDirs', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'] })
    for (const component of components) {
      const pod = deployment(objects, component).spec.template.spec
      assert.equal(pod.securityContext.runAsNonRoot, true)
      assert.ok(typeof pod.securityContext.runAsUser === 'number' && pod.securityContext.runAsUser > 0)
      assert.equal(pod.automountServiceAccountToken, false)
      const emptyDirs = new Set(pod.volumes.filter((v) => v.emptyDir !== undefined).map((v) => v.name))
      for (const container of allContainers(pod)) {
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name)
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name)
        assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'] }, container.name)
        const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp')
        assert.ok(tmp !== undefined && emptyDirs.has(tmp.name), `${container.name}: /tmp is not a writable emptyDir`)
        for (const mount of container.volumeMounts ?? []) {
          if (!emptyDirs.has(mount.name)) assert.equal(mount.readOnly, true, `${container.name}: ${mount.mountPath} should be read-only`)
        }
      }
    }
  })

  void test('shutdown: preStop sleep, then more than one produce timeout, all before the client gives up', async () => {
    const objects = await renderChart({ valuesFiles: ['values-eqiad.yaml'] })
    const pod = deployment(objects, 'gateway').spec.template.spec
    const gateway = pod.containers.find((c) => c.name === 'gateway') as Container
    const command = gateway.lifecycle?.preStop?.exec?.command ?? []
    assert.equal(command[0], 'sleep')
    const preStopSeconds = Number(command[1])
    const config = configOf(objects, 'gateway') as { shutdown_grace_ms: number, kafka: { produce_timeout_ms?: number } }
    const produceTimeoutMs = config.kafka.produce_timeout_ms ?? (gatewayConfigSchema.properties.kafka.properties.produce_timeout_ms.default)
    assert.equal(preStopSeconds, 3)
    assert.equal(pod.terminationGracePeriodSeconds, 9)
    assert.ok(pod.terminationGracePeriodSeconds < 10, 'grace period must end before the 10 s client timeout')
    assert.ok(produceTimeoutMs < config.shutdown_grace_ms, 'the gateway must wait longer than one produce timeout')
    assert.ok(preStopSeconds * 1000 + config.shutdown_grace_ms < pod.terminationGracePeriodSeconds * 1000, 'the gateway must be done before SIGKILL')
  })

  void test('a config change rolls the pods through the checksum annotation, nothing else does', async () => {
    const checksums = async (set: string[]): Promise<Record<string, string>> =>
      deployment(await renderChart({ set }), 'gateway').spec.template.metadata.annotations
    const base = await checksums([])
    const configMap = findObject(await renderChart(), 'ConfigMap', '-gateway') as KubeObject & { data: Record<string, string> }
    const rendered = (configMap.data['config.yaml'] as string).replace(/\n$/, '').split('\n').map((line) => line.replace(/^ {4}/, '')).join('\n')
    assert.equal(base['checksum/config'], createHash('sha256').update(rendered).digest('hex'))
    assert.notEqual((await checksums(['gateway.config.max_body_size=4mb']))['checksum/config'], base['checksum/config'])
    assert.notEqual((await checksums(['kafka.brokers={other:9092}']))['checksum/config'], base['checksum/config'])
    assert.notEqual((await checksums(['streamConfig.files.a\\.yaml.s.schema_title=t']))['checksum/stream-config'], base['checksum/stream-config'])
    assert.deepEqual(await checksums(['gateway.resources.requests.cpu=1']), base)
  })

  void test('autoscaling owns the replica count when it is enabled', async () => {
    const scaled = await renderChart()
    assert.equal(deployment(scaled, 'gateway').spec.replicas, undefined)
    const hpa = findObject(scaled, 'HorizontalPodAutoscaler', '-gateway') as KubeObject & { spec: { scaleTargetRef: { name: string }, minReplicas: number } }
    assert.equal(hpa.spec.scaleTargetRef.name, deployment(scaled, 'gateway').metadata.name)
    const fixed = await renderChart({ set: ['gateway.autoscaling.enabled=false', 'gateway.replicaCount=3'] })
    assert.equal(deployment(fixed, 'gateway').spec.replicas, 3)
    assert.equal(fixed.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0)
  })

  void test('services, disruption budgets and service monitors select their own pods', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'] })
    for (const component of components) {
      const pods = deployment(objects, component).spec.template
      const service = findObject(objects, 'Service', `-${component}`) as KubeObject & { spec: { selector: Record<string, string>, ports: Array<{ name: string, targetPort: string }> } }
      const pdb = findObject(objects, 'PodDisruptionBudget', `-${component}`) as KubeObject & { spec: { selector: { matchLabels: Record<string, string> } } }
      const monitor = findObject(objects, 'ServiceMonitor', `-${component}`) as KubeObject & {
        spec: { selector: { matchLabels: Record<string, string> }, endpoints: Array<{ port: string, path: string, relabelings?: unknown[] }> }
      }
      const others = components.filter((c) => c !== component).map((c) => deployment(objects, c).spec.template)
      assert.ok(matches(service.spec.selector, pods.metadata.labels) && !others.some((other) => matches(service.spec.selector, other.metadata.labels)), `${component} service`)
      assert.ok(matches(pdb.spec.selector.matchLabels, pods.metadata.labels) && !others.some((other) => matches(pdb.spec.selector.matchLabels, other.metadata.labels)), `${component} pdb`)
      const containerPorts = new Set(pods.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name))
      for (const port of service.spec.ports) assert.ok(containerPorts.has(port.targetPort), `${component}: targetPort ${port.targetPort}`)
      assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1')
      assert.ok(matches(monitor.spec.selector.matchLabels, service.metadata.labels), `${component} ServiceMonitor does not select its Service`)
      assert.equal(monitor.metadata.labels?.release, 'prometheus')
      for (const endpoint of monitor.spec.endpoints) {
        assert.ok(service.spec.ports.some((p) => p.name === endpoint.port), `${component}: ServiceMonitor port ${endpoint.port}`)
        assert.equal(endpoint.path, '/metrics')
        assert.deepEqual(endpoint.relabelings, [{ action: 'replace', targetLabel: 'datacenter', replacement: 'eqiad' }])
      }
    }
  })

  void test('git-sync mode shares a checkout with the gateway through an emptyDir', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'] })
    const pod = deployment(objects, 'gateway').spec.template.spec
    const config = configOf(objects, 'gateway')
    assert.deepEqual(config.schema_base_uris, ['file:///srv/schema-repo/current/jsonschema/'])
    assert.deepEqual(pod.initContainers?.map((c) => c.name), ['git-sync-init'])
    assert.ok(pod.initContainers?.[0]?.args?.includes('--one-time'))
    const sidecar = pod.containers.find((c) => c.name === 'git-sync') as Container
    assert.ok(sidecar.args?.includes('--link=current') && sidecar.args.includes('--root=/srv/schema-repo'))
    assert.deepEqual(sidecar.volumeMounts?.find((m) => m.mountPath === '/srv/schema-repo')?.readOnly, undefined)
    const gateway = pod.containers.find((c) => c.name === 'gateway') as Container
    assert.equal(gateway.volumeMounts?.find((m) => m.mountPath === '/srv/schema-repo')?.readOnly, true)
    assert.ok(pod.volumes.find((v) => v.name === 'schema-repo')?.emptyDir !== undefined)
  })

  void test('the image comes from image.repository with the tag, the appVersion or a digest', async () => {
    const image = async (set: string[]): Promise<string> => (deployment(await renderChart({ set }), 'gateway').spec.template.spec.containers[0] as Container).image
    const chart = yaml.load(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string }
    assert.equal(await image([]), `sluice:${chart.appVersion}`)
    assert.equal(await image(['image.tag=1.2.3']), 'sluice:1.2.3')
    assert.equal(await image(['image.digest=sha256:' + 'a'.repeat(64)]), `sluice@sha256:${'a'.repeat(64)}`)
  })

  void test('names stay valid DNS labels for long release names', async () => {
    const objects = await renderChart({ releaseName: 'event-platform-eqiad-'.padEnd(53, 'x'), valuesFiles: valuesFiles['all features'] })
    for (const object of objects) {
      assert.match(object.metadata.name, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, objectKey(object))
    }
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`)
    assert.equal(new Set(names).size, names.length, 'two objects of one kind share a name')
  })
})

void describe('the stream service', () => {
  const enabled = ['streams.enabled=true']

  function streamsObjects (objects: readonly KubeObject[]): KubeObject[] {
    return objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/component'] === 'streams')
  }

  void test('is absent unless streams.enabled is set', async () => {
    for (const [name, files] of Object.entries(valuesFiles).filter(([name]) => name !== 'all features')) {
      const objects = await renderChart({ valuesFiles: files })
      assert.deepEqual(streamsObjects(objects).map(objectKey), [], `${name} values render the stream service`)
      assert.ok(!objects.some((object) => object.metadata.name.endsWith('-streams')), `${name} values render a *-streams object`)
    }
    const values = yaml.load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as { streams: { enabled: boolean } }
    assert.equal(values.streams.enabled, false)
  })

  void test('each datacenter renders it against its own brokers, reading both datacenters\' topics', async () => {
    for (const dc of ['eqiad', 'codfw']) {
      const objects = await renderChart({ valuesFiles: [`values-${dc}.yaml`], set: enabled })
      assert.deepEqual(streamsObjects(objects).map((object) => object.kind).sort(),
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor'])
      const report = await validateAgainstKubernetesSchemas(objects.filter((object) => !isCustomResource(object)))
      assert.deepEqual(report.errors, [])
      const config = validateConfig(configOf(objects, 'streams'), streamsConfigSchema, 'config.yaml')
      const values = yaml.load(await readFile(join(chartDir, `values-${dc}.yaml`), 'utf8')) as { kafka: { brokers: string[] } }
      assert.deepEqual(config.stream_config_defaults, { topic_prefixes: ['eqiad.', 'codfw.'] })
      assert.deepEqual(config.kafka.brokers, values.kafka.brokers)
      assert.equal(config.kafka.client_id, `sluice-streams-${dc}`)
      assert.equal(config.port, 8194)
    }
  })

  void test('topic prefixes: streams.topicPrefixes, else the release\'s own prefix, else none', async () => {
    const defaults = async (set: string[]): Promise<unknown> => configOf(await renderChart({ set: [...enabled, ...set] }), 'streams').stream_config_defaults
    assert.equal(await defaults([]), undefined)
    assert.deepEqual(await defaults(['datacenter=ulsfo']), { topic_prefixes: ['ulsfo.'] })
    assert.deepEqual(await defaults(['datacenter=ulsfo', 'topicPrefix=main-ulsfo.']), { topic_prefixes: ['main-ulsfo.'] })
    assert.deepEqual(await defaults(['datacenter=eqiad', 'streams.topicPrefixes={eqiad.,codfw.,ulsfo.}']), { topic_prefixes: ['eqiad.', 'codfw.', 'ulsfo.'] })
    assert.deepEqual(await defaults(['datacenter=eqiad', 'streams.config.stream_config_defaults.canary_events_enabled=true']),
      { topic_prefixes: ['eqiad.'], canary_events_enabled: true })
  })

  void test('the rendered config passes the service\'s own validation and reads the chart\'s stream config', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'] })
    const config = validateConfig(configOf(objects, 'streams'), streamsConfigSchema, 'config.yaml')
    assert.equal(config.stream_config_uri, '/etc/sluice/stream-config')
    assert.equal(config.client_ip_connection_limit, 2)
    assert.equal(config.redis?.url, 'redis://redis.sluice.svc:6379')
    const pod = deployment(objects, 'streams').spec.template.spec
    const container = pod.containers.find((c) => c.name === 'streams') as Container
    assert.deepEqual(container.args, ['streams', '--config', '/etc/sluice/config/config.yaml'])
    const streamConfigMap = findObject(objects, 'ConfigMap', '-stream-config')
    assert.equal(pod.volumes.find((v) => v.name === 'stream-config')?.configMap?.name, streamConfigMap.metadata.name)
    assert.equal(container.volumeMounts?.find((m) => m.name === 'stream-config')?.mountPath, '/etc/sluice/stream-config')

    // Without the gateway the stream service still gets the stream-config ConfigMap.
    const alone = await renderChart({ set: [...enabled, 'gateway.enabled=false', 'streamConfig.files.a\\.yaml.s.schema_title=t'] })
    assert.equal(alone.filter((object) => object.kind === 'Deployment').length, 1)
    assert.ok(findObject(alone, 'ConfigMap', '-stream-config').metadata.name !== '')
    assert.equal(configOf(alone, 'streams').stream_config_uri, '/etc/sluice/stream-config')

    assert.equal(configOf(await renderChart({ set: enabled }), 'streams').stream_config_uri, '/app/stream-config')
    const remote = await renderChart({ set: [...enabled, 'streamConfig.uri=https://meta.example.org/w/api.php', 'streamConfig.files.a\\.yaml.s.schema_title=t'] })
    assert.equal(configOf(remote, 'streams').stream_config_uri, 'https://meta.example.org/w/api.php')
    assert.equal(deployment(remote, 'streams').spec.template.spec.volumes.some((v) => v.name === 'stream-config'), false)
  })

  void test('shutdown: preStop sleep, then the open streams end before SIGKILL', async () => {
    for (const [files, grace] of [[[], 15], [valuesFiles['all features'], 20]] as const) {
      const objects = await renderChart({ valuesFiles: files, set: enabled })
      const pod = deployment(objects, 'streams').spec.template.spec
      const container = pod.containers.find((c) => c.name === 'streams') as Container
      const command = container.lifecycle?.preStop?.exec?.command ?? []
      assert.equal(command[0], 'sleep')
      const config = configOf(objects, 'streams') as { shutdown_grace_ms: number }
      assert.equal(pod.terminationGracePeriodSeconds, grace)
      assert.ok(config.shutdown_grace_ms > 0)
      assert.ok(Number(command[1]) * 1000 + config.shutdown_grace_ms < pod.terminationGracePeriodSeconds * 1000, 'the streams must end before SIGKILL')
    }
  })

  void test('a config change rolls the pods through the checksum annotation, nothing else does', async () => {
    const checksums = async (set: string[]): Promise<Record<string, string>> =>
      deployment(await renderChart({ set: [...enabled, ...set] }), 'streams').spec.template.metadata.annotations
    const base = await checksums([])
    assert.match(base['checksum/config'] ?? '', /^[0-9a-f]{64}$/)
    assert.notEqual((await checksums(['streams.config.client_ip_connection_limit=3']))['checksum/config'], base['checksum/config'])
    assert.notEqual((await checksums(['streams.topicPrefixes={eqiad.,codfw.}']))['checksum/config'], base['checksum/config'])
    assert.notEqual((await checksums(['streamConfig.files.a\\.yaml.s.schema_title=t']))['checksum/stream-config'], base['checksum/stream-config'])
    assert.deepEqual(await checksums(['streams.resources.requests.cpu=1']), base)
  })

  void test('autoscales on CPU, owning the replica count while enabled', async () => {
    const scaled = await renderChart({ set: enabled })
    assert.equal(deployment(scaled, 'streams').spec.replicas, undefined)
    const hpa = findObject(scaled, 'HorizontalPodAutoscaler', '-streams') as KubeObject & {
      spec: { scaleTargetRef: { name: string }, metrics: Array<{ type: string, resource?: { name: string } }> }
    }
    assert.equal(hpa.spec.scaleTargetRef.name, deployment(scaled, 'streams').metadata.name)
    assert.deepEqual(hpa.spec.metrics.map((m) => [m.type, m.resource?.name]), [['Resource', 'cpu']])
    const fixed = await renderChart({ set: [...enabled, 'streams.autoscaling.enabled=false', 'streams.replicaCount=3'] })
    assert.equal(deployment(fixed, 'streams').spec.replicas, 3)
    assert.equal(fixed.filter((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name.endsWith('-streams')).length, 0)
  })
})

interface MirrorSpec {
  version?: string
  replicas: number
  connectCluster: string
  clusters: Array<{ alias: string, bootstrapServers: string, config?: Record<string, unknown> }>
  mirrors: Array<{
    sourceCluster: string
    targetCluster: string
    topicsPattern: string
    groupsPattern?: string
    sourceConnector: { tasksMax: number, config: Record<string, unknown> }
    heartbeatConnector?: { config: Record<string, unknown> }
    checkpointConnector?: { config: Record<string, unknown> }
  }>
  resources: { requests?: Record<string, unknown>, limits?: Record<string, unknown> }
  metricsConfig?: { type: string, valueFrom: { configMapKeyRef: { name: string, key: string } } }
}

void describe('MirrorMaker 2 (Strimzi KafkaMirrorMaker2)', () => {
  const identity = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy'
  const others = { eqiad: 'codfw', codfw: 'eqiad' } as const

  function mirrorOf (objects: readonly KubeObject[]): KubeObject & { spec: MirrorSpec } {
    return findObject(objects, 'KafkaMirrorMaker2', '-mirror') as KubeObject & { spec: MirrorSpec }
  }

  void test('is absent unless mirror.enabled is set', async () => {
    for (const [name, files] of Object.entries(valuesFiles).filter(([name]) => name !== 'all features')) {
      const objects = await renderChart({ valuesFiles: files })
      const mirrorObjects = objects.filter((object) => object.kind === 'KafkaMirrorMaker2' || object.kind === 'PodMonitor' ||
        object.metadata.labels?.['app.kubernetes.io/component'] === 'mirror')
      assert.deepEqual(mirrorObjects.map(objectKey), [], `${name} values render the mirror`)
    }
    const values = yaml.load(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as { mirror: { enabled: boolean } }
    assert.equal(values.mirror.enabled, false)
  })

  void test('each datacenter\'s files name the other datacenter as the source, with its own brokers', async () => {
    for (const [dc, other] of Object.entries(others)) {
      const values = yaml.load(await readFile(join(chartDir, `values-${dc}.yaml`), 'utf8')) as {
        mirror: { enabled: boolean, sources: Array<{ datacenter: string, bootstrapServers: string[] }> }
      }
      const otherValues = yaml.load(await readFile(join(chartDir, `values-${other}.yaml`), 'utf8')) as { kafka: { brokers: string[] } }
      // Off in the example files: it needs the Strimzi operator, and one mirror per direction only.
      assert.equal(values.mirror.enabled, false)
      assert.deepEqual(values.mirror.sources, [{ datacenter: other, bootstrapServers: otherValues.kafka.brokers }])
    }
  })

  void test('enabled, each datacenter mirrors the other\'s prefix into its own cluster with the identity policy', async () => {
    for (const [dc, other] of Object.entries(others)) {
      const objects = await renderChart({ valuesFiles: [`values-${dc}.yaml`], set: ['mirror.enabled=true'] })
      const values = yaml.load(await readFile(join(chartDir, `values-${dc}.yaml`), 'utf8')) as { kafka: { brokers: string[] } }
      const otherValues = yaml.load(await readFile(join(chartDir, `values-${other}.yaml`), 'utf8')) as { kafka: { brokers: string[] } }
      const mirror = mirrorOf(objects)
      assert.equal(mirror.apiVersion, 'kafka.strimzi.io/v1beta2')
      assert.equal(mirror.metadata.labels?.['app.kubernetes.io/component'], 'mirror')
      const { spec } = mirror
      // The target is the local cluster, named after the datacenter; Connect keeps its topics there.
      assert.equal(spec.connectCluster, dc)
      assert.deepEqual(spec.clusters.map((c) => [c.alias, c.bootstrapServers]), [
        [dc, values.kafka.brokers.join(',')],
        [other, otherValues.kafka.brokers.join(',')]
      ])
      assert.deepEqual(spec.clusters[0]?.config, {
        'config.storage.replication.factor': 3, 'offset.storage.replication.factor': 3, 'status.storage.replication.factor': 3
      })
      assert.equal(spec.mirrors.length, 1)
      const [flow] = spec.mirrors
      assert.ok(flow !== undefined)
      assert.equal(flow.sourceCluster, other)
      assert.equal(flow.targetCluster, dc)
      // eqiad owns the legacy topics' bare names: its mirror copies them too (test/helm/topology.test.ts).
      assert.equal(flow.topicsPattern, other === 'eqiad' ? 'eqiad\\..*|eventlogging_.*' : `${other}\\..*`)
      const pattern = new RegExp(`^(?:${flow.topicsPattern})$`)
      assert.ok(pattern.test(`${other}.mediawiki.page_change.v1`))
      assert.ok(!pattern.test(`${dc}.mediawiki.page_change.v1`), 'the target\'s own topics would loop back')
      assert.ok(!pattern.test(`${other}x.stream`) && !pattern.test('heartbeats'))
      assert.deepEqual(flow.sourceConnector.config, {
        'replication.policy.class': identity,
        'replication.factor': 3,
        'offset-syncs.topic.replication.factor': 3,
        'sync.topic.acls.enabled': 'false',
        'refresh.topics.interval.seconds': 60
      })
      assert.equal(flow.sourceConnector.tasksMax, 4)
      assert.deepEqual(flow.heartbeatConnector?.config, { 'replication.policy.class': identity, 'heartbeats.topic.replication.factor': 3 })
      assert.equal(flow.checkpointConnector, undefined)
      assert.ok(spec.resources.requests?.cpu !== undefined && spec.resources.limits?.memory !== undefined)

      // The JMX exporter rules come from a ConfigMap of the chart, which kubernetes-validate checks.
      assert.equal(spec.metricsConfig?.type, 'jmxPrometheusExporter')
      const ref = spec.metricsConfig?.valueFrom.configMapKeyRef
      const rules = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === ref?.name) as (KubeObject & { data: Record<string, string> }) | undefined
      assert.ok(rules !== undefined, `no ConfigMap ${ref?.name}`)
      assert.equal(rules.data[ref?.key ?? ''], await readFile(join(chartDir, 'files', 'mirror-maker-2-metrics.yaml'), 'utf8'))
      const report = await validateAgainstKubernetesSchemas(objects.filter((object) => !isCustomResource(object)))
      assert.deepEqual(report.errors, [])

      // Scraped by the Strimzi pods' labels, with the datacenter label every Sluice series has.
      const monitor = findObject(objects, 'PodMonitor', '-mirror') as KubeObject & {
        spec: { selector: { matchLabels: Record<string, string> }, podMetricsEndpoints: Array<{ port: string, path: string, relabelings: unknown[] }> }
      }
      assert.deepEqual(monitor.spec.selector.matchLabels, { 'strimzi.io/kind': 'KafkaMirrorMaker2', 'strimzi.io/cluster': mirror.metadata.name })
      assert.deepEqual(monitor.spec.podMetricsEndpoints.map((e) => [e.port, e.path]), [['tcp-prometheus', '/metrics']])
      assert.deepEqual(monitor.spec.podMetricsEndpoints[0]?.relabelings, [{ action: 'replace', targetLabel: 'datacenter', replacement: dc }])
    }
  })

  void test('one mirror per source datacenter, with checkpoints, overrides and values passed through', async () => {
    const objects = await renderChart({ valuesFiles: valuesFiles['all features'], set: ['mirror.replicationFactor=2', 'mirror.refreshTopicsIntervalSeconds=30'] })
    const { spec } = mirrorOf(objects)
    assert.equal(spec.version, '3.9.0')
    assert.equal(spec.replicas, 2)
    assert.deepEqual(spec.mirrors.map((m) => [m.sourceCluster, m.targetCluster, m.topicsPattern]), [
      ['codfw', 'eqiad', 'codfw\\..*'],
      ['ulsfo', 'eqiad', 'ulsfo\\..*']
    ])
    for (const flow of spec.mirrors) {
      assert.equal(flow.sourceConnector.config['replication.policy.class'], identity)
      assert.equal(flow.sourceConnector.config['replication.factor'], 2)
      assert.equal(flow.sourceConnector.config['refresh.topics.interval.seconds'], 30)
      assert.equal(flow.sourceConnector.config['sync.topic.configs.interval.seconds'], 600)
      assert.equal(flow.groupsPattern, 'sluice-.*')
      assert.deepEqual(flow.checkpointConnector?.config, { 'replication.policy.class': identity, 'checkpoints.topic.replication.factor': 2 })
    }
    assert.deepEqual(spec.clusters[0]?.config?.['config.storage.replication.factor'], 2)

    const bare = await renderChart({ valuesFiles: ['values-eqiad.yaml'], set: ['mirror.enabled=true', 'mirror.metrics.enabled=false', 'mirror.heartbeats.enabled=false'] })
    assert.equal(mirrorOf(bare).spec.metricsConfig, undefined)
    assert.equal(mirrorOf(bare).spec.mirrors[0]?.heartbeatConnector, undefined)
    assert.ok(!bare.some((object) => object.metadata.name.endsWith('-mirror-metrics') || object.kind === 'PodMonitor'))
  })
})
