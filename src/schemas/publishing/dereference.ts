import { appendPointer, parsePointer } from '../document/json-pointer.js'
import { isRecord } from '../document/json-value.js'
import { RefUnresolvedError } from '../errors.js'

/**
 * Loads the document a `$ref` names, e.g. `/fragment/common/2.0.0` → that
 * version's materialized schema. Undefined when there is no such document.
 */
export type ReferenceLoader = (id: string) => Promise<unknown>

interface Document {
  key: string
  value: unknown
}

interface RefTarget {
  /** Undefined for a pointer into the document holding the `$ref`. */
  id: string | undefined
  pointer: string
}

/** Upper bound on nested `$ref` expansion, so a pathological fragment chain cannot hang the tool. */
const maxRefDepth = 64

/**
 * Replaces every `$ref` with a copy of what it points to, as json-schema-ref-parser
 * does for jsonschema-tools: `#…` and `./#…` point into the same document,
 * `/title/X.Y.Z#…` into another schema of the repository (its materialized file).
 * Keys next to a `$ref` are kept and win over the referenced schema's keys.
 * Refs inside `examples` are resolved too (`$schema: {$ref: '#/$id'}`).
 */
export async function dereference (root: Record<string, unknown>, load: ReferenceLoader): Promise<Record<string, unknown>> {
  const documents = new Map<string, Promise<Document | undefined>>()
  const rootDocument: Document = { key: '', value: root }

  function loadDocument (id: string): Promise<Document | undefined> {
    let pending = documents.get(id)
    if (pending === undefined) {
      pending = load(id).then((value) => value === undefined ? undefined : { key: id, value })
      documents.set(id, pending)
    }
    return pending
  }

  async function resolve (node: unknown, doc: Document, at: string, active: readonly string[]): Promise<unknown> {
    if (Array.isArray(node)) {
      const out: unknown[] = []
      for (const [i, item] of node.entries()) out.push(await resolve(item, doc, appendPointer(at, i), active))
      return out
    }
    if (!isRecord(node)) return node
    const ref = node.$ref
    if (typeof ref !== 'string') {
      const out: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(node)) out[key] = await resolve(value, doc, appendPointer(at, key), active)
      return out
    }
    const target = parseRef(ref, at)
    let targetDoc: Document | undefined = doc
    if (target.id !== undefined) {
      targetDoc = await loadDocument(target.id)
      if (targetDoc === undefined) throw new RefUnresolvedError(ref, at, `no schema ${target.id} in the repository`)
    }
    const key = `${targetDoc.key}#${target.pointer}`
    if (active.includes(key)) throw new RefUnresolvedError(ref, at, 'the reference is circular')
    if (active.length >= maxRefDepth) throw new RefUnresolvedError(ref, at, `more than ${maxRefDepth} nested references`)
    const raw = await follow(targetDoc, target.pointer, ref, at, [...active, key])
    const resolved = await resolve(raw, targetDoc, at, [...active, key])
    const siblings = Object.keys(node).filter((k) => k !== '$ref')
    if (siblings.length === 0 || !isRecord(resolved)) return resolved
    const out: Record<string, unknown> = {}
    for (const sibling of siblings) out[sibling] = await resolve(node[sibling], doc, appendPointer(at, sibling), active)
    for (const [k, v] of Object.entries(resolved)) if (!Object.hasOwn(out, k)) out[k] = v
    return out
  }

  /** Walks a pointer through a document, expanding `$ref`s met on the way. */
  async function follow (doc: Document, pointer: string, ref: string, at: string, active: readonly string[]): Promise<unknown> {
    let tokens: string[]
    try {
      tokens = parsePointer(pointer)
    } catch {
      throw new RefUnresolvedError(ref, at, `'${pointer}' is not a JSON pointer`)
    }
    let node = doc.value
    for (const token of tokens) {
      if (isRecord(node) && typeof node.$ref === 'string') node = await resolve(node, doc, at, active)
      if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < node.length) node = node[Number(token)]
      else if (isRecord(node) && Object.hasOwn(node, token)) node = node[token]
      else throw new RefUnresolvedError(ref, at, `${doc.key === '' ? 'this schema' : doc.key} has nothing at '${pointer}'`)
    }
    return node
  }

  return await resolve(root, rootDocument, '', []) as Record<string, unknown>
}

function parseRef (ref: string, at: string): RefTarget {
  const hash = ref.indexOf('#')
  const base = hash === -1 ? ref : ref.slice(0, hash)
  const fragment = hash === -1 ? '' : ref.slice(hash + 1)
  if (fragment !== '' && !fragment.startsWith('/')) {
    throw new RefUnresolvedError(ref, at, 'only JSON-pointer fragments (#/…) are supported, not plain-name anchors')
  }
  if (base === '' || base === '.' || base === './') return { id: undefined, pointer: fragment }
  if (base.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(base)) return { id: base, pointer: fragment }
  throw new RefUnresolvedError(ref, at, "relative references must start with '/' (e.g. /fragment/common/1.0.0#)")
}
