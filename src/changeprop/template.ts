import { TemplateRenderError, TemplateSyntaxError } from './errors.js'

/**
 * The template language of exec requests, `hash_template`, limiter keys and dedupe keys,
 * compatible with Wikimedia Change Propagation (swagger-router request templates):
 *
 * - `{{expr}}` inserts the value as is; a string that is exactly one `{{expr}}` keeps the
 *   value's type (object, number, array), so `'{{globals.message}}'` is the whole event;
 * - `{expr}` inserts it URI-component-encoded, `{+expr}` unencoded, `{/expr}` as `/<encoded>`
 *   or nothing when undefined;
 * - expressions are dotted paths from `message`, `match` or the root (`$`, `globals`),
 *   `a[1]`, `a['x-y']`, literals, `{…}` / `[…]` literals and the functions below.
 *
 * Templates are parsed once into closures. Nothing is ever evaluated as code, and member
 * access only reads own properties of plain data, so a rule cannot reach prototypes.
 */
export interface TemplateContext {
  message: unknown
  match: Record<string, unknown>
}

export type Render = (context: TemplateContext) => unknown

/** Where a string template is used; `uri` encodes raw inserts that land in the path or query. */
export type TemplateMode = 'value' | 'uri'

type Evaluate = (context: TemplateContext) => unknown

// ---------------------------------------------------------------------------------------
// Functions callable from templates.

const functions: Record<string, (args: unknown[]) => unknown> = {
  date ([value, format = 'rfc822']) {
    if (value === undefined || value === null) return undefined
    const time = toTime(value)
    if (format === 'iso') return new Date(time).toISOString()
    if (format === 'rfc822') return new Date(time).toUTCString().replace(/GMT$/, '+0000')
    throw new TemplateRenderError(`date(): unknown format '${String(format)}' (use 'rfc822' or 'iso')`)
  },
  decode ([value]) {
    if (value === undefined || value === null) return value
    try {
      return decodeURIComponent(String(value))
    } catch (err) {
      throw new TemplateRenderError(`decode(): '${String(value)}' is not URI-encoded text`, { cause: err })
    }
  },
  default ([value, fallback]) {
    return value === undefined || value === null ? fallback : value
  },
  merge ([target, source]) {
    // Keys of the first argument win, as in the reference ("no overwrite").
    return { ...asRecord(source, 'merge'), ...asRecord(target, 'merge') }
  },
  strip ([value, keys]) {
    const drop = new Set(Array.isArray(keys) ? keys.map(String) : [String(keys)])
    return Object.fromEntries(Object.entries(asRecord(value, 'strip')).filter(([key]) => !drop.has(key)))
  },
  filter ([value, keys]) {
    const keep = new Set(Array.isArray(keys) ? keys.map(String) : [String(keys)])
    return Object.fromEntries(Object.entries(asRecord(value, 'filter')).filter(([key]) => keep.has(key)))
  }
}

/** Names of the functions templates may call. */
export const templateFunctions: readonly string[] = Object.keys(functions)

function toTime (value: unknown): number {
  let time = Number.NaN
  if (typeof value === 'number') time = value
  else if (value instanceof Date) time = value.getTime()
  else if (typeof value === 'string') time = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(time) || Number.isNaN(new Date(time).getTime())) {
    throw new TemplateRenderError(`date(): '${String(value)}' is not a date`)
  }
  return time
}

function asRecord (value: unknown, fn: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new TemplateRenderError(`${fn}(): expects an object`)
  return value as Record<string, unknown>
}

// ---------------------------------------------------------------------------------------
// Expressions: tokenizer and recursive-descent parser producing closures.

type Token =
  | { kind: 'name', value: string, at: number }
  | { kind: 'string', value: string, at: number }
  | { kind: 'number', value: number, at: number }
  | { kind: 'punct', value: string, at: number }

