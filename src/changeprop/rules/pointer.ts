/** Escapes one key for a JSON pointer (RFC 6901), as rule errors name where they are. */
export function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}
