import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runChangepropCommand } from '../../src/cli/changeprop.js'
import { captureIO } from '../helpers/io.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('--help prints the usage', async () => {
  const cli = captureIO({}, root)
  assert.equal(await runChangepropCommand(['--help'], cli.io), 0)
  assert.match(cli.out(), /Usage: sluice changeprop/)
})

test('--check validates the example configuration and lists its rules', async () => {
  const cli = captureIO({}, root)
  assert.equal(await runChangepropCommand(['--check'], cli.io), 0)
  assert.match(cli.out(), /3 rules valid: mobile_rerender, summary_rerender, page_edit/)
})

test('a broken rule stops startup with the rule and pointer named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cp-cli-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'cp.yaml')
  await writeFile(file, 'rules:\n  page_edit:\n    topic: t\n    retry_on: {status: [\'5XX\']}\n')
  const cli = captureIO({}, root)
  assert.equal(await runChangepropCommand(['--config', file, '--check'], cli.io), 1)
  assert.match(cli.err(), /rule 'page_edit' .* at '\/retry_on\/status': '5XX' is not a status/)
})

test('no brokers is a usage error; unknown options too', async () => {
  const cli = captureIO({}, root)
  assert.equal(await runChangepropCommand([], cli.io), 2)
  assert.match(cli.err(), /no Kafka brokers configured/)
  const bad = captureIO({}, root)
  assert.equal(await runChangepropCommand(['--nope'], bad.io), 2)
})