function tokenize (text: string, template: string, base: number): Token[] {
  const tokens: Token[] = []
  let i = 0
  // After a '.', a path segment may contain '-' (`message.meta.x-request-id`).
  let segment = false
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) { i++; continue }
    const at = base + i
    if (c === '"' || c === "'") {
      let value = ''
      let j = i + 1
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++
        value += text[j]
      }
      if (j >= text.length) throw new TemplateSyntaxError(template, at, 'unterminated string')
      tokens.push({ kind: 'string', value, at })
      i = j + 1
      segment = false
      continue
    }
    const nameMatch = (segment ? /^[A-Za-z0-9_$-]+/ : /^[A-Za-z_$][A-Za-z0-9_$]*/).exec(text.slice(i))
    if (nameMatch !== null) {
      tokens.push({ kind: 'name', value: nameMatch[0], at })
      i += nameMatch[0].length
      segment = false
      continue
    }
    const numberMatch = /^-?\d+(\.\d+)?/.exec(text.slice(i))
    if (numberMatch !== null) {
      tokens.push({ kind: 'number', value: Number(numberMatch[0]), at })
      i += numberMatch[0].length
      continue
    }
    if ('.[](){},:'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, at })
      segment = c === '.'
      i++
      continue
    }
    throw new TemplateSyntaxError(template, at, `unexpected '${c}'`)
  }
  return tokens
}

function readMember (object: unknown, key: unknown): unknown {
  if (object === null || typeof object !== 'object') return undefined
  const name = typeof key === 'number' ? String(key) : key
  if (typeof name !== 'string') return undefined
  return Object.hasOwn(object, name) ? (object as Record<string, unknown>)[name] : undefined
}

class ExpressionParser {
  #tokens: Token[]
  #pos = 0
  #template: string
  #end: number

  constructor (tokens: Token[], template: string, end: number) {
    this.#tokens = tokens
    this.#template = template
    this.#end = end
  }

  parseAll (): Evaluate {
    const expression = this.#expression()
    const extra = this.#tokens[this.#pos]
    if (extra !== undefined) this.#fail(extra.at, `unexpected '${String(extra.value)}'`)
    return expression
  }

  #fail (at: number, problem: string): never {
    throw new TemplateSyntaxError(this.#template, at, problem)
  }

  #peek (): Token | undefined { return this.#tokens[this.#pos] }

