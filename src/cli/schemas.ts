import { stat, writeFile } from 'node:fs/promises'
import yaml from 'js-yaml'
import { Agent } from 'undici'
import { generateAsyncApi } from '../asyncapi/index.js'
import { readServiceInfo } from '../service/index.js'
import { readStreamConfig } from '../stream-config/index.js'
import { topicsOf } from '../streams/index.js'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import type { CliIO } from './io.js'
import { parseCommandArgs } from './io.js'
import { isSluiceError } from '../errors.js'
import {
  changedFiles, checkRepository, filesAt, formatReport, gitTopLevel, materializeTitles, openSchemaDirectory,
  reportToJson, showFile
} from '../schemas/index.js'
import type { Baseline, SchemaDirectory } from '../schemas/index.js'

const usage = `Usage: sluice schemas <command> [options]

Commands:
  materialize [PATH...]  write the version files that current.yaml declares
                         (PATH: a current.yaml or a schema directory; default: every
                         current.yaml changed against git HEAD, new files included)
    --all                materialize every current.yaml in the repository
    --force              rewrite a version file even if it is already committed
  check                  check structure, robustness and compatibility; exit 1 on violations
    --since REF          only schemas changed since REF (a pull request's base), and
                         verify that versions published at REF were not edited
    --json               print the report as JSON
  asyncapi               write the AsyncAPI 3.0 document of every stream of a stream
                         config, with this repository's versions as the messages
    --stream-config URI  the stream config: a YAML file, a directory of them, or an
                         http(s) URL (default: ./stream-config)
    --topic-prefix P     a datacenter's topic prefix; repeat for each (default: the
                         streams' own topics, else their names)
    --out FILE           write to FILE instead of standard output
    --yaml               YAML instead of JSON

Options:
  --dir DIR              the schema repository (default: ./schemas)
  -h, --help             show this help

Examples:
  sluice schemas materialize
  sluice schemas check --since origin/main
  sluice schemas check --dir ../schemas-event-primary --json
  sluice schemas asyncapi --topic-prefix eqiad. --topic-prefix codfw. --out asyncapi.yaml --yaml
`

/** `sluice schemas materialize|check|asyncapi`: a thin shell over src/schemas and src/asyncapi. */
export async function runSchemasCommand (args: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs('schemas', {
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      all: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
      'stream-config': { type: 'string' },
      'topic-prefix': { type: 'string', multiple: true },
      out: { type: 'string' },
      yaml: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  }, usage, io)
  if (typeof parsed === 'number') return parsed
  const { values, positionals } = parsed
  const [command, ...paths] = positionals
  if (command === undefined) {
    io.stdout.write(usage)
    return 2
  }
  try {
    const dir = resolve(io.cwd, values.dir ?? 'schemas')
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      io.stderr.write(`sluice schemas: ${dir} is not a directory (use --dir to name the schema repository)\n`)
      return 2
    }
    const directory = await openSchemaDirectory(dir)
    switch (command) {
      case 'materialize':
        return await materialize(directory, paths, values.all, values.force, io)
      case 'check':
        if (paths.length > 0) {
          io.stderr.write('sluice schemas check: takes no paths (use --since REF to check only what changed)\n')
          return 2
        }
        return await check(directory, values.since, values.json, io)
      case 'asyncapi':
        if (paths.length > 0) {
          io.stderr.write('sluice schemas asyncapi: takes no paths\n')
          return 2
        }
        return await asyncapi(directory, { streamConfig: values['stream-config'] ?? 'stream-config', topicPrefixes: values['topic-prefix'] ?? [], out: values.out, yaml: values.yaml }, io)
      default:
        io.stderr.write(`sluice schemas: unknown command '${command}'\n\n${usage}`)
        return 2
    }
  } catch (err) {
    if (!isSluiceError(err)) throw err
    io.stderr.write(`sluice schemas: ${err.message} (${err.code})\n`)
    return 2
  }
}

