import { readFile } from 'node:fs/promises'

// Resident memory of the process under test (Linux: /proc/<pid>/status), read from outside it,
// so that nothing in the service is added for the bench.

/** Resident set size of a process in MB (VmRSS). */
export async function rssMb (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)
  if (kb === null) throw new Error(`bench: no VmRSS for process ${pid}`)
  return Number(kb[1]) / 1024
}

export interface RssSampler {
  /** The highest reading so far, in MB. */
  peakMb(): number
  /** The latest reading, in MB. */
  lastMb(): number
  /** Stops sampling; answers the peak. */
  stop(): number
}

/** Reads the RSS of `pid` every `everyMs` until stopped; a process that has exited ends the sampling. */
export function sampleRss (pid: number, everyMs = 250): RssSampler {
  let peak = 0
  let last = 0
  let reading = false
  const read = (): void => {
    if (reading) return
    reading = true
    rssMb(pid).then((mb) => {
      last = mb
      peak = Math.max(peak, mb)
    }, () => { clearInterval(timer) }).finally(() => { reading = false })
  }
  const timer = setInterval(read, everyMs)
  read()
  return {
    peakMb: () => peak,
    lastMb: () => last,
    stop () {
      clearInterval(timer)
      return peak
    }
  }
}
