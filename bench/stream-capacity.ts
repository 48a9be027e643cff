import { readFile } from 'node:fs/promises'
import { cpuSeconds } from './cpu.js'
import { sleep } from './processes.js'
import type { Ipc } from './processes.js'
import type { ClientsReport } from './sse-clients.js'

// The fan-out's capacity: a fixed number of SSE clients on one stream, the events/s offered
// stepped up until a step no longer holds. A step holds when, over its measured window, the
// clients received at least 90 % of the deliveries offered (events/s × clients), the p99
// latency from production to receipt stayed within 1 s and no client was lost (the service
// disconnects a client that falls too far behind). The capacity is the highest step that held;
// the figure at 80 % of it is a step of its own at that load. The same search runs against the
// bare SSE server and the service, so that the two capacities compare.

/** What is searched: a server the clients connect to and the source of its events. */
export interface CapacityTarget {
  /** The server's process, whose CPU is read over each measured window. */
  pid: number
  /** Closes the clients there are, then opens `count` fresh ones and waits until each is served. */
  connect: (count: number) => Promise<void>
  /** Starts offering `rate` events/s. */
  start: (rate: number) => Promise<void>
  /** Stops the events; answers the events/s actually offered since `start`. */
  stop: () => Promise<number>
}

export interface CapacityOptions {
  clients: number
  /** Events/s of the first step. */
  firstRate: number
  /** Each next step offers this many times the events/s of the one before. */
  factor: number
  /** Measured seconds per step, after `warmUpMs`. */
  stepSec: number
  warmUpMs: number
  /** Steps at most before the search gives up (the capacity is then at least the last one). */
  maxSteps: number
  /** Halvings (geometric) of the gap between the last step that held and the first that did not. */
  refinements: number
}

export interface CapacityStep {
  /** Events/s asked for. */
  asked: number
  /** Events/s actually offered (the producer may fall short). */
  rate: number
  /** Deliveries/s offered: events/s actually produced × clients. */
  offered: number
  deliveriesPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** CPU of the server's process over the window, in cores. */
  serverCpu: number
  /** CPU of the clients' process over the window, in cores (1 is all of its event loop). */
  clientCpu: number
  /** Share of all the machine's cores busy over the window (whatever ran on them). */
  machineBusy: number
  lost: number
  held: boolean
  /** Why a step did not hold. */
  why: string
}

export interface Capacity {
  steps: CapacityStep[]
  /** The highest step that held; undefined when even the first did not. */
  best: CapacityStep | undefined
  /** The first step that did not hold above `best`; undefined when the search ran out of steps. */
  limit: CapacityStep | undefined
  /** The step at 80 % of `best`'s events/s. */
  at80: CapacityStep | undefined
  /**
   * The clients' process may have been the limit (its CPU near a whole core at a step that did
   * not hold, or the search ran out of steps): the capacity is then a lower bound of the server's.
   */
  clientBound: boolean
  /**
   * The machine's cores were the limit: at the step that ended the search they were nearly all
   * busy while the server's process used well under a core (the broker, the producer, the
   * clients or other work had the rest). The capacity is then the machine's, not the server's.
   */
  machineBound: boolean
}

/** The clients' process counts as saturated from this share of a core. */
const CLIENT_SATURATED = 0.9
/** The machine counts as saturated from this share of all its cores busy. */
const MACHINE_SATURATED = 0.95

export const heldLatencyMs = 1000
export const heldShare = 0.9

/** The machine's busy and total CPU time so far, from /proc/stat's first line (clock ticks). */
async function machineTicks (): Promise<{ busy: number, total: number }> {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/)
  const ticks = fields.slice(0, 8).map(Number)
  const total = ticks.reduce((a, b) => a + b, 0)
  return { busy: total - ticks[3]! - ticks[4]!, total }
}

