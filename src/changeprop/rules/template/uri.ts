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

/** Encodes what a path or query may not carry as it is, keeping existing `%XX` escapes. */
export function encodePath (value: string): string {
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
