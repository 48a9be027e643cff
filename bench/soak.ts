import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createTopics } from '../src/kafka/index.js'
import { revisionProducer, revisionTopic, seedRule } from './changeprop-events.js'
import { startChangepropProcess } from './changeprop-process.js'
import { startGatewayProcess } from './gateway.js'
import { wrk } from './http-load.js'
import { sleep } from './processes.js'
import type { Row } from './report.js'
import type { Services } from './sluice-process.js'
import { sampleRss } from './rss.js'
import type { RssSampler } from './rss.js'
import { sampleEvent } from './sample-event.js'
import { startSink } from './sink-client.js'

// `npm run bench -- --soak`: the gateway (1 event/request, guaranteed, 50 connections) and change
// propagation (the seed rule, kept busy) under load at the same time for BENCH_SOAK_MINUTES
// (default 10), each in its own process; their RSS after the first minute against at the end.

const group = 'soak'
const mb = (x: number): string => `${x.toFixed(0)} MB`

interface SoakRun { rate: number, p50Ms?: number, p99Ms?: number, firstMb: number, lastMb: number, peakMb: number }

/** RSS readings of `pid` at `firstSec` and just before `totalSec`, and the peak; `run` is the load. */
async function withRss (pid: number, firstSec: number, run: (rss: RssSampler) => Promise<Omit<SoakRun, 'firstMb' | 'lastMb' | 'peakMb'>>): Promise<SoakRun> {
  const rss = sampleRss(pid, 1000)
  let firstMb = Number.NaN
  const first = setTimeout(() => { firstMb = rss.lastMb() }, firstSec * 1000)
  try {
    const result = await run(rss)
    return { ...result, firstMb, lastMb: rss.lastMb(), peakMb: rss.peakMb() }
  } finally {
    clearTimeout(first)
    rss.stop()
  }
}

async function soakGateway (services: Services, totalSec: number, firstSec: number): Promise<SoakRun> {
  const gateway = await startGatewayProcess(services)
  try {
    return await withRss(gateway.pid, firstSec, async (rss) => {
      const progress = setInterval(() => { console.error(`soak: gateway RSS ${mb(rss.lastMb())}`) }, 60000)
      try {
        const result = await wrk(`${gateway.url}/v1/events`, { body: JSON.stringify([sampleEvent(1)]), connections: 50, durationSec: totalSec, workDir: services.workDir })
        if (result.failed > 0) console.error(`bench: soak: ${result.failed} gateway requests failed or were not answered 2xx`)
        await sleep(1000) // one more reading after the last request
        return { rate: result.requestsPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms }
      } finally {
        clearInterval(progress)
      }
    })
  } finally {
    await gateway.stop()
  }
}

/** The seed rule over a topic kept 20,000 to 40,000 events ahead of the sink. */
async function soakChangeprop (services: Services, totalSec: number, firstSec: number): Promise<SoakRun> {
  const { brokers } = services
  const logger = pino({ level: 'warn' })
  const topicPrefix = `bench${randomUUID().slice(0, 8)}.`
  const topic = `${topicPrefix}${revisionTopic}`
  await createTopics(brokers, [{ name: topic, partitions: 1 }], { logger })
  const producer = await revisionProducer(brokers, topic, logger)
  const sink = await startSink()
  try {
    let produced = 40000
    await producer.produce(0, produced)
    const service = await startChangepropProcess(services, { topicPrefix, sinkUrl: sink.url, rules: { page_edit: seedRule } })
    try {
      return await withRss(service.pid, firstSec, async (rss) => {
        const deadline = Date.now() + totalSec * 1000
        let nextProgress = Date.now() + 60000
        while (Date.now() < deadline) {
          const { served } = await sink.report()
          if (produced - served < 20000) {
            await producer.produce(produced, 20000)
            produced += 20000
          }
          if (Date.now() >= nextProgress) {
            console.error(`soak: changeprop RSS ${mb(rss.lastMb())}, ${served} executions`)
            nextProgress += 60000
          }
          await sleep(200)
        }
        const report = await sink.report()
        return { rate: (report.served - 1) / ((report.lastMs - report.firstMs) / 1000) }
      })
    } finally {
      await service.stop()
    }
  } finally {
    await sink.stop()
    await producer.close()
  }
}

export async function soak (services: Services, minutes: number): Promise<Row[]> {
  const totalSec = Math.round(minutes * 60)
  const firstSec = Math.min(60, totalSec / 2)
  const at = (sec: number): string => sec % 60 === 0 ? `${sec / 60} min` : `${sec} s`
  console.error(`soak: ${at(totalSec)}; RSS read at ${at(firstSec)} and at the end`)
  const [gateway, changeprop] = await Promise.all([
    soakGateway(services, totalSec, firstSec),
    soakChangeprop(services, totalSec, firstSec)
  ])
  return [
    { group, figure: `gateway guaranteed 1 event/request over ${at(totalSec)}`, unit: 'events/s', value: gateway.rate, p50Ms: gateway.p50Ms, p99Ms: gateway.p99Ms, rssMb: gateway.peakMb },
    { group, figure: `gateway RSS at ${at(totalSec)}`, unit: 'MB', value: gateway.lastMb, rssMb: gateway.peakMb, baseline: { name: `gateway RSS at ${at(firstSec)}`, value: gateway.firstMb }, target: { of: 'value', op: '<=', limit: 150 } },
    { group, figure: `changeprop 1 rule over ${at(totalSec)}`, unit: 'executions/s', value: changeprop.rate, rssMb: changeprop.peakMb },
    { group, figure: `changeprop RSS at ${at(totalSec)}`, unit: 'MB', value: changeprop.lastMb, rssMb: changeprop.peakMb, baseline: { name: `changeprop RSS at ${at(firstSec)}`, value: changeprop.firstMb }, target: { of: 'value', op: '<=', limit: 200 } }
  ]
}
