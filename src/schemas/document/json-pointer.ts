/** RFC 6901 JSON pointers, used to name the place of every violation and problem. */
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
