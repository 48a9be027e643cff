// The one table every figure of `npm run bench` ends in, and the same figures as one JSON
// document for `--json`. A row is a figure measured in this run next to its baseline measured in
// the same run; the ratio is figure / baseline. A target is on the ratio or on the value itself.

export interface Measure {
  value: number
  p50Ms?: number
  p99Ms?: number
  /** Peak RSS of the process under test during the load. */
  rssMb?: number
  /** CPU milliseconds the process under test spent per 1,000 of the figure's events (requests, executions) while measured. */
  cpuMsPer1k?: number
  /** The machine's 1-minute load average when the figure was measured (a shared machine moves every figure). */
  loadAverage?: number
}

export interface Target { of: 'ratio' | 'value', op: '>=' | '<=', limit: number }

export interface Row extends Measure {
  group: string
  figure: string
  unit: string
  baseline?: Measure & { name: string }
  target?: Target
  /** Decimals for the values; default 0. */
  digits?: number
}

export interface JsonRow extends Row {
  ratio: number | null
  /** The target as printed, e.g. `ratio >= 0.8`. */
  targetText: string | null
  holds: boolean | null
}

const ratioOf = (row: Row): number | undefined => row.baseline === undefined ? undefined : row.value / row.baseline.value

export function targetText (target: Target): string {
  return `${target.of === 'ratio' ? 'ratio ' : ''}${target.op === '>=' ? '≥' : '≤'} ${target.limit}`
}

export function holds (row: Row): boolean | undefined {
  if (row.target === undefined) return undefined
  const measured = row.target.of === 'ratio' ? ratioOf(row) : row.value
  if (measured === undefined || !Number.isFinite(measured)) return false
  return row.target.op === '>=' ? measured >= row.target.limit : measured <= row.target.limit
}

export function jsonRow (row: Row): JsonRow {
  const ratio = ratioOf(row)
  return {
    ...row,
    ratio: ratio === undefined || !Number.isFinite(ratio) ? null : ratio,
    targetText: row.target === undefined ? null : targetText(row.target),
    holds: holds(row) ?? null
  }
}

/** Column titles; the text ones are left-aligned, the numbers right-aligned. */
const columns = [
  { title: 'figure', left: true },
  { title: 'value' },
  { title: 'p50 ms' },
  { title: 'p99 ms' },
  { title: 'RSS MB' },
  { title: 'CPU ms/1k' },
  { title: 'load' },
  { title: 'baseline (same run)', left: true },
  { title: 'value' },
  { title: 'p99 ms' },
  { title: 'RSS MB' },
  { title: 'CPU ms/1k' },
  { title: 'ratio' },
  { title: 'target' },
  { title: '', left: true }
]

const num = (x: number | undefined, digits: number): string => x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits)

function cells (row: Row): string[] {
  const digits = row.digits ?? 0
  const verdict = holds(row)
  return [
    `${row.figure}, ${row.unit}`,
    num(row.value, digits),
    num(row.p50Ms, 0),
    num(row.p99Ms, 0),
    num(row.rssMb, 0),
    num(row.cpuMsPer1k, 0),
    num(row.loadAverage, 1),
    row.baseline?.name ?? '-',
    num(row.baseline?.value, digits),
    num(row.baseline?.p99Ms, 0),
    num(row.baseline?.rssMb, 0),
    num(row.baseline?.cpuMsPer1k, 0),
    num(ratioOf(row), 3),
    row.target === undefined ? '-' : targetText(row.target),
    verdict === undefined ? '' : verdict ? 'holds' : 'misses'
  ]
}

/** The table as text: one line per row, a blank line between groups. */
export function formatTable (rows: readonly Row[]): string {
  const body = rows.map(cells)
  const header = columns.map((c) => c.title)
  const widths = columns.map((_, i) => Math.max(...[header, ...body].map((line) => line[i]!.length)))
  const format = (line: readonly string[]): string => line.map((cell, i) => columns[i]!.left === true ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join('  ').trimEnd()
  const out = [format(header)]
  rows.forEach((row, i) => {
    if (i > 0 && rows[i - 1]!.group !== row.group) out.push('')
    out.push(format(body[i]!))
  })
  return out.join('\n')
}
