import type { RuleDefaults, RuleSpec } from '../../../src/changeprop/rules/schema.js'

/** Rule defaults as the configuration schema gives them, with short delays for tests. */
export const testDefaults: RuleDefaults = {
  concurrency: 1,
  retry_limit: 2,
  retry_delay: 10,
  retry_factor: 6,
  retry_on: { status: ['5xx'] },
  ignore: { status: [412] },
  timeout: 2000,
  discard_canary_events: true,
  blacklist: {},
  disable_blacklist: false,
  retry_after: { statuses: [429, 503], max_delay: 600000 },
  failure_backoff: { after: 5, delay: 1000, max_delay: 60000 }
}

/** The seed rule, pointed at a local sink (`{{message.meta.domain}}` becomes a path segment). */
export function seedRule (origin: string): RuleSpec {
  return {
    topic: 'mediawiki.revision-create',
    retry_on: { status: ['5xx', 404] },
    exec: {
      method: 'get',
      uri: `${origin}/{{message.meta.domain}}/api/rest_v1/page/html/{{message.page_title}}/{{message.rev_id}}`,
      headers: {
        'cache-control': 'no-cache',
        'x-restbase-parentrevision': '{{message.rev_parent_id}}',
        'if-unmodified-since': '{{date(message.meta.dt)}}'
      },
      query: { redirect: false }
    }
  }
}
