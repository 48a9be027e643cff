// A wrapper (npm, tsx) forwards the Ctrl-C that the terminal already sent to the whole
// process group, so one key press can arrive twice within milliseconds. Only a signal that
// comes later than this is a second request, which skips the graceful shutdown.
const repeatWindowMs = 1000

/**
 * The process's stop and reload requests, as the shell takes them: `stopSignal` resolves at the
 * first SIGINT/SIGTERM; a second one, later than a repeat of the first, exits at once (130).
 * The only place that listens to process signals.
 */
export function processSignals (): { stopSignal: Promise<string>, onReload: (handler: () => void) => void } {
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
  return { stopSignal, onReload: (handler) => { process.on('SIGHUP', handler) } }
}
