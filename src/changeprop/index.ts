// The public surface of src/changeprop: other folders import change propagation from here.
export { changepropService, createChangeprop } from './app.js'
export type { Changeprop, ChangepropService } from './app.js'
export { changepropConfigSchema, changepropEnvOverrides, loadChangepropConfig } from './config.js'
export type { ChangepropConfig, ChangepropOverrides, DeepPartial, LimiterSpec } from './config.js'
export { compileRules, loadRules } from './rules/load.js'
export { compileRule, produceRoute } from './rules/compile.js'
export type { CompiledRule } from './rules/compile.js'
export { ruleSchema } from './rules/schema.js'
export type { RuleDefaults, RuleSpec } from './rules/schema.js'
export {
  EventMalformedError,
  ExecProduceError,
  HttpNetworkError,
  HttpStatusError,
  HttpTimeoutError,
  LoopDetectedError,
  RetriesExhaustedError,
  RuleInvalidError,
  StateStoreError,
  TemplateRenderError,
  TemplateSyntaxError,
  changepropErrorCodes
} from './errors.js'
export type { RuleProblem } from './errors.js'
export { importServiceRunnerConfig, isServiceRunnerConfig } from './import/service-runner.js'
export type { ImportResult } from './import/service-runner.js'
export { formatImportReport } from './import/report.js'
export type { ImportReport, ImportReportEntry } from './import/report.js'
