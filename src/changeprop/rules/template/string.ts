import { TemplateSyntaxError } from '../../errors.js'
import type { Evaluate, Render, TemplateContext, TemplateMode } from './context.js'
import { compileExpression } from './expression.js'
import { encodeComponent, encodePath } from './uri.js'

// Template strings: literal text with `{{expr}}`, `{expr}`, `{+expr}` and `{/expr}` inserts.

type Part =
  | { kind: 'text', text: string }
  | { kind: 'raw' | 'encoded' | 'plus' | 'slash', evaluate: Evaluate, inPath: boolean }

/** Index just past the expression starting at `start`, ending in `close` at bracket depth 0. */
function findClose (source: string, start: number, close: string): number {
  let depth = 0
  let quote: string | undefined
  for (let i = start; i < source.length; i++) {
    const c = source[i] as string
    if (quote !== undefined) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '{' || c === '[' || c === '(') depth++
    else if (depth > 0 && (c === '}' || c === ']' || c === ')')) depth--
    else if (depth === 0 && source.startsWith(close, i)) return i
  }
  throw new TemplateSyntaxError(source, start, `missing '${close}'`)
}

function parseParts (source: string, mode: TemplateMode): Part[] {
  const parts: Part[] = []
  let text = ''
  let literalPrefix = ''
  let i = 0
  while (i < source.length) {
    const c = source[i] as string
    if (c === '}') throw new TemplateSyntaxError(source, i, "unmatched '}'")
    if (c !== '{') { text += c; i++; continue }
    if (text !== '') { parts.push({ kind: 'text', text }); literalPrefix += text; text = '' }
    // A raw insert before the path (scheme, host, port) must stay as it is; inserts in
    // the path or query are normalized so a title like `User:A/B?c` cannot break the URI.
    const inPath = mode === 'uri' && literalPrefix !== '' && !/^([A-Za-z][A-Za-z0-9+.-]*:)?(\/\/[^/?#]*)?$/.test(literalPrefix)
    if (source[i + 1] === '{') {
      const end = findClose(source, i + 2, '}}')
      parts.push({ kind: 'raw', evaluate: compileExpression(source.slice(i + 2, end), source, i + 2), inPath })
      i = end + 2
    } else {
      const end = findClose(source, i + 1, '}')
      let inner = source.slice(i + 1, end)
      let base = i + 1
      let kind: 'encoded' | 'plus' | 'slash' = 'encoded'
      if (inner.startsWith('+')) { kind = 'plus'; inner = inner.slice(1); base++ } else if (inner.startsWith('/')) { kind = 'slash'; inner = inner.slice(1); base++ }
      parts.push({ kind, evaluate: compileExpression(inner, source, base), inPath })
      i = end + 1
    }
  }
  if (text !== '') parts.push({ kind: 'text', text })
  return parts
}

function stringify (value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * Compiles a template string. A string without braces renders to itself; one that is
 * exactly `{{expr}}` renders to the value with its type; anything else renders to a string.
 */
export function compileTemplateString (source: string, mode: TemplateMode = 'value'): Render {
  const parts = parseParts(source, mode)
  if (parts.length === 0) return () => ''
  if (parts.length === 1) {
    const [only] = parts as [Part]
    if (only.kind === 'text') {
      const text = only.text
      return () => text
    }
    if (only.kind === 'raw') return only.evaluate
  }
  const renderers = parts.map((part): ((context: TemplateContext) => string) => {
    switch (part.kind) {
      case 'text': {
        const text = part.text
        return () => text
      }
      case 'raw':
        return part.inPath ? (context) => encodePath(stringify(part.evaluate(context))) : (context) => stringify(part.evaluate(context))
      case 'plus':
        return (context) => stringify(part.evaluate(context))
      case 'encoded':
        return (context) => encodeComponent(stringify(part.evaluate(context)))
      case 'slash':
        return (context) => {
          const value = part.evaluate(context)
          return value === undefined || value === null ? '' : `/${encodeComponent(stringify(value))}`
        }
    }
  })
  return (context) => {
    let out = ''
    for (const render of renderers) out += render(context)
    return out
  }
}
