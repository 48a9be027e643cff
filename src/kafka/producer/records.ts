import type { MessageToProduce } from '@platformatic/kafka'
import type { CompressionCodec } from '../options.js'

export interface ProduceRecord {
  topic: string
  key: string | null
  value: string | Buffer
  /** Milliseconds since the epoch; the broker's append time when absent. */
  timestamp?: number
  headers?: Record<string, string>
  /** A fixed partition of the topic; otherwise the partitioner picks one. */
  partition?: number
  /** The codec of the record's batch (a stream's own); the producer's `compression` when absent. */
  compression?: CompressionCodec
}

/** A record as the client takes it: the producer's serializers turn strings into bytes. */
export type ClientMessage = MessageToProduce<string, string | Buffer, string, string>

/** The bytes of keys, values and headers a record adds to its batch (what `maxBatchBytes` counts). */
export function recordBytes (record: ProduceRecord): number {
  let bytes = Buffer.byteLength(record.value) + (record.key === null ? 0 : Buffer.byteLength(record.key))
  const headers = record.headers
  if (headers !== undefined) {
    for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string)
  }
  return bytes
}

/** The records of `sends` as client messages, by the codec each goes with. */
export function messagesByCodec (sends: ReadonlyArray<{ records: readonly ProduceRecord[] }>, fallback: CompressionCodec): Map<CompressionCodec, ClientMessage[]> {
  const byCodec = new Map<CompressionCodec, ClientMessage[]>()
  for (const send of sends) {
    for (const record of send.records) {
      const codec = record.compression ?? fallback
      let messages = byCodec.get(codec)
      if (messages === undefined) {
        messages = []
        byCodec.set(codec, messages)
      }
      messages.push(toMessage(record))
    }
  }
  return byCodec
}

function toMessage (record: ProduceRecord): ClientMessage {
  return {
    topic: record.topic,
    key: record.key ?? undefined,
    value: record.value,
    timestamp: record.timestamp === undefined ? undefined : BigInt(record.timestamp),
    headers: record.headers,
    partition: record.partition
  }
}