  #next (): Token {
    const token = this.#tokens[this.#pos++]
    if (token === undefined) this.#fail(this.#end, 'unexpected end of expression')
    return token
  }

  #isPunct (value: string): boolean {
    const token = this.#peek()
    return token?.kind === 'punct' && token.value === value
  }

  #expect (value: string): void {
    const token = this.#next()
    if (token.kind !== 'punct' || token.value !== value) this.#fail(token.at, `expected '${value}'`)
  }

  #expression (): Evaluate {
    let current = this.#primary()
    for (;;) {
      if (this.#isPunct('.')) {
        this.#pos++
        const token = this.#next()
        if (token.kind !== 'name' && token.kind !== 'number') this.#fail(token.at, 'expected a name after \'.\'')
        const key = String(token.value)
        const object = current
        current = (context) => readMember(object(context), key)
      } else if (this.#isPunct('[')) {
        this.#pos++
        const key = this.#expression()
        this.#expect(']')
        const object = current
        current = (context) => readMember(object(context), key(context))
      } else {
        return current
      }
    }
  }

  #primary (): Evaluate {
    const token = this.#next()
    switch (token.kind) {
      case 'string':
      case 'number': {
        const value = token.value
        return () => value
      }
      case 'punct':
        if (token.value === '{') return this.#objectLiteral()
        if (token.value === '[') return this.#arrayLiteral()
        if (token.value === '(') {
          const inner = this.#expression()
          this.#expect(')')
          return inner
        }
        return this.#fail(token.at, `unexpected '${token.value}'`)
      case 'name':
        return this.#name(token)
    }
  }

  #name (token: Token & { kind: 'name' }): Evaluate {
    const name = token.value
    if (name === 'true') return () => true
    if (name === 'false') return () => false
    if (name === 'null') return () => null
    if (name === 'undefined') return () => undefined
    if (name === '$$') {
      this.#expect('.')
      const fn = this.#next()
      if (fn.kind !== 'name') return this.#fail(fn.at, 'expected a function name after \'$$.\'')
      return this.#call(fn)
    }
    if (this.#isPunct('(')) return this.#call(token)
    if (name === '$' || name === 'globals') return (context) => context
    if (name === 'message') return (context) => context.message
    if (name === 'match') return (context) => context.match
    return this.#fail(token.at, `unknown name '${name}' (paths start at message, match, globals or $)`)
  }

  #call (token: Token & { kind: 'name' }): Evaluate {
    const fn = functions[token.value]
    if (fn === undefined || !Object.hasOwn(functions, token.value)) {
      return this.#fail(token.at, `unknown function '${token.value}' (known: ${templateFunctions.join(', ')})`)
    }
    this.#expect('(')
    const args: Evaluate[] = []
    while (!this.#isPunct(')')) {
      args.push(this.#expression())
      if (!this.#isPunct(')')) this.#expect(',')
    }
    this.#pos++
    return (context) => fn(args.map((arg) => arg(context)))
  }

  #objectLiteral (): Evaluate {
    const entries: Array<[string, Evaluate]> = []
    while (!this.#isPunct('}')) {
      const key = this.#next()
      if (key.kind !== 'name' && key.kind !== 'string') this.#fail(key.at, 'expected a key')
      this.#expect(':')
      entries.push([String(key.value), this.#expression()])
      if (!this.#isPunct('}')) this.#expect(',')
    }
    this.#pos++
    return (context) => Object.fromEntries(entries.map(([key, value]) => [key, value(context)]))
  }

  #arrayLiteral (): Evaluate {
    const items: Evaluate[] = []
    while (!this.#isPunct(']')) {
      items.push(this.#expression())
      if (!this.#isPunct(']')) this.#expect(',')
    }
    this.#pos++
    return (context) => items.map((item) => item(context))
  }
}

/** Compiles one expression (the text between the braces). */
export function compileExpression (text: string, template = text, base = 0): Evaluate {
  const tokens = tokenize(text, template, base)
  if (tokens.length === 0) throw new TemplateSyntaxError(template, base, 'empty expression')
  return new ExpressionParser(tokens, template, base + text.length).parseAll()
}

// ---------------------------------------------------------------------------------------
// Template strings.

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

function encodeComponent (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch (err) {
    throw new TemplateRenderError('value cannot be URI-encoded', { cause: err })
  }
}

// Characters a URI path or query may carry as they are; everything else is percent-encoded.
// ':' is encoded on purpose, as the reference does for titles like `User:Foo`.
const pathSafe = /[A-Za-z0-9\-._~!$&'()*+,;=@/]/

function encodePath (value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string
    if (pathSafe.test(c)) out += c
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) out += c
    else {
      const code = value.codePointAt(i) as number
      const char = String.fromCodePoint(code)
      out += encodeComponent(char)
      i += char.length - 1
    }
  }
  return out
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

/** Whether a string contains template syntax at all. */
export function isTemplate (source: string): boolean {
  return source.includes('{') || source.includes('}')
}

/**
 * Compiles a whole template value (a request body, a header map…): every string in it is
 * a template, object keys are literal, and keys whose value renders to undefined are dropped.
 * A string that does not parse raises TemplateSyntaxError carrying its JSON pointer.
 */
export function compileTemplate (value: unknown, pointer = ''): Render {
  if (typeof value === 'string') {
    try {
      return compileTemplateString(value)
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new TemplateSyntaxError(err.template, err.position, err.problem, pointer)
      throw err
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileTemplate(item, `${pointer}/${index}`))
    return (context) => items.map((item) => item(context))
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, compileTemplate(item, `${pointer}/${escapePointer(key)}`)] as const)
    return (context) => {
      const out: Record<string, unknown> = {}
      for (const [key, render] of entries) {
        const rendered = render(context)
        if (rendered !== undefined) out[key] = rendered
      }
      return out
    }
  }
  return () => value
}

export function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}
