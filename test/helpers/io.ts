import { PassThrough } from 'node:stream'
import type { CliIO } from '../../src/cli/io.js'

/** A CLI's streams and signals for a test: what it wrote, and stop/reload requests to send it. */
export interface CapturedIO {
  io: CliIO
  out: () => string
  err: () => string
  /** Resolves the stop signal, as SIGINT/SIGTERM would. */
  stop: (signal: string) => void
  /** Calls the reload handler, as SIGHUP would. */
  reload: () => void
}

export function captureIO (env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CapturedIO {
  let stop: (signal: string) => void = () => {}
  let reload: () => void = () => {}
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const stopSignal = new Promise<string>((resolve) => { stop = resolve })
  return {
    io: { stdout, stderr, env, cwd, stopSignal, onReload: (handler) => { reload = handler } },
    out: () => out,
    err: () => err,
    stop: (signal) => { stop(signal) },
    reload: () => { reload() }
  }
}
