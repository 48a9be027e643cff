import { createHash } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isSluiceError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { SchemaMetrics } from '../../metrics/schemas.js'
import { checkDraft } from '../checks/check-draft.js'
import { isRecord } from '../document/json-value.js'
import { parseSchemaText, parseYamlText, toJson, toYaml } from '../document/serialize.js'
import { DraftInvalidError, SchemaVersionNotFoundError } from '../errors.js'
import { defaultRepositoryConfig } from '../repository/config.js'
import type { RepositoryConfig } from '../repository/config.js'
import type { SchemaRepository } from '../repository/repository.js'
import { isTitle, parseVersionPath, splitSafePath } from '../repository/schema-path.js'
import { negotiate } from './content-negotiation.js'
import type { Representation } from './content-negotiation.js'
import { pageSecurityPolicy, renderIndexPage, renderSchemaPage, streamRows } from './html.js'

export interface SchemaRoutesOptions {
  logger: Logger
  /** The stream config to list on the HTML index (a `{stream: {schema_title, topics?}}` mapping). */
  streams?: () => unknown
  metrics?: SchemaMetrics
  /** Conventions and exceptions for POST /schemas/check; Sluice's defaults otherwise. */
  config?: RepositoryConfig
}

type Route = 'titles' | 'versions' | 'schema' | 'check'

/** A published version never changes: cache it for a year. */
const immutableCache = 'public, max-age=31536000, immutable'
/** `latest` and listings move when a version is merged. */
const shortCache = 'public, max-age=60'
const problemType = 'application/problem+json; charset=utf-8'
const types: Record<Representation, string> = {
  json: 'application/json; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
  html: 'text/html; charset=utf-8'
}

/**
 * `GET /schemas/` (titles), `/schemas/<title>/` (versions),
 * `/schemas/<title>/<X.Y.Z|latest>[.yaml|.json]` (a materialized version) and
 * `POST /schemas/check`. JSON by default; YAML for `Accept: application/yaml`
 * or a `.yaml` suffix; HTML for browsers. Being a plain prefix, the URL works
 * as a `schema_base_uris` entry for EventGate and other gateways.
 */
export function schemaRoutes (repository: SchemaRepository, options: SchemaRoutesOptions): FastifyPluginAsync {
  const config = options.config ?? defaultRepositoryConfig
  const log = options.logger.child({ module: 'schema-routes' })
  const count = (route: Route, status: number): void => {
    options.metrics?.requests.inc({ route, status_class: `${Math.floor(status / 100)}xx` })
  }
  const routes: RouteContext = { repository, streams: options.streams, count }

  return async function schemaRoutesPlugin (app) {
    addYamlParsers(app)
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('access-control-allow-origin', '*')
      reply.header('access-control-expose-headers', 'etag, content-location')
    })
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = isSluiceError(error) ? error.statusCode : (error.statusCode ?? 500)
      const code = isSluiceError(error) ? error.code : (error.code ?? 'SLUICE_ERR_INTERNAL')
      if (status >= 500) log.error({ err: error, url: request.url }, 'schema request failed')
      else log.info({ err: { code, message: error.message }, url: request.url }, 'schema request refused')
      count(routeOf(request), status)
      return reply.code(status).type(problemType).header('cache-control', 'no-store')
        .send({ type: 'about:blank', title: status >= 500 ? 'Internal error' : error.message, status, code, detail: error.message })
    })

    app.options('/schemas/*', async (_request, reply) => {
      return reply.code(204)
        .header('access-control-allow-methods', 'GET, HEAD, POST, OPTIONS')
        .header('access-control-allow-headers', 'accept, content-type, if-none-match')
        .header('access-control-max-age', '600')
        .send()
    })
    app.get('/schemas', async (_request, reply) => reply.redirect('schemas/', 301))
    app.get('/schemas/*', async (request, reply) => await servePath(routes, request, reply))
    app.post('/schemas/check', async (request, reply) => {
      const { draft, title } = readDraft(request.body)
      const result = await checkDraft(repository, draft, { title, config })
      options.metrics?.checks.inc({ result: result.ok ? 'pass' : 'fail' })
      count('check', 200)
      return reply.code(200).type(types.json).header('cache-control', 'no-store').send(JSON.stringify(result, null, 2) + '\n')
    })
  }
}

/** What the GET routes read from and count into. */
interface RouteContext {
  repository: SchemaRepository
  streams: SchemaRoutesOptions['streams']
  count: (route: Route, status: number) => void
}

function addYamlParsers (app: FastifyInstance): void {
  for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      const parsed = parseYamlText(body as string)
      if (parsed.ok) done(null, parsed.value)
      else done(new DraftInvalidError(`not valid YAML: ${parsed.reason}`), undefined)
    })
  }
}

