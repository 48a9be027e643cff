import { isRecord } from '../document/json-value.js'
import { typesOf } from '../document/walk.js'

export interface StreamRow {
  name: string
  schemaTitle: string
  topics: string[]
}

export interface IndexPage {
  titles: Array<{ title: string, latest: string | undefined, description: string | undefined }>
  streams: StreamRow[] | undefined
}

export interface SchemaPage {
  title: string
  /** The version shown; its schema is `schema`. */
  version: string
  versions: string[]
  schema: Record<string, unknown>
  streams: StreamRow[]
}

export interface FieldRow {
  path: string
  type: string
  required: boolean
  description: string
  constraints: string
}

/** The Content-Security-Policy of every page: no scripts, nothing loaded from elsewhere. */
export const pageSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function escapeHtml (text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

/** Title paths are made of safe segments, but escape them for attributes anyway. */
function href (path: string): string {
  return escapeHtml(encodeURI(path))
}

const style = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f7f7f7;padding:.75rem;overflow:auto}
.req{font-weight:600}nav a{margin-right:.75rem}`

function layout (title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
${body}
</body>
</html>
`
}

export function renderIndexPage (page: IndexPage): string {
  const rows = page.titles.map((t) => `<tr><td><a href="${href(`/schemas/${t.title}/`)}">${escapeHtml(t.title)}</a></td>` +
    `<td>${t.latest === undefined ? '' : `<a href="${href(`/schemas/${t.title}/${t.latest}`)}">${escapeHtml(t.latest)}</a>`}</td>` +
    `<td>${escapeHtml(firstLine(t.description))}</td></tr>`).join('\n')
  const streams = page.streams === undefined ? '' : streamsTable(page.streams, ' id="streams"')
  return layout('Schemas', `<h1>Schemas</h1>
<p>${page.titles.length} schemas. Every version is also served as JSON (<code>Accept: application/json</code>) and YAML (<code>.yaml</code>).</p>
<table id="schemas">
<thead><tr><th>Title</th><th>Latest</th><th>Description</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${streams}`)
}

function streamsTable (streams: readonly StreamRow[], headingAttributes: string): string {
  return `<h2${headingAttributes}>Streams</h2>
<table>
<thead><tr><th>Stream</th><th>Schema</th><th>Topics</th></tr></thead>
<tbody>
${streams.map(streamRow).join('\n')}
</tbody>
</table>`
}

function streamRow (s: StreamRow): string {
  return `<tr><td><code>${escapeHtml(s.name)}</code></td><td><a href="${href(`/schemas/${s.schemaTitle}/`)}">${escapeHtml(s.schemaTitle)}</a></td>` +
    `<td>${s.topics.map((t) => `<code>${escapeHtml(t)}</code>`).join(' ')}</td></tr>`
}

export function renderSchemaPage (page: SchemaPage): string {
  const { title, version, schema } = page
  const versions = [...page.versions].reverse().map((v) => v === version
    ? `<strong>${escapeHtml(v)}</strong>`
    : `<a href="${href(`/schemas/${title}/${v}`)}">${escapeHtml(v)}</a>`).join(' ')
  const fields = schemaFields(schema).map((f) => `<tr><td class="${f.required ? 'req' : ''}"><code>${escapeHtml(f.path)}</code></td>` +
    `<td>${escapeHtml(f.type)}</td><td>${f.required ? 'yes' : ''}</td><td>${escapeHtml(f.description)}</td><td>${escapeHtml(f.constraints)}</td></tr>`).join('\n')
  const examples = Array.isArray(schema.examples) ? schema.examples : []
  const streams = page.streams.length === 0 ? '' : streamsTable(page.streams, '')
  return layout(`${title} ${version}`, `<nav><a href="/schemas/">All schemas</a></nav>
<h1>${escapeHtml(title)} <small>${escapeHtml(version)}</small></h1>
<p>${escapeHtml(typeof schema.description === 'string' ? schema.description : '')}</p>
<p><code>$id: ${escapeHtml(String(schema.$id ?? ''))}</code> —
<a href="${href(`/schemas/${title}/${version}.json`)}">JSON</a>
<a href="${href(`/schemas/${title}/${version}.yaml`)}">YAML</a></p>
<h2>Versions</h2>
<p id="versions">${versions}</p>
<h2>Fields</h2>
<table id="fields">
<thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th><th>Constraints</th></tr></thead>
<tbody>
${fields}
</tbody>
</table>
<h2>Examples</h2>
${examples.length === 0 ? '<p>No examples.</p>' : examples.map((e, i) => `<pre id="example-${i}">${escapeHtml(JSON.stringify(e, null, 2))}</pre>`).join('\n')}
${streams}`)
}

const constraintKeywords = ['format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'default'] as const
/** Keeps the page small for deeply nested schemas. */
const maxFieldDepth = 8

/** Every property as a dotted path (`meta.stream`, `rev_slots.*`, `tags[]`), in schema order. */
export function schemaFields (schema: Record<string, unknown>): FieldRow[] {
  const rows: FieldRow[] = []
  const visit = (node: Record<string, unknown>, prefix: string, depth: number): void => {
    if (depth > maxFieldDepth) return
    const required = Array.isArray(node.required) ? node.required : []
    const properties = isRecord(node.properties) ? node.properties : {}
    for (const [name, child] of Object.entries(properties)) {
      if (!isRecord(child)) continue
      const path = prefix === '' ? name : `${prefix}.${name}`
      rows.push(fieldRow(path, child, required.includes(name)))
      descend(child, path, depth)
    }
    if (isRecord(node.additionalProperties) && Object.keys(node.additionalProperties).length > 0) {
      const path = prefix === '' ? '*' : `${prefix}.*`
      rows.push(fieldRow(path, node.additionalProperties, false))
      descend(node.additionalProperties, path, depth)
    }
  }
  const descend = (child: Record<string, unknown>, path: string, depth: number): void => {
    if (isRecord(child.properties) || isRecord(child.additionalProperties)) visit(child, path, depth + 1)
    if (isRecord(child.items) && (isRecord(child.items.properties) || isRecord(child.items.additionalProperties))) {
      visit(child.items, `${path}[]`, depth + 1)
    }
  }
  visit(schema, '', 0)
  return rows
}

function fieldRow (path: string, node: Record<string, unknown>, required: boolean): FieldRow {
  let type = typesOf(node).join(' | ')
  if (type === 'array' && isRecord(node.items)) type = `array of ${typesOf(node.items).join(' | ') || 'any'}`
  if (type === 'object' && !isRecord(node.properties) && isRecord(node.additionalProperties)) type = `map of ${typesOf(node.additionalProperties).join(' | ') || 'any'}`
  const constraints = constraintKeywords.filter((k) => Object.hasOwn(node, k)).map((k) => `${k}: ${JSON.stringify(node[k])}`)
  if (Array.isArray(node.enum)) constraints.unshift(`one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`)
  return { path, type, required, description: typeof node.description === 'string' ? node.description.trim() : '', constraints: constraints.join(', ') }
}

function firstLine (text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? ''
}

/** Stream config entries (`{name: {schema_title, topics?}}`), whichever loader produced them. */
export function streamRows (streams: unknown): StreamRow[] {
  if (!isRecord(streams)) return []
  const rows: StreamRow[] = []
  for (const [name, settings] of Object.entries(streams)) {
    if (!isRecord(settings) || typeof settings.schema_title !== 'string') continue
    const topics = Array.isArray(settings.topics) ? settings.topics.filter((t): t is string => typeof t === 'string') : []
    rows.push({ name, schemaTitle: settings.schema_title, topics })
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
