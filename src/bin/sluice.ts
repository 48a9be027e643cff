#!/usr/bin/env node
import { main } from '../cli/main.js'
import { processSignals } from '../service/signals.js'

// The only place that sets the exit code; the signals are the shell's (service/signals.ts).
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), ...processSignals() })
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
