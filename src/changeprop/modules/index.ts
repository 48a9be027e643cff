import type { ChangepropMetrics } from '../../metrics/changeprop.js'
import type { ChangepropConfig } from '../config.js'
import type { HttpExecutor } from '../exec.js'
import { createHtcpSender } from './htcp.js'
import { createLinksModule } from './links.js'
import type { LinksRequest } from './links.js'
import { createMediawikiApi } from './mediawiki-api.js'
import type { ModuleOutcome } from './module.js'
import { createPartitioner } from './partition.js'
import type { Partitioner, PartitionerSettings } from './partition.js'
import { createPurgeModule } from './purge.js'
import type { PurgeRequest } from './purge.js'

/** The in-process modules exec steps may call (rules/routes.ts), built once per service. */
export interface ExecModules {
  links: (request: LinksRequest) => Promise<ModuleOutcome>
  purge: (request: PurgeRequest) => Promise<ModuleOutcome>
  /** Undefined without `partitioner` in the configuration (a rule calling it is refused at load). */
  partition: Partitioner | undefined
  /** The purge stream, undefined when purges go to HTCP only (for metrics). */
  purgeStream: string | undefined
  htcp: boolean
}

/** The modules, and what closes the resources they hold (the HTCP socket). */
export interface ExecModulesWiring {
  modules: ExecModules
  close: () => Promise<void>
}

/** The in-process modules rules call (`/sys/links/`, `/sys/purge/`, `/sys/partition/`), on the service's HTTP client and producer. */
export function createExecModules (config: Readonly<ChangepropConfig>, deps: { http: HttpExecutor, metrics: ChangepropMetrics }): ExecModulesWiring {
  const { metrics } = deps
  const originOverride = config.exec_origin_override === undefined ? undefined : new URL(config.exec_origin_override)
  const api = createMediawikiApi(config.mediawiki_api, { http: deps.http, originOverride })
  const { htcp: htcpSettings, stream: purgeStream } = config.purge
  const htcp = htcpSettings === undefined ? undefined : createHtcpSender({ host: htcpSettings.host, port: htcpSettings.port, ttl: htcpSettings.ttl })
  const modules: ExecModules = {
    links: createLinksModule({ api, countCall: (rule, module, outcome) => { metrics.apiRequests.inc({ rule, module, outcome }) } }),
    purge: createPurgeModule({ stream: purgeStream ?? undefined, htcp }),
    partition: config.partitioner === undefined ? undefined : createPartitioner(config.partitioner as PartitionerSettings),
    purgeStream: purgeStream ?? undefined,
    htcp: htcp !== undefined
  }
  return { modules, close: async () => { await htcp?.close() } }
}
