/**
 * The template language of exec requests, `hash_template`, limiter keys and dedupe keys,
 * compatible with Wikimedia Change Propagation (swagger-router request templates):
 *
 * - `{{expr}}` inserts the value as is; a string that is exactly one `{{expr}}` keeps the
 *   value's type (object, number, array), so `'{{globals.message}}'` is the whole event;
 * - `{expr}` inserts it URI-component-encoded, `{+expr}` unencoded, `{/expr}` as `/<encoded>`
 *   or nothing when undefined;
 * - expressions are dotted paths from `message`, `match` or the root (`$`, `globals`),
 *   `a[1]`, `a['x-y']`, literals, `{…}` / `[…]` literals and the functions below.
 *
 * Templates are parsed once into closures. Nothing is ever evaluated as code, and member
 * access only reads own properties of plain data, so a rule cannot reach prototypes.
 */
export interface TemplateContext {
  message: unknown
  match: Record<string, unknown>
}

export type Render = (context: TemplateContext) => unknown

/** Where a string template is used; `uri` encodes raw inserts that land in the path or query. */
export type TemplateMode = 'value' | 'uri'

/** A compiled expression. */
export type Evaluate = (context: TemplateContext) => unknown
