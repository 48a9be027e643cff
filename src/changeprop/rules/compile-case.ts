import { TemplateSyntaxError } from '../errors.js'
import { compileMatch, compileMatchNot } from './match.js'
import type { CompileRuleOptions, CompiledCase, CompiledLimiter, CompiledRequest } from './compile.js'
import { SpecProblem } from './problems.js'
import type { RuleProblems } from './problems.js'
import type { ExecModule } from './routes.js'
import { RouteRefused, moduleOfUri, produceRoute } from './routes.js'
import type { Sampler } from './sample.js'
import { createSampler } from './sample.js'
import type { ExecRequestSpec, RuleCaseSpec, RuleSpec, SampleSpec } from './schema.js'
import { compileTemplate, compileTemplateString } from './template/index.js'

// A rule's cases: what each matches and what it runs (its exec requests, sample and limiters).
// A rule without `cases` is its own single case.

const canary = { meta: { domain: 'canary' } }

/** The cases of `spec` that compiled; the problems of the others are in `problems`. */
export function compileCases (spec: RuleSpec, options: CompileRuleOptions, problems: RuleProblems, ruleLimiters: readonly CompiledLimiter[]): CompiledCase[] {
  const { defaults } = options
  const timeoutMs = spec.timeout ?? defaults.timeout
  const discardCanary = spec.discard_canary_events ?? defaults.discard_canary_events
  const caseSpecs: Array<{ spec: RuleCaseSpec, pointer: string }> = spec.cases === undefined
    ? [{ spec, pointer: '' }]
    : spec.cases.map((item, index) => ({ spec: item, pointer: `/cases/${index}` }))
  if (spec.cases !== undefined) {
    for (const key of ['match', 'match_not', 'exec'] as const) {
      if (spec[key] !== undefined) problems.add(`/${key}`, `${key} cannot be combined with cases; put it into each case`)
    }
  }
  const cases: CompiledCase[] = []
  caseSpecs.forEach(({ spec: caseSpec, pointer }, index) => {
    const match = problems.attempt(`${pointer}/match`, () => compileMatch(caseSpec.match, `${pointer}/match`))
    const matchNotList = caseSpec.match_not === undefined ? [] : Array.isArray(caseSpec.match_not) ? caseSpec.match_not : [caseSpec.match_not]
    const matchNot = problems.attempt(`${pointer}/match_not`, () => compileMatchNot(
      discardCanary ? [canary, ...matchNotList] : matchNotList,
      `${pointer}/match_not`
    ))
    const execList = caseSpec.exec === undefined ? [] : Array.isArray(caseSpec.exec) ? caseSpec.exec : [caseSpec.exec]
    const exec = execList.map((request, requestIndex) => {
      const requestPointer = `${pointer}/exec${Array.isArray(caseSpec.exec) ? `/${requestIndex}` : ''}`
      return problems.attempt(requestPointer, () => compileRequest(request, requestPointer, timeoutMs))
    })
    const sampleSpec = caseSpec.sample ?? spec.sample ?? defaults.sample
    const samplePointer = caseSpec.sample !== undefined ? `${pointer}/sample` : spec.sample !== undefined ? '/sample' : '(default sample)'
    const sampler = sampleSpec === undefined ? undefined : problems.attempt(`${samplePointer}/hash_template`, () => compileSample(sampleSpec))
    const caseLimiters = spec.cases === undefined || caseSpec.limiters === undefined ? ruleLimiters : compileLimiters(caseSpec.limiters, `${pointer}/limiters`, options, problems)
    if (match !== undefined && matchNot !== undefined && exec.every((item) => item !== undefined)) {
      cases.push({ index, match, matchNot, exec: exec as CompiledRequest[], sampler, limiters: caseLimiters })
    }
  })
  return cases
}

/** The failure budgets of a rule or a case: each a limiter type declared in the configuration, with the template of its key. */
export function compileLimiters (spec: Record<string, string> | undefined, pointer: string, options: CompileRuleOptions, problems: RuleProblems): CompiledLimiter[] {
  const compiled: CompiledLimiter[] = []
  for (const [type, keySource] of Object.entries(spec ?? {})) {
    if (!options.limiterTypes.has(type)) {
      problems.add(`${pointer}/${type}`, `limiter type '${type}' is not declared in the configuration's limiters`)
      continue
    }
    const key = problems.attempt(`${pointer}/${type}`, () => compileTemplateString(keySource))
    if (key !== undefined) compiled.push({ type, key })
  }
  return compiled
}

function compileSample (sample: SampleSpec): Sampler {
  return createSampler(sample.rate, compileTemplateString(sample.hash_template))
}

function compileRequest (request: ExecRequestSpec, pointer: string, ruleTimeoutMs: number): CompiledRequest {
  const method = (request.method ?? 'get').toUpperCase()
  let module: ExecModule
  try {
    module = moduleOfUri(request.uri) ?? 'http'
  } catch (err) {
    if (err instanceof RouteRefused) throw new SpecProblem(`${pointer}/uri`, err.message)
    throw err
  }
  const produce = module === 'queue'
  if (module !== 'http' && method !== 'POST') throw new SpecProblem(`${pointer}/method`, `${request.uri} takes method post`)
  if (module !== 'http' && request.body === undefined) throw new SpecProblem(pointer, `${request.uri} needs a body: ${module === 'queue' || module === 'purge' ? 'the event or list of events' : 'the event'}`)
  if (module === 'http' && !/^https?:\/\/|^\{\{/.test(request.uri)) {
    throw new SpecProblem(`${pointer}/uri`, `must be an absolute http(s) URI (or ${produceRoute}), got '${request.uri}'`)
  }
  const uri = wrapPointer('/uri', () => compileTemplateString(request.uri, 'uri'))
  const headers = wrapPointer('/headers', () => compileTemplate(request.headers ?? {}))
  const query = request.query === undefined ? undefined : wrapPointer('/query', () => compileTemplate(request.query))
  const body = request.body === undefined ? undefined : wrapPointer('/body', () => compileTemplate(request.body))
  return { pointer, method, uri, headers, query, body, timeoutMs: request.timeout ?? ruleTimeoutMs, produce, module }
}

function wrapPointer<T> (prefix: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new TemplateSyntaxError(err.template, err.position, err.problem, prefix + err.pointer)
    throw err
  }
}
