import { TemplateSyntaxError } from '../../errors.js'
import type { Evaluate } from './context.js'
import { templateFunctionTable, templateFunctions } from './functions.js'
import { tokenize } from './tokenize.js'
import type { Token } from './tokenize.js'

// Expressions: a recursive-descent parser over the tokens, producing closures. Member access
// reads own properties of plain data only, so a rule cannot reach prototypes.

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
    const fn = templateFunctionTable[token.value]
    if (fn === undefined || !Object.hasOwn(templateFunctionTable, token.value)) {
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
