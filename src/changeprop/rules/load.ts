import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import type { ErrorObject } from 'ajv'
import yaml from 'js-yaml'
import type { RuleProblem } from '../errors.js'
import { RuleInvalidError } from '../errors.js'
import { escapePointer } from './pointer.js'
import { compileRule } from './compile.js'
import type { CompileRuleOptions, CompiledRule } from './compile.js'
import type { RuleDefaults, RuleSpec } from './schema.js'
import { ruleNamePattern, ruleSchema } from './schema.js'
import { messageOf } from '../../errors.js'

/**
 * What rules take from the configuration around them: their defaults, the limiter types they
 * may name, whether dedupe is on unless a rule says otherwise, and the rules themselves.
 */
export type RuleConfig = RuleDefaults & {
  limiters: Readonly<Record<string, unknown>>
  dedupe: { enabled: boolean }
  rules: Readonly<Record<string, RuleSpec>>
}

export interface LoadRulesOptions {
  /** Rules written inline in the configuration. */
  inline: Readonly<Record<string, unknown>>
  /** A directory of `*.yaml` / `*.yml` files, each a map of rule name → rule. */
  dir?: string | undefined
  /** The configuration the rules take their defaults, limiters and dedupe setting from. */
  defaults: Readonly<RuleConfig>
  /** Where the inline rules came from, for messages. */
  source: string
}

/**
 * Reads, validates and compiles every rule. All problems are collected and raised
 * together as one RuleInvalidError, each naming the rule, its file and a JSON pointer.
 * Returns the rule specs (compilation is repeated, cheaply, when the service is built).
 */
export async function loadRules (options: LoadRulesOptions): Promise<Record<string, RuleSpec>> {
  const problems: RuleProblem[] = []
  const entries: Array<{ name: string, spec: unknown, source: string }> = []
  for (const [name, spec] of Object.entries(options.inline)) entries.push({ name, spec, source: options.source })
  if (options.dir !== undefined) entries.push(...await readRuleFiles(options.dir, problems))

  const seen = new Map<string, string>()
  const rules: Record<string, RuleSpec> = {}
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile<RuleSpec>(ruleSchema)
  const compileOptions = ruleCompileOptions(options.defaults)
  for (const { name, spec, source } of entries) {
    const previous = seen.get(name)
    if (previous !== undefined) {
      problems.push({ rule: name, pointer: '', source, message: `a rule of this name is already defined in ${previous}` })
      continue
    }
    seen.set(name, source)
    if (!new RegExp(ruleNamePattern).test(name)) {
      problems.push({ rule: name, pointer: '', source, message: 'rule names may only use letters, digits, _, . and - (and start with a letter or digit)' })
      continue
    }
    if (!validate(spec)) {
      // An `if` error only repeats the errors of the branch that applied.
      for (const error of (validate.errors ?? []).filter((e) => e.keyword !== 'if')) {
        problems.push({ rule: name, pointer: errorPointer(error), source, message: errorMessage(error) })
      }
      continue
    }
    try {
      compileRule(name, spec, { ...compileOptions, source })
      rules[name] = spec
    } catch (err) {
      if (!(err instanceof RuleInvalidError)) throw err
      problems.push(...err.problems)
    }
  }
  if (problems.length > 0) throw new RuleInvalidError(problems)
  return rules
}

/** The options every rule of a configuration is compiled with. */
export function ruleCompileOptions (config: Readonly<RuleConfig>): CompileRuleOptions {
  return {
    defaults: config,
    limiterTypes: new Set(Object.keys(config.limiters)),
    dedupeByDefault: config.dedupe.enabled
  }
}

/** Compiles every rule of a loaded configuration. */
export function compileRules (config: Readonly<RuleConfig>): CompiledRule[] {
  const options = ruleCompileOptions(config)
  return Object.entries(config.rules).map(([name, spec]) => compileRule(name, spec, options))
}

async function readRuleFiles (dir: string, problems: RuleProblem[]): Promise<Array<{ name: string, spec: unknown, source: string }>> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort()
  } catch (err) {
    problems.push({ rule: '*', pointer: '', source: dir, message: `cannot read the rules directory: ${messageOf(err)}` })
    return []
  }
  const entries: Array<{ name: string, spec: unknown, source: string }> = []
  for (const name of names) {
    const file = join(dir, name)
    let data: unknown
    try {
      data = yaml.load(await readFile(file, 'utf8'))
    } catch (err) {
      problems.push({ rule: '*', pointer: '', source: file, message: `not valid YAML: ${messageOf(err)}` })
      continue
    }
    if (data === undefined || data === null) continue
    if (typeof data !== 'object' || Array.isArray(data)) {
      problems.push({ rule: '*', pointer: '', source: file, message: 'a rule file must be a mapping of rule name to rule' })
      continue
    }
    for (const [rule, spec] of Object.entries(data)) entries.push({ name: rule, spec, source: file })
  }
  return entries
}

function errorPointer (error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`
  }
  if (error.keyword === 'required') {
    return `${error.instancePath}/${escapePointer((error.params as { missingProperty: string }).missingProperty)}`
  }
  return error.instancePath
}

function errorMessage (error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'unknown key'
  if (error.keyword === 'required') return 'is required'
  if (error.keyword === 'enum') return `must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`
  return error.message ?? 'is invalid'
}