async function materialize (directory: SchemaDirectory, paths: readonly string[], all: boolean, force: boolean, io: CliIO): Promise<number> {
  const inGit = await gitTopLevel(directory.base) !== undefined
  let titles: string[]
  if (all) {
    titles = [...(await directory.repository.index()).titles.values()].filter((e) => e.hasCurrent).map((e) => e.title)
  } else if (paths.length > 0) {
    titles = []
    for (const path of paths) {
      const title = titleOfPath(directory.base, resolve(io.cwd, path))
      if (title === undefined) {
        io.stderr.write(`sluice schemas materialize: ${path} is not a current.yaml or schema directory under ${directory.base}\n`)
        return 2
      }
      titles.push(title)
    }
  } else {
    if (!inGit) {
      io.stderr.write(`sluice schemas materialize: ${directory.base} is not in a git repository; name the current.yaml files or use --all\n`)
      return 2
    }
    titles = (await changedFiles(directory.base, 'HEAD')).filter((f) => f.endsWith('/current.yaml')).map((f) => dirname(f))
  }
  if (titles.length === 0) {
    io.stdout.write('nothing to materialize: no current.yaml changed against HEAD\n')
    return 0
  }
  const results = await materializeTitles({
    directory,
    titles: [...new Set(titles)],
    force,
    published: inGit ? (path) => showFile(directory.base, 'HEAD', path) : undefined
  })
  for (const result of results) {
    const what = result.written.length === 0 ? 'up to date' : `wrote ${result.written.join(', ')}`
    io.stdout.write(`${result.title} ${result.version}${result.latest ? ' (latest)' : ''}: ${what}\n`)
  }
  return 0
}

function titleOfPath (base: string, path: string): string | undefined {
  const rel = relative(base, path.endsWith(`${sep}current.yaml`) ? dirname(path) : path)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined
  return rel.split(sep).join('/')
}

async function check (directory: SchemaDirectory, since: string | undefined, json: boolean, io: CliIO): Promise<number> {
  let titles: Set<string> | undefined
  let baseline: Baseline | undefined
  if (since !== undefined) {
    const index = await directory.repository.index()
    titles = new Set()
    for (const file of await changedFiles(directory.base, since)) {
      // The title is the deepest schema directory holding the changed file.
      for (let dir = dirname(file); dir !== '.' && dir !== ''; dir = dirname(dir)) {
        if (index.titles.has(dir)) {
          titles.add(dir)
          break
        }
      }
    }
    baseline = {
      ref: since,
      paths: await filesAt(directory.base, since),
      read: (path) => showFile(directory.base, since, path)
    }
  }
  const report = await checkRepository({ repository: directory.repository, config: directory.config, titles, baseline })
  io.stdout.write(json ? reportToJson(report) : formatReport(report))
  return report.violations.length === 0 ? 0 : 1
}

interface AsyncApiOptions { streamConfig: string, topicPrefixes: readonly string[], out: string | undefined, yaml: boolean }

async function asyncapi (directory: SchemaDirectory, options: AsyncApiOptions, io: CliIO): Promise<number> {
  const dispatcher = new Agent({ connect: { timeout: 10000 } })
  let streams
  try {
    streams = await readStreamConfig({ uri: options.streamConfig, cwd: io.cwd, dispatcher, timeoutMs: 10000 })
  } finally {
    await dispatcher.close()
  }
  const info = readServiceInfo()
  const defaults = options.topicPrefixes.length > 0 ? { topic_prefixes: options.topicPrefixes } : {}
  const document = await generateAsyncApi({
    streams,
    defaults,
    // The topics as the stream service reads them: legacy streams bare in every datacenter here.
    topicsOf: (name, settings) => topicsOf(name, settings, { defaults, aliases: {} }),
    repository: directory.repository,
    info: { title: 'Sluice event platform', version: info.version, description: `Every stream of ${options.streamConfig}, with the schema versions of ${directory.base} as messages.` }
  })
  const text = options.yaml ? yaml.dump(document, { noRefs: true, lineWidth: -1 }) : `${JSON.stringify(document, null, 2)}\n`
  if (options.out === undefined) {
    io.stdout.write(text)
    return 0
  }
  await writeFile(resolve(io.cwd, options.out), text)
  const channels = Object.keys(document.channels as object).length
  io.stdout.write(`wrote ${options.out}: ${channels} channels, ${Object.keys((document.components as { messages: object }).messages).length} messages\n`)
  return 0
}
