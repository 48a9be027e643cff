/** RFC 6901 JSON pointers, used to name the place of every violation. */
export function escapePointerToken (token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1')
}

export function appendPointer (pointer: string, ...tokens: Array<string | number>): string {
  return pointer + tokens.map((t) => '/' + escapePointerToken(t)).join('')
}

export function parsePointer (pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`)
  return pointer.slice(1).split('/').map((t) => decodeURIComponent(t).replaceAll('~1', '/').replaceAll('~0', '~'))
}

export function getPointer (value: unknown, pointer: string): unknown {
  let node = value
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined
      node = node[Number(token)]
    } else if (isRecord(node)) {
      if (!Object.hasOwn(node, token)) return undefined
      node = node[token]
    } else {
      return undefined
    }
  }
  return node
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
