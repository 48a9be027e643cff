import { escapePointer } from './pointer.js'
import { messageOf } from '../../errors.js'

/**
 * The `match` / `match_not` predicate language of Wikimedia Change Propagation, compiled
 * into closures over RegExp and equality checks (never into generated code):
 *
 * - object keys are ANDed and recurse; a nested pattern needs an object at that path;
 * - numbers, booleans and null must be strictly equal (`5` does not match `"5"`);
 * - the string `'undefined'` means the field is absent;
 * - a string shaped `/body/flags` is a regex the field (a string) must match; its groups
 *   are captured for templates: unnamed groups as the match array (`match.x[1]`), named
 *   groups as an object (`match.x.name`); mixing both is refused;
 * - any other string must be equal;
 * - an array pattern needs an array field in which every pattern element matches some
 *   element (subset semantics, order does not matter).
 *
 * Constant scalars are echoed into the captures (`match.message === 'test'`).
 */
export type Captures = Record<string, unknown>

/** Returns the captures when the value matches, undefined when it does not. */
export type Matcher = (value: unknown) => Captures | undefined

/** A compile problem with the JSON pointer (relative to the pattern) where it was found. */
export class MatchSpecError extends Error {
  readonly pointer: string
  constructor (pointer: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.pointer = pointer
  }
}

const regexShape = /^\/(.+)\/([dgimsuy]{0,7})$/

/** Whether a string in a pattern is a regex (`/…/flags`). */
export function isRegexPattern (value: string): boolean {
  return regexShape.test(value)
}

type Groups = { named: number, unnamed: number }

function countGroups (source: string): Groups {
  const groups: Groups = { named: 0, unnamed: 0 }
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === '\\') { i++; continue }
    if (inClass) { if (c === ']') inClass = false; continue }
    if (c === '[') { inClass = true; continue }
    if (c !== '(') continue
    if (source[i + 1] !== '?') groups.unnamed++
    else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') groups.named++
  }
  return groups
}

/** Compiles a `/body/flags` string. Stateful flags (g, y) are dropped: each test starts afresh. */
export function compileRegex (pattern: string, pointer = ''): { regex: RegExp, named: boolean } {
  const shape = regexShape.exec(pattern)
  if (shape === null) throw new MatchSpecError(pointer, `'${pattern}' is not a /regex/`)
  const [, body = '', flags = ''] = shape
  const groups = countGroups(body)
  if (groups.named > 0 && groups.unnamed > 0) {
    throw new MatchSpecError(pointer, `regex ${pattern} mixes named and unnamed capture groups, which is not supported`)
  }
  try {
    return { regex: new RegExp(body, flags.replace(/[gy]/g, '')), named: groups.named > 0 }
  } catch (err) {
    throw new MatchSpecError(pointer, `invalid regex ${pattern}: ${messageOf(err)}`, { cause: err })
  }
}

const noCaptures: Captures = Object.freeze({})

function compileNode (pattern: unknown, pointer: string): { test: (value: unknown) => boolean | { capture: unknown } } {
  if (pattern === null || typeof pattern === 'number' || typeof pattern === 'boolean') {
    return { test: (value) => (value === pattern ? { capture: pattern } : false) }
  }
  if (typeof pattern === 'string') {
    if (pattern === 'undefined') return { test: (value) => value === undefined }
    if (isRegexPattern(pattern)) {
      const { regex, named } = compileRegex(pattern, pointer)
      return {
        test: (value) => {
          if (typeof value !== 'string') return false
          const result = regex.exec(value)
          if (result === null) return false
          return { capture: named ? { ...result.groups } : Array.from(result) }
        }
      }
    }
    return { test: (value) => (value === pattern ? { capture: pattern } : false) }
  }
  if (Array.isArray(pattern)) {
    const items = pattern.map((item, index) => compileNode(item, `${pointer}/${index}`))
    // Array patterns are not captured: which element matched is not meaningful.
    return { test: (value) => Array.isArray(value) && items.every((item) => value.some((element) => item.test(element) !== false)) }
  }
  if (typeof pattern === 'object') {
    const entries = Object.entries(pattern).map(([key, item]) => [key, compileNode(item, `${pointer}/${escapePointer(key)}`)] as const)
    return {
      test: (value) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
        const captures: Captures = {}
        let captured = false
        for (const [key, node] of entries) {
          const field = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
          const result = node.test(field)
          if (result === false) return false
          if (result !== true) {
            captures[key] = result.capture
            captured = true
          }
        }
        return captured ? { capture: captures } : true
      }
    }
  }
  throw new MatchSpecError(pointer, `unsupported pattern of type ${typeof pattern}`)
}

/** Compiles a `match` object. An absent pattern matches every event. */
export function compileMatch (pattern: unknown, pointer = ''): Matcher {
  if (pattern === undefined) return () => noCaptures
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    // The reference compiles a top-level array into a test against the event itself,
    // which can never match; refuse it and point at `cases` for alternatives.
    throw new MatchSpecError(pointer, 'match must be an object (use cases for alternatives)')
  }
  const root = compileNode(pattern, pointer)
  return (value) => {
    const result = root.test(value)
    if (result === false) return undefined
    if (result === true) return noCaptures
    return result.capture as Captures
  }
}

/** Compiles a `match_not` object or list of objects (ORed). Returns true when any hits. */
export function compileMatchNot (pattern: unknown, pointer = ''): (value: unknown) => boolean {
  if (pattern === undefined) return () => false
  const list = Array.isArray(pattern) ? pattern : [pattern]
  const matchers = list.map((item, index) => compileMatch(item, Array.isArray(pattern) ? `${pointer}/${index}` : pointer))
  return (value) => matchers.some((matcher) => matcher(value) !== undefined)
}
