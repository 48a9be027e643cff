/** Dotted-path access into untrusted event objects, without ever walking into prototypes. */

export type EventObject = Record<string, unknown>

export function isEventObject (value: unknown): value is EventObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function getPath (event: EventObject, path: string): unknown {
  let node: unknown = event
  for (const key of path.split('.')) {
    if (!isEventObject(node) || !Object.hasOwn(node, key)) return undefined
    node = node[key]
  }
  return node
}

/** The first of `paths` present in the event, as EventGate's `makeExtractField` does. */
export function extractFirst (event: EventObject, paths: readonly string[]): unknown {
  for (const path of paths) {
    const value = getPath(event, path)
    if (value !== undefined) return value
  }
  return undefined
}

/** Sets a value, creating intermediate objects; refuses to replace a non-object on the way. */
export function setPath (event: EventObject, path: string, value: unknown): boolean {
  const keys = path.split('.')
  let node = event
  for (const key of keys.slice(0, -1)) {
    if (!Object.hasOwn(node, key) || node[key] === undefined) node[key] = {}
    const next = node[key]
    if (!isEventObject(next)) return false
    node = next
  }
  node[keys[keys.length - 1] as string] = value
  return true
}

export function asList (value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value
}
