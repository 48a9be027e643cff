import { createHash } from 'node:crypto'
import type { StepResult } from '../outcome.js'

/**
 * What an in-process module (links, purge, partition) asks the step runner to do: produce
 * these events (in one send, so a page of dependants and its continuation succeed or fail
 * together), or fail the step with this result (retried like any exec failure).
 */
export type ModuleOutcome =
  | { kind: 'produce', records: ModuleRecord[], stats?: ModuleStats }
  | { kind: 'failed', result: StepResult }

export interface ModuleRecord {
  /** The stream of the event; its topic is named by src/stream-config/topology.ts. */
  stream: string
  event: Record<string, unknown> & { meta: Record<string, unknown> }
  /** A fixed partition (the partitioner); otherwise the producer picks one. */
  partition?: number
  /** Loop protection is not asked for a continuation, which repeats its walk's hop by design. */
  continuation?: boolean
}

/** Counted once the records are acknowledged. */
export interface ModuleStats {
  module: string
  dependants?: number
  continued?: boolean
  /** Continuations followed to reach the page just fetched (0 for the first page). */
  depth?: number
  purges?: number
  partition?: number
}

/**
 * A UUID made from `parts`, the same every time: an event a module produces again (its step
 * ran again after a crash or a retry) has the same `meta.id`, so the rules consuming it
 * deduplicate the copy.
 */
export function stableId (...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('\u0000')).digest('hex')
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`
}
