/** A mapping of the parsed YAML of a reference configuration. */
export type Data = Record<string, unknown>

export const isObject = (value: unknown): value is Data => value !== null && typeof value === 'object' && !Array.isArray(value)
