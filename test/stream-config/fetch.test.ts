import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent } from 'undici'
import { readStreamConfig } from '../../src/stream-config/index.js'
import type { StreamConfigSourceOptions } from '../../src/stream-config/index.js'
import { startMediawikiApi } from '../helpers/mediawiki-api.js'
import { testLogger } from '../helpers/logger.js'

// Fetching from a local server shaped like MediaWiki's API on an internal endpoint.

async function setup (t: { after: (fn: () => Promise<void>) => void }): Promise<{ api: Awaited<ReturnType<typeof startMediawikiApi>>, source: StreamConfigSourceOptions }> {
  const api = await startMediawikiApi()
  const dispatcher = new Agent({ keepAliveTimeout: 10 })
  t.after(async () => { await api.close(); await dispatcher.close() })
  return { api, source: { uri: api.url, cwd: '/', dispatcher, timeoutMs: 2000, headers: { Host: 'meta.wikimedia.org' }, retryDelayMs: 1 } }
}

test('the configured request headers are sent: an internal endpoint answers only for the wiki named in Host', async (t) => {
  const { api, source } = await setup(t)
  const data = await readStreamConfig(source)
  assert.deepEqual(Object.keys(data), Object.keys(api.streams))
  assert.equal(api.requests[0]?.host, 'meta.wikimedia.org')
  await assert.rejects(readStreamConfig({ ...source, headers: undefined }), { code: 'SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', message: /HTTP 404/ })
})

test('a failed fetch is tried again, at most stream_config_retries times, waiting longer each time', async (t) => {
  const { api, source } = await setup(t)
  const lines: string[] = []
  api.failNext = 2
  const started = Date.now()
  const data = await readStreamConfig({ ...source, retries: 2, retryDelayMs: 40, logger: testLogger(lines) })
  assert.ok(Object.keys(data).length > 0)
  assert.equal(api.requests.length, 3)
  // Waits of at least half of 40 ms, then of 80 ms.
  assert.ok(Date.now() - started >= 20 + 40, `${Date.now() - started} ms`)
  const retries = lines.map((line) => JSON.parse(line) as { msg: string, attempt?: number }).filter((entry) => entry.msg.includes('trying again'))
  assert.deepEqual(retries.map((entry) => entry.attempt), [1, 2])

  api.requests.length = 0
  api.failNext = 3
  await assert.rejects(readStreamConfig({ ...source, retries: 2 }), { code: 'SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', message: /HTTP 503/ })
  assert.equal(api.requests.length, 3, 'no more than the first try and two retries')
})

test('an error the API answers with HTTP 200 is a failed fetch, retried too', async (t) => {
  const { api, source } = await setup(t)
  const uri = source.uri.replace('action=streamconfigs', 'action=nonsense')
  await assert.rejects(readStreamConfig({ ...source, uri, retries: 1 }), { code: 'SLUICE_ERR_STREAM_CONFIG_UNAVAILABLE', message: /badvalue/ })
  assert.equal(api.requests.length, 2)
})

test('stream_config_object_path picks the settings out of the answer', async (t) => {
  const { source } = await setup(t)
  assert.ok(Object.hasOwn(await readStreamConfig({ ...source, objectPath: 'streams' }), 'eventlogging_TestLegacy'))
  await assert.rejects(readStreamConfig({ ...source, objectPath: 'query.streams' }), { code: 'SLUICE_ERR_STREAM_CONFIG_INVALID', message: /query\.streams/ })
})
