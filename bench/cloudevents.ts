import { cpuMsPer1k } from './cpu.js'
import { startGatewayProcess } from './gateway.js'
import { loadHttp } from './http-load.js'
import type { HttpLoadResult } from './http-load.js'
import type { Measure, Row } from './report.js'
import { sampleEvent } from './sample-event.js'
import type { Services } from './sluice-process.js'

// The CloudEvents intake against the EventGate intake of the same events: one `sluice gateway`
// process, wrk with 50 connections, each CloudEvents mode next to the EventGate body that carries
// the same events, measured one after the other in the same process.

const connections = 50
const group = 'cloudevents'

/** Event i as a CloudEvent: the sample event's `$schema` and stream become attributes, `data` is the rest. */
function cloudEvent (i: number): Record<string, unknown> {
  const { $schema, meta, ...rest } = sampleEvent(i) as { $schema: string, meta: Record<string, unknown> } & Record<string, unknown>
  const { stream, ...otherMeta } = meta
  return { specversion: '1.0', id: `bench-${i}`, source: '/bench', type: 'org.example.bench', time: '2026-01-01T00:00:00Z', dataschema: $schema, stream, data: { ...rest, meta: otherMeta } }
}

/** The EventGate form of event i as the CloudEvents path makes it (`meta.id` from the CloudEvent's `id`). */
function eventGateEvent (i: number): Record<string, unknown> {
  const event = sampleEvent(i) as { meta: Record<string, unknown> }
  return { ...event, meta: { ...event.meta, id: `bench-${i}` } }
}

interface Load { body: string, headers?: Record<string, string> }

const loads = {
  eventGate1: { body: JSON.stringify([eventGateEvent(0)]) },
  structured: { body: JSON.stringify(cloudEvent(0)), headers: { 'Content-Type': 'application/cloudevents+json' } },
  binary: {
    body: JSON.stringify((cloudEvent(0) as { data: unknown }).data),
    headers: { 'ce-specversion': '1.0', 'ce-id': 'bench-0', 'ce-source': '/bench', 'ce-type': 'org.example.bench', 'ce-time': '2026-01-01T00:00:00Z', 'ce-dataschema': '/test/event/1.0.0', 'ce-stream': 'test.event' }
  },
  eventGate10: { body: JSON.stringify(Array.from({ length: 10 }, (_, i) => eventGateEvent(i))) },
  batch: { body: JSON.stringify(Array.from({ length: 10 }, (_, i) => cloudEvent(i))), headers: { 'Content-Type': 'application/cloudevents-batch+json' } }
} satisfies Record<string, Load>

export async function benchCloudEvents (services: Services, durationSec: number): Promise<Row[]> {
  const gateway = await startGatewayProcess(services)
  const results: Partial<Record<keyof typeof loads, HttpLoadResult>> = {}
  try {
    for (const [name, load] of Object.entries(loads) as Array<[keyof typeof loads, Load]>) {
      results[name] = await loadHttp(`${gateway.url}/v1/events`, { ...load, durationSec, connections, pid: gateway.pid, workDir: services.workDir })
      if (results[name].failed > 0) console.error(`bench: cloudevents ${name}: ${results[name].failed} requests failed or were not answered 2xx`)
    }
  } finally {
    await gateway.stop()
  }
  const measure = (r: HttpLoadResult | undefined, eventsPerRequest = 1): Measure => ({
    value: (r?.requestsPerSec ?? 0) * eventsPerRequest,
    p50Ms: r?.p50Ms,
    p99Ms: r?.p99Ms,
    rssMb: r?.peakRssMb,
    cpuMsPer1k: r === undefined ? undefined : cpuMsPer1k(0, r.cpuSec, r.answered * eventsPerRequest)
  })
  // One event per request costs the HTTP request far more than the event: the CloudEvents path
  // should be within noise of the EventGate path. In batches the per-event costs show, and each
  // record carries nine headers more (the Kafka binding's ce_*), which the Kafka client encodes one
  // by one: about 16 µs of CPU per record here, more than the rest of the CloudEvents path.
  const single = { of: 'ratio', op: '>=', limit: 0.8 } as const
  return [
    { group, figure: 'CloudEvents structured, 1 event/request', unit: 'events/s', ...measure(results.structured), baseline: { name: 'EventGate form, same event', ...measure(results.eventGate1) }, target: single },
    { group, figure: 'CloudEvents binary, 1 event/request', unit: 'events/s', ...measure(results.binary), baseline: { name: 'EventGate form, same event', ...measure(results.eventGate1) }, target: single },
    { group, figure: 'CloudEvents batched, 10 events/request', unit: 'events/s', ...measure(results.batch, 10), baseline: { name: 'EventGate form, same 10 events', ...measure(results.eventGate10, 10) }, target: { of: 'ratio', op: '>=', limit: 0.5 } }
  ]
}
