#!/usr/bin/env node
import { main } from '../cli/main.js'

// A wrapper (npm, tsx) forwards the Ctrl-C that the terminal already sent to the whole
// process group, so one key press can arrive twice within milliseconds. Only a signal that
// comes later than this is a second request, which skips the graceful shutdown.
const repeatWindowMs = 1000

// The only place that touches process signals and the exit code.
const stopSignal = new Promise<string>((resolve) => {
  let firstAt: number | undefined
  const onSignal = (signal: string): void => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < repeatWindowMs) return
      process.stderr.write(`sluice: second ${signal}, exiting now\n`)
      process.exit(130)
    }
    firstAt = Date.now()
    resolve(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
})

const onReload = (handler: () => void): void => { process.on('SIGHUP', handler) }

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), stopSignal, onReload })
  .then((code) => { process.exitCode = code })
  .catch((err: unknown) => {
    process.stderr.write(`sluice: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  })
  .finally(() => {
    // Long-running commands have closed their servers and clients by now; timers
    // from libraries must not keep a finished CLI alive.
    setTimeout(() => process.exit(), 2000).unref()
  })
