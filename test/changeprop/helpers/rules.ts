import type { RuleDefaults } from '../../../src/changeprop/config.js'

/** Rule defaults as the configuration schema gives them, with short delays for tests. */
export const testDefaults: RuleDefaults = {
  concurrency: 1,
  retry_limit: 2,
  retry_delay: 10,
  retry_factor: 6,
  retry_on: { status: ['5xx'] },
  ignore: { status: [412] },
  timeout: 2000,
  discard_canary_events: true
}
