/**
 * src/kafka keeps @platformatic/kafka's own shape: flat files that own one thing each (options,
 * client, health, errors, admin, reader, security), a folder per client with its index.ts as its
 * face, and index.ts as the face of the whole folder. Its dependencies point down only.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { functionsOf, importsOf, lineCount, sourceFiles } from '../helpers/code-shape.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** What src/kafka may import from the rest of src: the shared base, never a service or a tool. */
const allowedOutside = ['src/errors.ts', 'src/error-codes.ts', 'src/logger.ts', 'src/metrics/kafka.ts', 'src/backoff.ts', 'src/deadline.ts', 'src/config/from-schema.ts']

/** The top-level files a client folder (producer/, consumer/) may import. */
const sharedByClients = ['src/kafka/options.ts', 'src/kafka/client.ts', 'src/kafka/health.ts', 'src/kafka/errors.ts']

const folderOf = (file: string): string | undefined => /^src\/kafka\/([^/]+)\//.exec(file)?.[1]

test('src/kafka imports nothing of a service folder: only the shared base of src', async () => {
  const imports = await importsOf(root, await sourceFiles(root, 'src/kafka'))
  const outside = imports.filter((i) => i.target !== undefined && !i.target.startsWith('src/kafka/') && !allowedOutside.includes(i.target))
  assert.deepEqual(outside.map((i) => `${i.file} → ${i.target}`), [])
})

test('a client folder of src/kafka imports only options, client, health and errors of the folder above, and no other client folder', async () => {
  const imports = await importsOf(root, await sourceFiles(root, 'src/kafka'))
  const wrong = imports.filter((i) => {
    const from = folderOf(i.file)
    if (from === undefined || i.target === undefined || !i.target.startsWith('src/kafka/')) return false
    const to = folderOf(i.target)
    return to === undefined ? !sharedByClients.includes(i.target) : to !== from
  })
  assert.deepEqual(wrong.map((i) => `${i.file} → ${i.target}`), [])
})

test('the rest of src reaches Kafka only through src/kafka/index.ts, and never imports @platformatic/kafka', async () => {
  const files = (await sourceFiles(root, 'src')).filter((f) => !f.startsWith('src/kafka/'))
  const imports = await importsOf(root, files)
  const around = imports.filter((i) => i.target?.startsWith('src/kafka/') === true && i.target !== 'src/kafka/index.ts')
  assert.deepEqual(around.map((i) => `${i.file} → ${i.target}`), [])
  const client = imports.filter((i) => i.specifier === '@platformatic/kafka' || i.specifier.startsWith('@platformatic/kafka/'))
  assert.deepEqual(client.map((i) => i.file), [])
})

test('src/local-kafka is imported by the commands that start brokers and mirrors, and by nothing a service runs', async () => {
  const files = (await sourceFiles(root, 'src')).filter((f) => !f.startsWith('src/local-kafka/'))
  const users = [...new Set((await importsOf(root, files)).filter((i) => i.target?.startsWith('src/local-kafka/') === true).map((i) => i.file))].sort()
  assert.deepEqual(users, ['src/cli/kafka.ts', 'src/cli/up.ts'])
})

test('the lint rules say so too: a service importing src/local-kafka or @platformatic/kafka is an error, the commands may start brokers', async () => {
  const eslint = new ESLint({ cwd: root })
  const restricted = async (filePath: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath })
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
  }
  const localBroker = "import { startLocalBroker } from '../local-kafka/index.js'\nexport const start = startLocalBroker\n"
  const kafkaClient = "import { Producer } from '@platformatic/kafka'\nexport const client = Producer\n"
  assert.match((await restricted('src/gateway/app.ts', localBroker)).join(), /local-kafka/)
  assert.match((await restricted('src/streams/app.ts', kafkaClient)).join(), /src\/kafka\/ only/)
  assert.match((await restricted('src/kafka/admin.ts', localBroker)).join(), /local-kafka/)
  assert.deepEqual(await restricted('src/cli/up.ts', localBroker), [])
  assert.match((await restricted('src/cli/up.ts', kafkaClient)).join(), /src\/kafka\/ only/)
})

test('no file of src/kafka is over 300 lines, and no function over 80', async () => {
  const files = await sourceFiles(root, 'src/kafka')
  const long: string[] = []
  for (const file of files) {
    const lines = await lineCount(root, file)
    if (lines > 300) long.push(`${file}: ${lines} lines`)
  }
  assert.deepEqual(long, [])
  const functions = (await functionsOf(root, files)).filter((f) => f.lines > 80)
  assert.deepEqual(functions.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`), [])
})
