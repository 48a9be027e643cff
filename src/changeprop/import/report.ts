/**
 * What importing a reference configuration did with each of its settings: `mapped` to a Sluice
 * key, `defaulted` (a Sluice key set to the reference's behaviour, which differs from
 * Sluice's default), or `dropped`, always with the reason.
 */
export interface ImportReportEntry {
  action: 'mapped' | 'defaulted' | 'dropped'
  /** Where the setting was in the reference configuration (`defaulted`: the Sluice key). */
  path: string
  /** The Sluice key it became (`mapped`), or the value set (`defaulted`). */
  to?: string
  reason: string
}

export interface ImportReport {
  readonly entries: readonly ImportReportEntry[]
  mapped(path: string, to: string, reason: string): void
  defaulted(key: string, value: string, reason: string): void
  dropped(path: string, reason: string): void
}

export function createImportReport (): ImportReport {
  const entries: ImportReportEntry[] = []
  return {
    entries,
    mapped (path, to, reason) { entries.push({ action: 'mapped', path, to, reason }) },
    defaulted (key, value, reason) { entries.push({ action: 'defaulted', path: key, to: value, reason }) },
    dropped (path, reason) { entries.push({ action: 'dropped', path, reason }) }
  }
}

/** The report as text, one setting per line, grouped by action. */
export function formatImportReport (report: ImportReport): string {
  const lines: string[] = []
  for (const action of ['mapped', 'defaulted', 'dropped'] as const) {
    const entries = report.entries.filter((entry) => entry.action === action)
    if (entries.length === 0) continue
    lines.push(`${action} (${entries.length}):`)
    for (const entry of entries) {
      const arrow = entry.to === undefined ? '' : action === 'defaulted' ? ` = ${entry.to}` : ` -> ${entry.to}`
      lines.push(`  ${entry.path}${arrow}: ${entry.reason}`)
    }
  }
  return `${lines.join('\n')}\n`
}