/** `/schemas/<rest>`: the titles, a title's versions (redirected to end in `/`), or one version. */
async function servePath (routes: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const rest = (request.params as { '*': string })['*']
  const trailingSlash = rest === '' || rest.endsWith('/')
  if (rest.replaceAll('/', '') === '') return sendTitles(routes, request, reply)
  const segments = splitSafePath(rest)
  const path = segments.join('/')
  if (trailingSlash || isTitle(path)) {
    const versions = await routes.repository.listVersions(path)
    if (versions.length > 0) {
      if (!trailingSlash) return reply.redirect(`${segments.at(-1) ?? ''}/`, 301)
      return sendVersions(routes, request, reply, path, versions)
    }
    if (trailingSlash || parseVersionPath(segments) === undefined) throw new SchemaVersionNotFoundError(path)
  }
  const wanted = parseVersionPath(segments)
  if (wanted === undefined) throw new SchemaVersionNotFoundError(path)
  const versions = await routes.repository.listVersions(wanted.title)
  if (versions.length === 0) throw new SchemaVersionNotFoundError(wanted.title)
  const version = wanted.version === 'latest' ? versions.at(-1) as string : wanted.version
  const schema = versions.includes(version) ? await routes.repository.readVersion(wanted.title, version) : undefined
  if (schema === undefined) throw new SchemaVersionNotFoundError(wanted.title, wanted.version)
  const representation = wanted.format ?? negotiate(request.headers.accept)
  if (wanted.version === 'latest') reply.header('content-location', `/schemas/${wanted.title}/${version}`)
  const body = representation === 'html'
    ? renderSchemaPage({ title: wanted.title, version, versions, schema, streams: streamRows(routes.streams?.()).filter((s) => s.schemaTitle === wanted.title) })
    : representation === 'yaml' ? toYaml(schema) : toJson(schema)
  return send(routes, request, reply, { route: 'schema', representation, body, cacheControl: wanted.version === 'latest' ? shortCache : immutableCache, negotiated: wanted.format === undefined })
}

async function sendTitles (routes: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const titles = await routes.repository.listTitles()
  const representation = negotiate(request.headers.accept)
  let body: string
  if (representation === 'html') {
    const rows = []
    for (const title of titles) {
      const latest = (await routes.repository.listVersions(title)).at(-1)
      const schema = latest === undefined ? undefined : await routes.repository.readVersion(title, latest)
      rows.push({ title, latest, description: typeof schema?.description === 'string' ? schema.description : undefined })
    }
    body = renderIndexPage({ titles: rows, streams: routes.streams === undefined ? undefined : streamRows(routes.streams()) })
  } else {
    body = representation === 'yaml' ? toYaml({ titles }) : JSON.stringify({ titles }, null, 2) + '\n'
  }
  return send(routes, request, reply, { route: 'titles', representation, body, cacheControl: shortCache, negotiated: true })
}

async function sendVersions (routes: RouteContext, request: FastifyRequest, reply: FastifyReply, title: string, versions: string[]): Promise<FastifyReply> {
  const representation = negotiate(request.headers.accept)
  const latest = versions.at(-1) as string
  let body: string
  if (representation === 'html') {
    const schema = await routes.repository.readVersion(title, latest)
    if (schema === undefined) throw new SchemaVersionNotFoundError(title, latest)
    body = renderSchemaPage({ title, version: latest, versions, schema, streams: streamRows(routes.streams?.()).filter((s) => s.schemaTitle === title) })
  } else {
    const listing = { title, versions, latest }
    body = representation === 'yaml' ? toYaml(listing) : JSON.stringify(listing, null, 2) + '\n'
  }
  return send(routes, request, reply, { route: 'versions', representation, body, cacheControl: shortCache, negotiated: true })
}

interface Answer {
  route: Route
  representation: Representation
  body: string
  cacheControl: string
  /** Whether the representation came from the Accept header (so caches vary on it). */
  negotiated: boolean
}

/** The answer with its ETag, or 304 when the client has it. */
function send (routes: RouteContext, request: FastifyRequest, reply: FastifyReply, answer: Answer): FastifyReply {
  const etag = `"${createHash('sha256').update(answer.body).digest('base64url').slice(0, 27)}"`
  reply.header('etag', etag).header('cache-control', answer.cacheControl).header('x-content-type-options', 'nosniff')
  if (answer.negotiated) reply.header('vary', 'accept')
  if (answer.representation === 'html') reply.header('content-security-policy', pageSecurityPolicy)
  if (matchesEtag(request.headers['if-none-match'], etag)) {
    routes.count(answer.route, 304)
    return reply.code(304).send()
  }
  routes.count(answer.route, 200)
  return reply.code(200).type(types[answer.representation]).send(answer.body)
}

/** The body is the draft itself, or `{title?, schema}` with the schema as an object or YAML text. */
function readDraft (body: unknown): { draft: Record<string, unknown>, title: string | undefined } {
  if (!isRecord(body)) throw new DraftInvalidError('send the schema as a JSON or YAML object, or {"title": …, "schema": …}')
  if (!Object.hasOwn(body, 'schema')) return { draft: body, title: undefined }
  const title = body.title
  if (title !== undefined && typeof title !== 'string') throw new DraftInvalidError('title must be a string')
  const schema = typeof body.schema === 'string' ? parseSchemaText(body.schema, 'schema') : body.schema
  if (!isRecord(schema)) throw new DraftInvalidError('schema must be an object or YAML text of one')
  return { draft: schema, title }
}

function matchesEtag (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '')
    return tag === etag || tag === '*'
  })
}

function routeOf (request: FastifyRequest): Route {
  if (request.method === 'POST') return 'check'
  const rest = request.url.replace(/^\/schemas\/?/, '').split('?')[0] ?? ''
  if (rest === '') return 'titles'
  return /(^|\/)(latest|\d+\.\d+\.\d+)(\.(yaml|json))?$/.test(rest) ? 'schema' : 'versions'
}
