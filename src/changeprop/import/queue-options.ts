import { isObject } from './data.js'
import type { Data } from './data.js'
import type { ImportReport } from './report.js'

// The options of the reference's /sys/queue module: its Kafka cluster, datacenters and the
// defaults of every rule (the rules themselves are rules.ts's).

export function importQueueOptions (options: Data, path: string, config: Data, report: ImportReport): void {
  const brokers = typeof options.metadata_broker_list === 'string' ? options.metadata_broker_list.split(',').map((b) => b.trim()).filter((b) => b !== '') : []
  config.kafka = { brokers }
  for (const [key, value] of Object.entries(options)) {
    const at = `${path}.${key}`
    switch (key) {
      case 'templates': break
      case 'metadata_broker_list': report.mapped(at, 'kafka.brokers', 'KAFKA_BROKERS overrides it'); break
      case 'uri': report.dropped(at, 'a ZooKeeper address: Sluice talks to the brokers (set kafka.brokers or KAFKA_BROKERS)'); break
      case 'dc_name':
        config.topic_prefix = `${String(value)}.`
        report.mapped(at, 'topic_prefix', 'topics are read and written as <dc_name>.<stream>')
        break
      case 'consume_dc':
      case 'produce_dc': importDcPrefix(options, at, config, report); break
      case 'concurrency':
      case 'blacklist':
      case 'disable_blacklist':
      case 'sample':
        config[key] = value
        report.mapped(at, key, 'the default of every rule')
        break
      case 'disable_ratelimit': report.mapped(at, 'rules.*.limiters', value === true ? 'limiters are left out of every rule' : 'limiters are kept'); break
      case 'disable_delayed_execution': report.mapped(at, 'rules.*.delay_until', value === true ? 'no rule waits for the delay_until of its events' : 'every rule waits for the delay_until of its events'); break
      case 'reenqueue_delay': importReenqueueDelay(value, at, config, report); break
      case 'producer': importProducer(value, at, config, report); break
      default: report.dropped(at, droppedQueueOption(key))
    }
  }
}

function importDcPrefix (options: Data, at: string, config: Data, report: ImportReport): void {
  if (typeof options.dc_name === 'string') {
    report.dropped(at, 'dc_name sets both sides')
    return
  }
  const produce = typeof options.produce_dc === 'string' ? options.produce_dc : 'datacenter1'
  const consume = typeof options.consume_dc === 'string' ? options.consume_dc : 'datacenter1'
  config.topic_prefix = `${produce}.`
  if (consume !== produce) config.consume_topic_prefixes = [`${consume}.`]
  report.mapped(at, consume === produce || at.endsWith('produce_dc') ? 'topic_prefix' : 'consume_topic_prefixes', 'topics are read from <consume_dc>. and written to <produce_dc>.')
}

function importProducer (value: unknown, at: string, config: Data, report: ImportReport): void {
  for (const [key, setting] of Object.entries(isObject(value) ? value : {})) {
    if ((key === 'linger.ms' || key === 'queue.buffering.max.ms') && Number.isInteger(Number(setting))) {
      config.kafka = { ...(config.kafka as Data), linger_ms: Number(setting) }
      report.mapped(`${at}.${key}`, 'kafka.linger_ms', 'how long a produced event waits for others to share its batch')
    } else {
      report.dropped(`${at}.${key}`, 'a librdkafka producer property; Sluice\'s producer settings are kafka.linger_ms, kafka.max_batch_records and kafka.produce_timeout_ms')
    }
  }
}

/**
 * The reference slept `reenqueue_delay` seconds on an event due later than that, then wrote it
 * back to its topic; Sluice holds a delayed event at most `delay_hold_max_ms`, then writes it
 * back to the end of its delay topic: the same setting, in milliseconds, within Sluice's bounds.
 */
function importReenqueueDelay (value: unknown, at: string, config: Data, report: ImportReport): void {
  if (typeof value !== 'number' || !(value > 0)) {
    report.dropped(at, 'not a number of seconds')
    return
  }
  config.delay_hold_max_ms = Math.min(86400000, Math.max(1000, Math.round(value * 1000)))
  report.mapped(at, 'delay_hold_max_ms', 'seconds become milliseconds (between 1 s and 1 day); a delayed event due later is held this long, then written back to the end of its delay topic')
}

function droppedQueueOption (key: string): string {
  switch (key) {
    case 'consumer': return 'librdkafka consumer properties; Sluice\'s consumer settings are kafka.fetch_max_bytes, kafka.session_timeout_ms and kafka.heartbeat_interval_ms'
    case 'startup_delay': return 'Sluice consumes as soon as every rule\'s consumers joined their groups'
    case 'test_mode': return 'no test mode: point kafka.brokers at a test cluster instead'
    case 'consumer_batch_size': return 'the consumer fetches by bytes (kafka.fetch_max_bytes)'
    case 'budgeteer': return 'no Sluice counterpart'
    default: return 'not a setting of the reference\'s /sys/queue module that Sluice knows'
  }
}