async function measureStep (clients: Ipc, target: CapacityTarget, asked: number, count: number, options: CapacityOptions): Promise<CapacityStep> {
  await target.start(asked)
  let rate: number
  let report: ClientsReport
  let cpu: number
  let machineBusy: number
  try {
    await sleep(options.warmUpMs)
    await clients.ask({ cmd: 'reset' })
    const cpu0 = await cpuSeconds(target.pid)
    const machine0 = await machineTicks()
    await sleep(options.stepSec * 1000)
    report = await clients.ask<ClientsReport>({ cmd: 'report' })
    cpu = await cpuSeconds(target.pid) - cpu0
    const machine1 = await machineTicks()
    machineBusy = (machine1.busy - machine0.busy) / (machine1.total - machine0.total)
  } finally {
    rate = await target.stop()
  }
  const offered = rate * count
  const deliveriesPerSec = report.deliveries / (report.elapsedMs / 1000)
  const why = [
    report.lost > 0 ? `${report.lost} clients lost` : '',
    deliveriesPerSec < heldShare * offered ? `${(100 * deliveriesPerSec / offered).toFixed(0)} % of the offered deliveries` : '',
    !(report.p99Ms <= heldLatencyMs) ? `p99 ${report.p99Ms} ms` : ''
  ].filter((w) => w !== '').join(', ')
  return {
    asked,
    rate,
    offered,
    deliveriesPerSec,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    maxMs: report.maxMs,
    serverCpu: cpu / (report.elapsedMs / 1000),
    clientCpu: report.cpuMs / report.elapsedMs,
    machineBusy,
    lost: report.lost,
    held: why === '',
    why
  }
}

/** Steps the offered events/s up until a step does not hold, refines the gap, then measures 80 % of the capacity. */
export async function searchCapacity (clients: Ipc, target: CapacityTarget, options: CapacityOptions, log: (step: CapacityStep) => void): Promise<Capacity> {
  const steps: CapacityStep[] = []
  const step = async (rate: number): Promise<CapacityStep> => {
    const measured = await measureStep(clients, target, rate, options.clients, options)
    steps.push(measured)
    log(measured)
    return measured
  }
  await target.connect(options.clients)
  let best: CapacityStep | undefined
  let limit: CapacityStep | undefined
  let rate = options.firstRate
  for (let i = 0; i < options.maxSteps; i++) {
    const measured = await step(rate)
    if (!measured.held) {
      limit = measured
      break
    }
    best = measured
    rate = Math.round(rate * options.factor)
  }
  // A step that did not hold leaves a backlog and lost clients behind: fresh clients for each next one.
  let upper = limit
  for (let i = 0; i < options.refinements && best !== undefined && upper !== undefined; i++) {
    await target.connect(options.clients)
    const measured = await step(Math.round(Math.sqrt(best.asked * upper.asked)))
    if (measured.held) best = measured
    else upper = measured
  }
  let at80: CapacityStep | undefined
  if (best !== undefined) {
    if (limit !== undefined) await target.connect(options.clients)
    at80 = await step(Math.max(1, Math.round(0.8 * best.asked)))
  }
  const stopper = upper ?? limit
  return {
    steps,
    best,
    limit: stopper,
    at80,
    clientBound: stopper === undefined || steps.some((s) => !s.held && s.clientCpu >= CLIENT_SATURATED),
    machineBound: stopper !== undefined && stopper.machineBusy >= MACHINE_SATURATED && stopper.serverCpu < CLIENT_SATURATED
  }
}

/** One step as a line of the bench's output. */
export function stepLine (name: string, s: CapacityStep): string {
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`
  const short = s.rate < heldShare * s.asked ? ` (asked ${s.asked}: the producer fell short)` : ''
  return `  ${name}: ${s.rate.toFixed(0)} events/s${short} → ${s.deliveriesPerSec.toFixed(0)} of ${s.offered.toFixed(0)} deliveries/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms; CPU: server ${pct(s.serverCpu)}, clients' ${pct(s.clientCpu)} of a core, machine ${pct(s.machineBusy)} busy; ${s.held ? 'held' : `did not hold (${s.why})`}`
}
