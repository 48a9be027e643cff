import type { ErrorObject } from 'ajv'

const identifier = /^[A-Za-z$_][A-Za-z0-9$_]*$/

/**
 * EventGate's `errorsText`: `'<path>' <message>` joined by `, `.
 *
 * EventGate ran Ajv 6, whose `dataPath` was a JavaScript property path
 * (`.meta.dt`, `.tags[0]`, `['user-agent']`). Ajv 8 reports a JSON pointer
 * (`/meta/dt`) instead, so the pointer is converted back to that form: the
 * strings stay recognisable to people and tools used to EventGate's output.
 * The messages are Ajv 8's ("must be string" where Ajv 6 said "should be
 * string"). All-digit segments are shown as indexes (`[0]`), since a pointer
 * does not say whether it stepped into an array or an object.
 */
export function formatErrorsText (errors: readonly ErrorObject[]): string {
  return errors.map((error) => `'${propertyPath(error.instancePath)}' ${error.message ?? `failed ${error.keyword}`}`).join(', ')
}

/** `/meta/dt` → `.meta.dt`, `/tags/0` → `.tags[0]`, `/headers/user-agent` → `.headers['user-agent']`. */
export function propertyPath (instancePath: string): string {
  if (instancePath === '') return ''
  return instancePath.slice(1).split('/').map((token) => {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~')
    if (/^(0|[1-9]\d*)$/.test(key)) return `[${key}]`
    if (identifier.test(key)) return `.${key}`
    return `['${key.replaceAll('\\', '\\\\').replaceAll('\'', '\\\'')}']`
  }).join('')
}
