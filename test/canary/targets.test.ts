import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gatewayTargets, targetsFor } from '../../src/canary/targets.js'
import { canaryStreams } from '../../src/canary/index.js'

const targets = gatewayTargets({
  eqiad: [
    'http://gateway.eqiad/v1/events',
    { url: 'http://analytics.eqiad/v1/events', event_service: 'eventgate-analytics' },
    { url: 'http://main.eqiad/v1/events', event_service: 'eventgate-main' }
  ],
  codfw: ['http://gateway.codfw/v1/events', 'http://gateway2.codfw/v1/events']
})

const urls = (datacenter: string, service: string | undefined): string[] => targetsFor(targets, datacenter, service).map((t) => t.url)

test('a stream goes to the gateways named for its destination_event_service, else to every unnamed one', () => {
  assert.deepEqual(urls('eqiad', 'eventgate-analytics'), ['http://analytics.eqiad/v1/events'])
  assert.deepEqual(urls('eqiad', 'eventgate-main'), ['http://main.eqiad/v1/events'])
  assert.deepEqual(urls('eqiad', 'eventgate-logging-external'), ['http://gateway.eqiad/v1/events'])
  assert.deepEqual(urls('eqiad', undefined), ['http://gateway.eqiad/v1/events'])
  assert.deepEqual(urls('codfw', 'eventgate-main'), ['http://gateway.codfw/v1/events', 'http://gateway2.codfw/v1/events'])
  assert.deepEqual(urls('ulsfo', undefined), [])
})

test('no unnamed gateway: a stream of another service has none', () => {
  const named = gatewayTargets({ eqiad: [{ url: 'http://main/v1/events', event_service: 'eventgate-main' }] })
  assert.deepEqual(targetsFor(named, 'eqiad', 'eventgate-analytics'), [])
  assert.deepEqual(targetsFor(named, 'eqiad', undefined), [])
})

test('canary streams: exact names with canary_events_enabled: true, or the named ones', () => {
  const data = {
    'b.on': { schema_title: 't', canary_events_enabled: true },
    'a.on': { schema_title: 't', canary_events_enabled: true },
    off: { schema_title: 't', canary_events_enabled: false },
    unset: { schema_title: 't' },
    text: { schema_title: 't', canary_events_enabled: 'true' },
    '/^re\\..+/': { schema_title: 't', canary_events_enabled: true },
    empty: null
  }
  assert.deepEqual(canaryStreams(data, []), ['a.on', 'b.on'])
  assert.deepEqual(canaryStreams(data, ['off', 'off', 'a.on']), ['off', 'a.on'])
  assert.throws(() => canaryStreams(data, ['nope', 're.x']), { code: 'SLUICE_ERR_CONFIG_INVALID', message: /streams: nope is not declared in the stream config\n {2}- streams: re\.x is not declared/ })
})
