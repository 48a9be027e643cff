import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import yaml from 'js-yaml'
import { clientReasons, failureReason } from '../../../src/gateway/pipeline/failure-reason.js'

test('client mistakes and server trouble get their own reasons', () => {
  assert.deepEqual(failureReason('SLUICE_ERR_SCHEMA_NOT_FOUND'), { reason: 'schema_not_found', side: 'client' })
  assert.deepEqual(failureReason('SLUICE_ERR_STREAM_NOT_CONFIGURED'), { reason: 'stream_not_configured', side: 'client' })
  assert.deepEqual(failureReason('SLUICE_ERR_EVENT_TOO_LARGE'), { reason: 'too_large', side: 'client' })
  assert.deepEqual(failureReason('SLUICE_ERR_KAFKA_UNAVAILABLE'), { reason: 'kafka_unavailable', side: 'server' })
  assert.deepEqual(failureReason('SLUICE_ERR_SCHEMA_FETCH'), { reason: 'schema_fetch', side: 'server' })
})

test('an unknown or missing code is internal and server-side, so it pages', () => {
  assert.deepEqual(failureReason('SLUICE_ERR_SOMETHING_NEW'), { reason: 'internal', side: 'server' })
  assert.deepEqual(failureReason(undefined), { reason: 'internal', side: 'server' })
})

test('SluiceGatewayEventErrors leaves out exactly the client-side reasons', async () => {
  const rules = yaml.load(await readFile(new URL('../../../alerts/sluice-alerts.yaml', import.meta.url), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string, expr: string }> }> }
  const expr = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SluiceGatewayEventErrors')?.expr ?? ''
  const excluded = /reason!~"([^"]+)"/.exec(expr)?.[1]
  assert.ok(excluded !== undefined, `no reason!~ matcher in ${expr}`)
  assert.deepEqual(excluded.split('|').sort(), clientReasons())
})
