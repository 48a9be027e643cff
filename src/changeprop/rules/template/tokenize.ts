import { TemplateSyntaxError } from '../../errors.js'

// The tokens of one expression, with their positions in the whole template for error messages.

export type Token =
  | { kind: 'name', value: string, at: number }
  | { kind: 'string', value: string, at: number }
  | { kind: 'number', value: number, at: number }
  | { kind: 'punct', value: string, at: number }

export function tokenize (text: string, template: string, base: number): Token[] {
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
