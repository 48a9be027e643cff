import { TemplateSyntaxError } from '../../errors.js'
import { escapePointer } from '../pointer.js'
import type { Render } from './context.js'
import { compileTemplateString } from './string.js'

/**
 * Compiles a whole template value (a request body, a header map…): every string in it is
 * a template, object keys are literal, and keys whose value renders to undefined are dropped.
 * A string that does not parse raises TemplateSyntaxError carrying its JSON pointer.
 */
export function compileTemplate (value: unknown, pointer = ''): Render {
  if (typeof value === 'string') {
    try {
      return compileTemplateString(value)
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new TemplateSyntaxError(err.template, err.position, err.problem, pointer)
      throw err
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileTemplate(item, `${pointer}/${index}`))
    return (context) => items.map((item) => item(context))
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, compileTemplate(item, `${pointer}/${escapePointer(key)}`)] as const)
    return (context) => {
      const out: Record<string, unknown> = {}
      for (const [key, render] of entries) {
        const rendered = render(context)
        if (rendered !== undefined) out[key] = rendered
      }
      return out
    }
  }
  return () => value
}
