import type { ProduceRecord } from '../kafka/index.js'
import { topicOf } from '../stream-config/index.js'
import { childOf, traceHeaders } from '../trace-context.js'
import type { Attempt } from './attempt.js'
import { hopOf } from './chain.js'
import { TemplateRenderError } from './errors.js'
import { loopFree, send } from './exec-events.js'
import { forcedHeadersOf, renderBody } from './exec-steps.js'
import type { StepScope } from './exec-steps.js'
import type { ExecModules } from './modules/index.js'
import type { ModuleOutcome, ModuleStats } from './modules/module.js'
import type { StepResult } from './outcome.js'
import type { CompiledRequest } from './rules/compile.js'
import type { LinksModule } from './rules/routes.js'
import { titleOfLinksUri } from './rules/routes.js'
import type { TemplateContext } from './rules/template/index.js'

/** An in-process module step: its events are produced in one send, or its failure is the step's. */
export async function runModuleStep (scope: StepScope, step: CompiledRequest, context: TemplateContext, attempt: Attempt, signal: AbortSignal): Promise<StepResult> {
  const modules = scope.deps.modules
  if (modules === undefined) return { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}: the ${step.module} module is not available here`) }
  const body = renderBody(step, context)
  if (!body.ok) return body.result
  const outcome = await callModule(scope, modules, step, context, attempt, body.value, signal)
  if (outcome.kind === 'failed') return outcome.result
  const records: ProduceRecord[] = []
  for (const record of outcome.records) {
    const chain = typeof record.event.triggered_by === 'string' ? record.event.triggered_by : attempt.chain
    if (record.continuation !== true && step.module !== 'partition' && !loopFree(scope, chain, hopOf(record.event, record.stream))) continue
    records.push({
      topic: topicOf(record.stream, scope.naming),
      key: null,
      value: JSON.stringify(record.event),
      headers: traceHeaders(childOf(attempt.trace)),
      ...(record.partition === undefined ? {} : { partition: record.partition })
    })
  }
  const result = await send(scope, records, signal)
  if (result.kind === 'produced' && outcome.stats !== undefined) countModule(scope, outcome.stats, modules)
  return result
}

async function callModule (scope: StepScope, modules: ExecModules, step: CompiledRequest, context: TemplateContext, attempt: Attempt, body: unknown, signal: AbortSignal): Promise<ModuleOutcome> {
  if (step.module === 'partition') {
    if (modules.partition === undefined) return { kind: 'failed', result: { kind: 'render-failed', error: new TemplateRenderError(`${step.pointer}: /sys/partition/ needs partitioner in the configuration`) } }
    return modules.partition.partition(body)
  }
  if (step.module === 'purge') return modules.purge({ body, event: attempt.event, chain: attempt.chain })
  let uri: unknown
  try {
    uri = step.uri(context)
  } catch (err) {
    if (err instanceof TemplateRenderError) return { kind: 'failed', result: { kind: 'render-failed', error: err } }
    throw err
  }
  const linksModule = step.module as LinksModule
  return modules.links({
    rule: scope.rule.name,
    module: linksModule,
    title: titleOfLinksUri(linksModule, String(uri)),
    body,
    chain: attempt.chain,
    topic: attempt.topic,
    defaultHeaders: scope.defaultHeaders,
    forcedHeaders: forcedHeadersOf(attempt),
    signal
  })
}

function countModule (scope: StepScope, stats: ModuleStats, modules: ExecModules): void {
  const { rule, metrics } = scope
  const labels = { rule: rule.name, module: stats.module }
  if (stats.dependants !== undefined) metrics.dependants.inc(labels, stats.dependants)
  if (stats.continued === true) metrics.continuations.inc(labels)
  if (stats.depth !== undefined) metrics.continuationDepth.observe(labels, stats.depth)
  if (stats.purges !== undefined) {
    if (modules.purgeStream !== undefined) metrics.purges.inc({ rule: rule.name, target: 'stream' }, stats.purges)
    if (modules.htcp) metrics.purges.inc({ rule: rule.name, target: 'htcp' }, stats.purges)
  }
  if (stats.partition !== undefined) metrics.partitioned.inc({ rule: rule.name, partition: String(stats.partition) })
}
