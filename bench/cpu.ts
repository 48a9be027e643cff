import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

// CPU time of the process under test (Linux: /proc/<pid>/stat), read from outside it. A rate on
// two shared cores moves with whatever else runs; the CPU spent per event moves much less, so
// each figure also reports it, to tell whether a change made the work itself cheaper.

/** Clock ticks per second of /proc's counters (getconf CLK_TCK; 100 on Linux x86_64). */
function ticksPerSecond (): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
}

const ticks = ticksPerSecond()

/** User plus system CPU seconds the process has used so far, its helper threads included. */
export async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
  // are fields 14 and 15 of the line, the 12th and 13th after the ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticks
}

/** CPU milliseconds per 1,000 `units` between two readings of cpuSeconds. */
export const cpuMsPer1k = (fromSec: number, toSec: number, units: number): number => units > 0 ? (toSec - fromSec) * 1e6 / units : Number.NaN
