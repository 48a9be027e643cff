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
    // Long-running commands have closed what they could within their shutdown bound; what they
    // abandoned (a producer's sockets to a frozen broker) and timers from libraries must not keep
    // the process past it. Exit once what was written to stdout and stderr is out, or soon anyway.
    setTimeout(() => process.exit(), 250).unref()
    process.stdout.write('', () => { process.stderr.write('', () => process.exit()) })
  })
