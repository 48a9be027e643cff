import { request } from 'undici'
import type { Dispatcher } from 'undici'
import { CanaryGatewayAnswerError, CanaryGatewayUnreachableError } from './errors.js'

/** How one canary event fared at one gateway. */
export type CanaryResult = 'accepted' | 'invalid' | 'failed'

export interface PostedOutcome {
  stream: string
  result: CanaryResult
  /** The gateway's error code (or a canary one), when not accepted. */
  code?: string
  message?: string
}

export interface PostOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  userAgent: string
}

/** The longest answer body read: EventGate's answer lists each failed event, and canaries are small. */
const maxAnswerBytes = 4 * 1024 * 1024

/**
 * POSTs one stream's canary each (one array, as Wikimedia's job does) and reads EventGate's answer:
 * 201 and 202 accept every event; otherwise the `invalid` and `error` lists name the events that
 * failed (by their `meta.stream`), and the rest were accepted on a 207 and not on any other status.
 */
export async function postCanaryEvents (url: string, events: ReadonlyArray<{ stream: string, event: Record<string, unknown> }>, options: PostOptions): Promise<PostedOutcome[]> {
  let status: number
  let text: string
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      headers: { 'content-type': 'application/json', 'user-agent': options.userAgent },
      body: JSON.stringify(events.map((e) => e.event))
    })
    status = response.statusCode
    text = await readBounded(response.body)
  } catch (err) {
    const failure = new CanaryGatewayUnreachableError(url, err)
    return events.map(({ stream }) => ({ stream, result: 'failed', code: failure.code, message: failure.message }))
  }
  if (status === 201 || status === 202) return events.map(({ stream }) => ({ stream, result: 'accepted' }))
  const named = namedFailures(text)
  return events.map(({ stream }) => {
    const failure = named.get(stream)
    if (failure !== undefined) return { stream, ...failure }
    if (status === 207) return { stream, result: 'accepted' }
    const error = new CanaryGatewayAnswerError(url, status, named.size === 0 ? text.slice(0, 300) : '')
    return { stream, result: 'failed', code: error.code, message: error.message }
  })
}

async function readBounded (body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxAnswerBytes) break
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

interface Failure { result: CanaryResult, code?: string, message?: string }

/** The failed events of an EventGate answer body, by stream. */
function namedFailures (text: string): Map<string, Failure> {
  const failures = new Map<string, Failure>()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return failures
  }
  if (!isObject(body)) return failures
  for (const [list, result] of [['invalid', 'invalid'], ['error', 'failed']] as const) {
    const entries = body[list]
    if (!Array.isArray(entries)) continue
    for (const entry of entries as unknown[]) {
      if (!isObject(entry) || !isObject(entry.event) || !isObject(entry.event.meta)) continue
      const stream = entry.event.meta.stream
      if (typeof stream !== 'string') continue
      const context = isObject(entry.context) ? entry.context : {}
      const message = typeof context.errorsText === 'string' ? context.errorsText : typeof context.message === 'string' ? context.message : undefined
      failures.set(stream, {
        result,
        code: typeof context.code === 'string' ? context.code : result === 'invalid' ? 'SLUICE_ERR_EVENT_INVALID' : undefined,
        ...(message === undefined ? {} : { message })
      })
    }
  }
  return failures
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
