import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { DestinationStream } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { formatReport, loadCanaryConfig, planCanaries, postPlan, pushMetrics, recordRun, runSucceeded } from '../canary/index.js'
import type { CanaryConfig, CanaryReport } from '../canary/index.js'
import { ConfigInvalidError, describeFailure } from '../errors.js'
import { createLogger } from '../logger.js'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'

const help = `Usage: sluice canary [--config FILE] [--gateway DATACENTER=URL]... [--stream NAME]...
                     [--pushgateway URL] [--dry-run]

Posts a canary event to every stream with canary_events_enabled: true in the stream config,
in every datacenter: the first of its schema's examples with meta.domain "canary", to each
gateway of the datacenter, as Wikimedia's canary job does. Run it every few minutes (the
chart's CronJob runs it every 5), so that "no events" alerts can tell an idle stream from a
broken pipeline. Consumers leave canaries out: change propagation skips them unless a rule
sets discard_canary_events: false, the stream service with ?canary=exclude.

Prints one line per stream and datacenter (accepted, invalid or failed, and why) and a
summary; with a Pushgateway, pushes the run's metrics there (sluice_canary_*).

Options:
  -c, --config FILE            YAML configuration (default: config/canary.yaml when it
                               exists, else the defaults)
  -g, --gateway DC=URL         a datacenter's gateway (its POST /v1/events URL); repeat for
                               more; replaces the config's gateways
  -s, --stream NAME            only this stream (repeat for more; it need not have
                               canary_events_enabled); replaces the config's streams
      --pushgateway URL        push the run's metrics to this Prometheus Pushgateway (job
                               sluice_canary); replaces the config's pushgateway
      --dry-run                print the POSTs as JSON instead of sending them
  -h, --help                   show this help

Exit status: 0 when every canary event was accepted, 1 when one was not (or the stream
config, a schema or the Pushgateway could not be reached), 2 on a usage or configuration error.
`

export async function runCanaryCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('canary', {
    args,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      gateway: { type: 'string', short: 'g', multiple: true },
      stream: { type: 'string', short: 's', multiple: true },
      pushgateway: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  }, help, io)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed
  let config: Readonly<CanaryConfig>
  try {
    config = await loadCanaryConfig(values.config === undefined ? await defaultConfig(io) : resolve(io.cwd, values.config), flagOverrides(values))
  } catch (err) {
    io.stderr.write(`sluice canary: ${describeFailure(err)}\n`)
    return 2
  }
  const dispatcher = new Agent({ connect: { timeout: config.fetch_timeout_ms }, keepAliveTimeout: 1000 })
  try {
    return await run(config, io, dispatcher, values['dry-run'] === true)
  } finally {
    await dispatcher.close()
  }
}

async function run (config: Readonly<CanaryConfig>, io: CliIO, dispatcher: Agent, dryRun: boolean): Promise<number> {
  const logger = createLogger({ level: 'warn', name: 'sluice-canary' }, io.stderr as unknown as DestinationStream)
  const deps = { config, cwd: io.cwd, dispatcher, logger }
  const started = Date.now()
  let report: CanaryReport | undefined
  let status = 0
  try {
    const plan = await planCanaries(deps)
    if (dryRun) {
      io.stdout.write(`${JSON.stringify({ posts: plan.posts, outcomes: plan.outcomes }, null, 2)}\n`)
      return plan.outcomes.length === 0 ? 0 : 1
    }
    report = await postPlan(plan, deps)
    io.stdout.write(formatReport(report))
    if (!runSucceeded(report)) status = 1
  } catch (err) {
    io.stderr.write(`sluice canary: ${describeFailure(err)}\n`)
    status = err instanceof ConfigInvalidError ? 2 : 1
  }
  if (config.pushgateway !== undefined) {
    const registry = new Registry()
    recordRun(registry, report, new Date(), Date.now() - started)
    try {
      await pushMetrics(registry, config.pushgateway, dispatcher)
    } catch (err) {
      io.stderr.write(`sluice canary: ${describeFailure(err)}\n`)
      if (status === 0) status = 1
    }
  }
  return status
}

/** config/canary.yaml in the current directory, when there is one; else the defaults. */
async function defaultConfig (io: CliIO): Promise<string | undefined> {
  const file = resolve(io.cwd, 'config/canary.yaml')
  try {
    await access(file)
    return file
  } catch {
    return undefined
  }
}

/** The flags, as whole config keys over the file's. */
function flagOverrides (values: { gateway?: string[], stream?: string[], pushgateway?: string }): Record<string, unknown> {
  const overrides: Record<string, unknown> = {}
  if (values.gateway !== undefined) {
    const gateways: Record<string, string[]> = {}
    for (const flag of values.gateway) {
      const at = flag.indexOf('=')
      if (at <= 0) throw new ConfigInvalidError('--gateway', [`'${flag}' is not DATACENTER=URL`])
      const datacenter = flag.slice(0, at)
      gateways[datacenter] = [...(gateways[datacenter] ?? []), flag.slice(at + 1)]
    }
    overrides.gateways = gateways
  }
  if (values.stream !== undefined) overrides.streams = values.stream
  if (values.pushgateway !== undefined) overrides.pushgateway = { url: values.pushgateway }
  return overrides
}
