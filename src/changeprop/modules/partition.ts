import { isChangeEvent } from '../decode.js'
import { TemplateRenderError } from '../errors.js'
import type { Render } from '../rules/template/index.js'
import { compileTemplateString } from '../rules/template/index.js'
import type { ModuleOutcome } from './module.js'

/**
 * Job partitioning (`POST /sys/partition/`, the reference's `sys/partitioner.js`): a copy of
 * the body's event goes to the partition stream (`partitioner.stream`, a template such as
 * `cpjobqueue.partitioned.{{message.meta.stream}}`), at the partition that
 * `partition_map` gives the value at `partition_key` (a dotted path, e.g. `database`), or
 * `partition_default`. Only `meta.stream` changes; `meta.id`, `meta.dt` and the rest are
 * kept. Rules on the partitioned stream then read each partition in order, so one wiki's
 * flood of jobs waits behind itself, not in front of every other wiki's.
 */
export interface PartitionerSettings {
  stream: string
  partition_key: string
  partition_map: Record<string, number>
  partition_default: number
}

export interface Partitioner {
  /** Partitions the stream needs: one more than the highest partition named. */
  readonly partitions: number
  /** The partition stream for events of `stream` (to create its topic at startup). */
  streamFor(stream: string): string | undefined
  partition(body: unknown): ModuleOutcome
}

/** Throws TemplateSyntaxError when the stream template does not parse. */
export function createPartitioner (settings: PartitionerSettings): Partitioner {
  const stream: Render = compileTemplateString(settings.stream)
  const path = settings.partition_key.split('.')
  const partitions = Math.max(settings.partition_default, ...Object.values(settings.partition_map)) + 1
  const failed = (message: string): ModuleOutcome => ({ kind: 'failed', result: { kind: 'render-failed', error: new TemplateRenderError(`/sys/partition/: ${message}`) } })
  return {
    partitions,
    streamFor (source) {
      try {
        const rendered = stream({ message: { meta: { stream: source } }, match: {} })
        return typeof rendered === 'string' && rendered !== '' ? rendered : undefined
      } catch {
        return undefined
      }
    },
    partition (body) {
      if (!isChangeEvent(body)) return failed('the body is not an event (an object with meta)')
      const event = structuredClone(body)
      let target: unknown
      try {
        target = stream({ message: event, match: {} })
      } catch (err) {
        if (err instanceof TemplateRenderError) return { kind: 'failed', result: { kind: 'render-failed', error: err } }
        throw err
      }
      if (typeof target !== 'string' || target === '') return failed('partitioner.stream rendered to no stream name')
      if (target === event.meta.stream) return failed(`the event is already on the partition stream '${target}'`)
      const value = valueAt(event, path)
      const mapped = typeof value === 'string' || typeof value === 'number' ? settings.partition_map[String(value)] : undefined
      const partition = mapped ?? settings.partition_default
      event.meta.stream = target
      return { kind: 'produce', records: [{ stream: target, event, partition }], stats: { module: 'partition', partition } }
    }
  }
}

function valueAt (event: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = event
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
