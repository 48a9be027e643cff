/**
 * EventStreams' page redaction (T354456): for configured pages, the stream leaves out who acted.
 * Titles are compared normalised on both sides: trimmed, runs of spaces and underscores as one
 * `_`, lowercased.
 */
export type Redactor = (event: Record<string, unknown>) => Record<string, unknown> | undefined

export function normaliseTitle (title: string): string {
  return title.trim().replace(/[\s_]+/g, '_').toLowerCase()
}

/** Undefined when nothing is configured, so the hot path has nothing to call. */
export function createRedactor (pages: Readonly<Record<string, readonly string[]>>): Redactor | undefined {
  const byDomain = new Map<string, Set<string>>()
  for (const [domain, titles] of Object.entries(pages)) {
    if (titles.length > 0) byDomain.set(domain, new Set(titles.map(normaliseTitle)))
  }
  if (byDomain.size === 0) return undefined
  return (event) => {
    const meta = objectAt(event, 'meta')
    const titles = byDomain.get(String(meta?.domain ?? ''))
    if (titles === undefined) return undefined
    const stream = String(meta?.stream ?? '')
    const title = titleOf(event, stream)
    if (title === undefined || !titles.has(normaliseTitle(title))) return undefined
    return redacted(structuredClone(event), stream)
  }
}

function titleOf (event: Record<string, unknown>, stream: string): string | undefined {
  const candidates = stream === 'mediawiki.recentchange' ? [event.title] : [event.page_title, objectAt(event, 'page')?.page_title]
  return candidates.find((c): c is string => typeof c === 'string')
}

function redacted (event: Record<string, unknown>, stream: string): Record<string, unknown> {
  if (stream === 'mediawiki.page_change.v1') {
    event.performer = {}
    delete objectAt(event, 'revision')?.editor
    delete objectAt(objectAt(event, 'prior_state'), 'revision')?.editor
  } else if (stream === 'mediawiki.recentchange') {
    delete event.user
  } else {
    delete event.performer
  }
  return event
}

function objectAt (value: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const child = value?.[key]
  return child !== null && typeof child === 'object' && !Array.isArray(child) ? child as Record<string, unknown> : undefined
}
