import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { compressionCodecs } from '../src/kafka/index.js'
import type { CompressionCodec } from '../src/kafka/index.js'
import type { LocalBrokerSecurity } from '../src/local-kafka/index.js'
import { cpuMsPer1k, cpuSeconds } from './cpu.js'
import { startGatewayProcess } from './gateway.js'
import { wrk } from './http-load.js'
import type { Row } from './report.js'
import { sampleEvent } from './sample-event.js'
import type { Services } from './sluice-process.js'

// What each kafka.compression codec costs and saves: the gateway in its own process with one
// codec, wrk posting 10 events per request, and for the measured run the bytes the gateway's
// process sent to the broker (TCP payload, `bytes_acked` of its sockets to the broker's port,
// from `ss -ti`) and the CPU it spent, both per 1,000 events. One more run with snappy over the
// secured broker's SASL_SSL listener (TLS and SCRAM-SHA-512), with the kafka section every
// service takes, shows what TLS costs.

const group = 'codecs'
const eventsPerRequest = 10
const connections = 50
const run = promisify(execFile)

export interface CodecFigure {
  codec: CompressionCodec
  listener: 'PLAINTEXT' | 'SASL_SSL'
  eventsPerSec: number
  wireBytesPer1k: number
  cpuMsPer1k: number
  failed: number
}

/** Bytes `pid` has sent and had acknowledged on its TCP connections to `port`, summed. */
async function bytesSentTo (pid: number, port: number): Promise<number> {
  const { stdout } = await run('ss', ['-tinpH', 'state', 'established', `( dport = :${port} )`], { maxBuffer: 16 * 1024 * 1024 })
  const lines = stdout.split('\n')
  let bytes = 0
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes(`pid=${pid},`)) continue
    const acked = /bytes_acked:(\d+)/.exec(lines[i + 1] ?? '')
    if (acked !== null) bytes += Number(acked[1])
  }
  return bytes
}

async function measure (services: Services, codec: CompressionCodec, listener: CodecFigure['listener'], kafka: Record<string, unknown>, durationSec: number): Promise<CodecFigure> {
  const brokers = kafka.brokers as string[]
  const port = Number(brokers[0]!.split(':')[1])
  const gateway = await startGatewayProcess({ ...services, brokers }, { compression: codec, ...kafka })
  try {
    const url = `${gateway.url}/v1/events`
    const body = JSON.stringify(Array.from({ length: eventsPerRequest }, (_, i) => sampleEvent(i)))
    await wrk(url, { body, durationSec: 2, connections, workDir: services.workDir })
    const [bytesBefore, cpuBefore] = [await bytesSentTo(gateway.pid, port), await cpuSeconds(gateway.pid)]
    const result = await wrk(url, { body, durationSec, connections, workDir: services.workDir })
    const [bytesAfter, cpuAfter] = [await bytesSentTo(gateway.pid, port), await cpuSeconds(gateway.pid)]
    const events = result.answered * eventsPerRequest
    return {
      codec,
      listener,
      eventsPerSec: result.requestsPerSec * eventsPerRequest,
      wireBytesPer1k: events > 0 ? (bytesAfter - bytesBefore) * 1000 / events : Number.NaN,
      cpuMsPer1k: cpuMsPer1k(cpuBefore, cpuAfter, events),
      failed: result.failed
    }
  } finally {
    await gateway.stop()
  }
}

export async function benchCodecs (services: Services, security: LocalBrokerSecurity | undefined, durationSec: number): Promise<CodecFigure[]> {
  const figures: CodecFigure[] = []
  for (const codec of compressionCodecs) {
    figures.push(await measure(services, codec, 'PLAINTEXT', { brokers: services.brokers }, durationSec))
  }
  if (security !== undefined) {
    const scram = {
      brokers: [security.saslSsl],
      ssl: { ca_file: security.caFile },
      sasl: { mechanism: 'SCRAM-SHA-512', username: security.scramUser.username, password_file: security.scramUser.passwordFile }
    }
    figures.push(await measure(services, 'snappy', 'SASL_SSL', scram, durationSec))
  }
  for (const f of figures) if (f.failed > 0) console.error(`bench: codec ${f.codec} over ${f.listener}: ${f.failed} requests failed or were not answered 2xx`)
  return figures
}

/** The figures as rows of the one table: each codec next to none, the SASL_SSL run next to the same codec in plaintext. */
export function codecRows (figures: readonly CodecFigure[]): Row[] {
  const plain = (codec: CompressionCodec): CodecFigure | undefined => figures.find((f) => f.codec === codec && f.listener === 'PLAINTEXT')
  return figures.map((f) => {
    const base = f.listener === 'SASL_SSL' ? plain(f.codec) : plain('none')
    const isBase = base === f
    return {
      group,
      figure: `gateway ${eventsPerRequest} events/request, ${f.codec}${f.listener === 'SASL_SSL' ? ' over SASL_SSL (SCRAM-SHA-512)' : ''}`,
      unit: 'wire bytes/1k events',
      value: f.wireBytesPer1k,
      cpuMsPer1k: f.cpuMsPer1k,
      ...(base === undefined || isBase ? {} : { baseline: { name: f.listener === 'SASL_SSL' ? `${f.codec} over PLAINTEXT` : 'none', value: base.wireBytesPer1k, cpuMsPer1k: base.cpuMsPer1k } }),
      digits: 0
    }
  })
}

/** The codec table: bytes on the wire and CPU per 1,000 events, and the rate, per codec. */
export function formatCodecTable (figures: readonly CodecFigure[]): string {
  const none = figures.find((f) => f.codec === 'none' && f.listener === 'PLAINTEXT')
  const header = ['codec', 'listener', 'wire KB/1k events', 'vs none', 'gateway CPU ms/1k events', 'events/s']
  const body = figures.map((f) => [
    f.codec,
    f.listener,
    (f.wireBytesPer1k / 1024).toFixed(1),
    none === undefined ? '-' : (f.wireBytesPer1k / none.wireBytesPer1k).toFixed(3),
    f.cpuMsPer1k.toFixed(0),
    f.eventsPerSec.toFixed(0)
  ])
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => line[i]!.length)))
  return [header, ...body].map((line) => line.map((cell, i) => i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join('  ')).join('\n')
}
