import { compileRegex, isRegexPattern } from './rules/match.js'

/**
 * The static block list (`blacklist`), as in the reference: per domain, a list of page titles
 * or `/regex/` patterns. An event is blocked when its `meta.domain` has a list and its
 * percent-decoded `meta.uri` ends with `/<title>` (a title is itself percent-decoded first)
 * or matches one of the patterns. Bot dashboards and sandboxes edited thousands of times a
 * day are the use: their events are finished without running anything.
 */
export type BlacklistSpec = Readonly<Record<string, readonly string[]>>

/** Whether an event is blocked; undefined when the list is empty. */
export type BlacklistTest = (event: { meta: Record<string, unknown> }) => boolean

/** Throws a plain Error naming the bad entry (a regex that does not compile). */
export function compileBlacklist (spec: BlacklistSpec): BlacklistTest | undefined {
  const byDomain = new Map<string, RegExp>()
  for (const [domain, entries] of Object.entries(spec)) {
    if (entries.length === 0) continue
    const parts = entries.map((entry) => {
      if (isRegexPattern(entry)) return compileRegex(entry).regex.source
      return `/${escapeRegex(safeDecode(entry))}$`
    })
    byDomain.set(domain, new RegExp(parts.map((part) => `(?:${part})`).join('|')))
  }
  if (byDomain.size === 0) return undefined
  return (event) => {
    const { domain, uri } = event.meta
    if (typeof domain !== 'string' || typeof uri !== 'string') return false
    const regex = byDomain.get(domain)
    return regex !== undefined && regex.test(safeDecode(uri))
  }
}

function safeDecode (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function escapeRegex (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
