import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import yaml from 'js-yaml'
import { changepropService, loadChangepropConfig } from '../changeprop/index.js'
import { formatImportReport, importServiceRunnerConfig, isServiceRunnerConfig } from '../changeprop/index.js'
import type { ImportReport } from '../changeprop/index.js'
import { describeFailure, messageOf } from '../errors.js'
import { runService } from '../service/index.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice changeprop [--config FILE] [--check]
       sluice changeprop import FILE [--output OUT]

Runs change propagation until SIGINT/SIGTERM: every rule consumes its topics and
reacts to matching events with HTTP requests (or by producing events), at least once.

--config also takes Wikimedia Change Propagation's own (service-runner) configuration:
it is read as the Sluice configuration it maps to. 'import' writes that configuration
(to OUT, or stdout) and reports every setting mapped, defaulted or dropped, and why.

Options:
  -c, --config FILE   YAML configuration (default: config/changeprop.yaml)
      --check         validate the configuration and every rule, print a summary, exit
  -o, --output OUT    import: where to write the Sluice configuration (default: stdout)
  -h, --help          show this help

Environment: PORT (admin server) and KAFKA_BROKERS (comma-separated host:port)
override the config file.
`

export async function runChangepropCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('changeprop', {
    args,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  if (positionals[0] === 'import') {
    if (positionals.length !== 2) {
      io.stderr.write(`sluice changeprop: import takes one FILE\n\n${help}`)
      return 2
    }
    return runImport(resolve(io.cwd, positionals[1] as string), values.output === undefined ? undefined : resolve(io.cwd, values.output), io)
  }
  if (positionals.length > 0) {
    io.stderr.write(`sluice changeprop: unexpected argument '${positionals[0] as string}'\n\n${help}`)
    return 2
  }
  const file = resolve(io.cwd, values.config ?? 'config/changeprop.yaml')
  let config
  let report: ImportReport | undefined
  try {
    config = await loadChangepropConfig(file, io.env, {}, { onImport: (imported) => { report = imported } })
  } catch (err) {
    io.stderr.write(`sluice changeprop: ${describeFailure(err)}\n`)
    return 1
  }
  if (values.check === true) {
    const names = Object.keys(config.rules)
    if (report !== undefined) io.stdout.write(`${file}: a Wikimedia Change Propagation configuration, read as:\n${formatImportReport(report)}`)
    io.stdout.write(`${file}: ${names.length} rule${names.length === 1 ? '' : 's'} valid${names.length === 0 ? '' : `: ${names.join(', ')}`}\n`)
    return 0
  }
  if (report !== undefined) {
    const counts = ['mapped', 'defaulted', 'dropped'].map((action) => `${report?.entries.filter((e) => e.action === action).length ?? 0} ${action}`)
    io.stderr.write(`sluice changeprop: ${file} is a Wikimedia Change Propagation configuration (${counts.join(', ')}; --check lists them)\n`)
  }
  return runService(changepropService, config, { cwd: io.cwd, hooks: io })
}

/** Writes the Sluice configuration a service-runner configuration maps to; the report goes to stderr. */
async function runImport (file: string, output: string | undefined, io: CliIO): Promise<number> {
  let data: unknown
  try {
    data = yaml.load(await readFile(file, 'utf8'))
  } catch (err) {
    io.stderr.write(`sluice changeprop import: ${file}: ${messageOf(err)}\n`)
    return 1
  }
  if (!isServiceRunnerConfig(data)) {
    io.stderr.write(`sluice changeprop import: ${file} is not a Wikimedia Change Propagation (service-runner) configuration: it has neither services[].conf.spec nor spec.paths\n`)
    return 1
  }
  const { config, report } = importServiceRunnerConfig(data)
  const text = `# Imported from ${file} by 'sluice changeprop import'.\n${yaml.dump(config, { lineWidth: 160, noRefs: true })}`
  if (output === undefined) io.stdout.write(text)
  else await writeFile(output, text)
  io.stderr.write(formatImportReport(report))
  return 0
}
