import type { ConsumedMessage, EventProducer } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { ChangepropMetrics, ChangepropSource } from '../metrics/changeprop.js'
import type { ChangeEvent, Decoded } from './decode.js'
import type { DedupeStore } from './dedupe.js'
import type { HttpExecutor } from './exec.js'
import type { LimiterStore } from './limiter.js'
import type { RuleMatch } from './rules/compile.js'
import type { TraceContext } from '../trace-context.js'
import type { ExecModules } from './modules/index.js'
import type { RuleThrottle } from './throttle.js'

/** One run of a rule for one event: the first attempt, or a retry read from the retry topic. */
export interface Attempt {
  source: ChangepropSource
  /** The topic the rule consumed (not the retry topic), without prefix. */
  topic: string
  message: ConsumedMessage
  /** The event the rule runs for. */
  event: ChangeEvent
  /** The event whose chain the next hop extends: the retry event on retries. */
  handled: ChangeEvent
  /** undefined on a first attempt (delayed or not). */
  retriesLeft: number | undefined
  found: RuleMatch
  /** `x-triggered-by` of what this attempt causes: the handled event's chain plus its hop. */
  chain: string
  /** The trace the message's record carried (`traceparent`), continued by what this attempt causes. */
  trace: TraceContext | undefined
}

/** What every rule runner is built from (one set per service). */
export interface RunnerDeps {
  service: string
  /** This datacenter's prefix (`eqiad.`): of every topic it writes (retries, errors, produced events). */
  topicPrefix: string
  /** The prefix of the topics the runner reads: its own, or another datacenter's it took over. Default: topicPrefix. */
  consumedPrefix?: string
  /** The prefix of the datacenter owning legacy streams' bare topic names (src/stream-config/topology.ts). Default: topicPrefix. */
  legacyTopicsHome?: string | undefined
  userAgent: string
  originOverride?: string | undefined
  maxChainLength: number
  producer: Pick<EventProducer, 'send'>
  http: HttpExecutor
  dedupe: DedupeStore
  limiter: LimiterStore
  metrics: ChangepropMetrics
  logger: Logger
  now?: () => number
  newId?: () => string
  /** First back-off when producing a retry or error event fails (src/backoff.ts). Default 100. */
  produceRetryDelayMs?: number
  /** Decodes a consumed message; shared by the rules of a service so each record is parsed once. Default: decodeEvent. */
  decode?: (message: ConsumedMessage) => Decoded
  /** Bytes of `raw_event` kept in the error event written when Kafka refused an event for good. */
  boundedRawEventMaxBytes: number
  /** The in-process modules; a rule calling one without it fails its events as a template error. */
  modules?: ExecModules
  /** The rule's throttle, shared by all its runners in the process (throttle.ts). Default: one of this runner's own. */
  throttle?: RuleThrottle
  /** The longest a delayed event waits in memory before it goes back to the end of its delay topic. Default 300000. */
  delayHoldMaxMs?: number
}
