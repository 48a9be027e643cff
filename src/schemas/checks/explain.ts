import type { CheckReport } from './check.js'
import type { Violation } from './violation.js'

/** One violation as a few lines an author can act on. */
export function explainViolation (v: Violation): string {
  const where = v.file ?? v.schema
  const at = v.pointer === '' ? '' : ` at ${v.pointer}`
  const rule = v.change === undefined ? v.rule : `${v.rule}: ${v.change}`
  return `${where}${at}  [${rule}]\n    ${v.message}\n    would pass: ${v.fix}\n`
}

/** The human report of `sluice schemas check`. */
export function formatReport (report: CheckReport): string {
  const lines = report.violations.map(explainViolation)
  const exempted = report.exempted > 0 ? `, ${report.exempted} exempted by the repository config` : ''
  const summary = report.violations.length === 0
    ? `ok: ${report.checked.titles} schemas, ${report.checked.versions} versions checked${exempted}\n`
    : `${report.violations.length} violation${report.violations.length === 1 ? '' : 's'} in ${report.checked.titles} schemas checked${exempted}\n`
  return (lines.length > 0 ? lines.join('\n') + '\n' : '') + summary
}

/** The `--json` report: stable field names, for CI annotations and bots. */
export function reportToJson (report: CheckReport): string {
  return JSON.stringify({ ok: report.violations.length === 0, ...report }, null, 2) + '\n'
}
