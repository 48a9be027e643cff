import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { runTool } from '../helm/chart-tools.js'

/** Grafana's variables replaced by values PromQL accepts, so promtool can parse panel queries. */
export function withoutGrafanaVariables (expression: string): string {
  return expression
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, '.*')
}

/**
 * Parses PromQL expressions with promtool by checking them as recording rules.
 * Returns promtool's complaints, empty when every expression parses.
 */
export async function checkExpressions (expressions: ReadonlyArray<{ name: string, expr: string }>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-promql-'))
  try {
    const rules = expressions.map(({ expr }, index) => ({ record: `sluice:dashboard_query:${index}`, expr }))
    const file = join(dir, 'queries.yaml')
    await writeFile(file, yaml.dump({ groups: [{ name: 'dashboard', rules }] }, { lineWidth: -1 }))
    const result = await runTool('promtool', ['check', 'rules', file])
    if (result.code === 0) return []
    return [`${result.stdout}${result.stderr}`.replace(/sluice:dashboard_query:(\d+)/g, (_all, index: string) => expressions[Number(index)]?.name ?? index)]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
