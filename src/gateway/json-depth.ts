const openBrace = 0x7b
const closeBrace = 0x7d
const openBracket = 0x5b
const closeBracket = 0x5d
const quote = 0x22
const backslash = 0x5c

/**
 * The deepest nesting of objects and arrays in a JSON text, counted without parsing it and
 * stopping as soon as `limit` is passed. Scanning the text is one pass with no recursion, so a
 * body of 5,000 nested arrays costs no more than any other body of its size, and no later
 * recursive step (validation, `JSON.stringify` of the answer) ever sees it.
 */
export function jsonDepthExceeds (text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === backslash) i++
      else if (c === quote) inString = false
    } else if (c === quote) {
      inString = true
    } else if (c === openBrace || c === openBracket) {
      if (++depth > limit) return true
    } else if (c === closeBrace || c === closeBracket) {
      depth--
    }
  }
  return false
}

/**
 * The body limit for `max_event_depth`: an event is one level (its own object), and an array
 * of events adds the array's level.
 */
export function bodyDepthLimit (text: string, maxEventDepth: number): number {
  return text.trimStart().startsWith('[') ? maxEventDepth + 1 : maxEventDepth
}
