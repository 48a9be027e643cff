import { TemplateRenderError } from '../../errors.js'

/** Percent-encodes a whole URI component (`{expr}`). */
export function encodeComponent (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch (err) {
    throw new TemplateRenderError('value cannot be URI-encoded', { cause: err })
  }
}

// Characters a URI path or query may carry as they are; everything else is percent-encoded.
// ':' is encoded on purpose, as the reference does for titles like `User:Foo`.
const pathSafe = /[A-Za-z0-9\-._~!$&'()*+,;=@/]/
const allPathSafe = /^[A-Za-z0-9\-._~!$&'()*+,;=@/]*$/

/** Encodes what a path or query may not carry as it is, keeping existing `%XX` escapes. */
export function encodePath (value: string): string {
  // Most values (titles, domains, ids) need nothing: one test instead of one per character.
  if (allPathSafe.test(value)) return value
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

// application/x-www-form-urlencoded, as URLSearchParams writes it: encodeURIComponent also
// leaves !'()~ as they are, and writes a space as %20 where a form has +.
const formSafe = /^[A-Za-z0-9*\-._]*$/
const formExtra = /[!'()~]|%20/g
const formEscapes: Readonly<Record<string, string>> = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' }

/**
 * One name or value of a query string or form body, encoded as URLSearchParams would: a lone
 * surrogate (JSON may carry one) becomes U+FFFD rather than an error.
 */
function encodeFormComponent (value: string): string {
  if (formSafe.test(value)) return value
  return encodeURIComponent(value.toWellFormed()).replace(formExtra, (match) => formEscapes[match] ?? match)
}

/** `name=value` pairs joined by `&`, encoded as URLSearchParams would; undefined values are left out, objects are JSON. */
export function encodeForm (fields: Record<string, unknown>): string {
  let out = ''
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)
    out += `${out === '' ? '' : '&'}${encodeFormComponent(name)}=${encodeFormComponent(text)}`
  }
  return out
}
