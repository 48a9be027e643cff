import { request } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { waitFor } from './wait.js'

/** One dispatched Server-Sent Event, as an EventSource would see it. */
export interface SseEvent { event: string, id: string | undefined, data: string }

export interface StreamClient {
  status: number
  headers: IncomingHttpHeaders
  /** Every byte received, as text. */
  readonly raw: string
  events: SseEvent[]
  /** Comment lines (without the leading colon). */
  comments: string[]
  /** The last id received (what an EventSource would send as Last-Event-ID). */
  readonly lastId: string | undefined
  /** Data of `event: message` events, parsed. */
  messages(): Array<Record<string, unknown>>
  waitForMessages(count: number, timeoutMs?: number): Promise<void>
  /** Resolves when the server ended the response. */
  ended: Promise<void>
  readonly isEnded: boolean
  close(): void
}

/**
 * Opens a stream over a real HTTP connection and parses the body as it arrives, with the
 * event-stream rules of the HTML standard (fields, comments, blank-line dispatch).
 */
export async function openStream (url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers })
    req.once('error', reject)
    req.once('response', (res) => {
      let raw = ''
      let buffer = ''
      let lastId: string | undefined
      let isEnded = false
      const events: SseEvent[] = []
      const comments: string[] = []
      let pending: { event: string, id: string | undefined, data: string[] } = { event: '', id: undefined, data: [] }
      let resolveEnded: () => void = () => {}
      const ended = new Promise<void>((r) => { resolveEnded = r })
      const onLine = (line: string): void => {
        if (line === '') {
          if (pending.id !== undefined) lastId = pending.id
          if (pending.data.length > 0) events.push({ event: pending.event === '' ? 'message' : pending.event, id: pending.id ?? lastId, data: pending.data.join('\n') })
          pending = { event: '', id: undefined, data: [] }
          return
        }
        if (line.startsWith(':')) { comments.push(line.slice(1)); return }
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') pending.event = value
        else if (field === 'id') pending.id = value
        else if (field === 'data') pending.data.push(value)
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        raw += chunk
        buffer += chunk
        let nl: number
        while ((nl = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, nl).replace(/\r$/, ''))
          buffer = buffer.slice(nl + 1)
        }
      })
      const finish = (): void => { isEnded = true; resolveEnded() }
      res.once('end', finish)
      res.once('close', finish)
      res.once('error', finish)
      const client: StreamClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get raw () { return raw },
        events,
        comments,
        get lastId () { return lastId },
        messages: () => events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as Record<string, unknown>),
        async waitForMessages (count, timeoutMs = 20000) {
          await waitFor(`${count} messages (have ${client.messages().length})`, () => events.filter((e) => e.event === 'message').length >= count, timeoutMs)
        },
        ended,
        get isEnded () { return isEnded },
        close () { req.destroy() }
      }
      resolve(client)
    })
    req.end()
  })
}

/** Reads newline-delimited JSON lines of a stream opened with Accept: application/json. */
export function ndjsonLines (raw: string): Array<Record<string, unknown>> {
  return raw.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}
