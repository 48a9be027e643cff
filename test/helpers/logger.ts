import { Writable } from 'node:stream'
import { createLogger } from '../../src/logger.js'
import type { Logger } from '../../src/logger.js'

/** A silent logger, or one at debug whose lines land in `lines` for assertions. */
export function testLogger (lines?: string[]): Logger {
  if (lines === undefined) return createLogger({ level: 'silent', name: 'test' })
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  return createLogger({ level: 'debug', name: 'test' }, sink)
}
