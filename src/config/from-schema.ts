/**
 * The TypeScript type of a config once it is validated, derived from its JSON schema (written
 * `as const`), so that the type and the schema cannot drift apart.
 *
 * A key is present when the schema requires it or gives it a `default` (Ajv's `useDefaults`
 * fills it in before anything reads the config), and optional otherwise. Ajv's own
 * `JSONSchemaType<T>` goes the other way: it checks a hand-written T against the schema, so the
 * interface is still written twice, and it makes every optional key `nullable`, which would let
 * a config say `null`. The subset understood here is the one the config schemas use: `type`
 * (one name or a list), `enum`, `const`, `anyOf`, `if`/`then`/`else`, `properties`, `required`,
 * `additionalProperties` and `items`.
 */
export type FromSchema<S> =
  S extends { const: infer C } ? C
    : S extends { enum: ReadonlyArray<infer E> } ? E
      : S extends { anyOf: ReadonlyArray<infer A> } ? (A extends unknown ? FromSchema<A> : never)
        : S extends { if: unknown, then: infer Then, else: infer Else } ? FromSchema<Then> | FromSchema<Else>
          : S extends { type: ReadonlyArray<infer N> } ? (N extends unknown ? OfType<N, S> : never)
            : S extends { type: infer N } ? OfType<N, S>
              : S extends { properties: unknown } ? ObjectOf<S>
                : S extends { items: unknown } ? ArrayOf<S>
                  : unknown

type OfType<N, S> =
  N extends 'string' ? string
    : N extends 'integer' | 'number' ? number
      : N extends 'boolean' ? boolean
        : N extends 'null' ? null
          : N extends 'array' ? ArrayOf<S>
            : N extends 'object' ? ObjectOf<S>
              : unknown

type ArrayOf<S> = S extends { items: infer I } ? Array<FromSchema<I>> : unknown[]

type ObjectOf<S> = Simplify<
  (S extends { properties: infer P } ? Properties<P, S extends { required: ReadonlyArray<infer R> } ? R : never> : unknown) &
  Additional<S>
>

type PresentKeys<P, R> = { [K in keyof P]: K extends R ? K : P[K] extends { default: unknown } ? K : never }[keyof P]

type Properties<P, R> =
  { -readonly [K in PresentKeys<P, R>]: FromSchema<P[K]> } &
  { -readonly [K in Exclude<keyof P, PresentKeys<P, R>>]?: FromSchema<P[K]> }

type Additional<S> =
  S extends { additionalProperties: false } ? unknown
    : S extends { additionalProperties: infer A } ? Record<string, FromSchema<A>>
      : S extends { properties: unknown } ? unknown
        : Record<string, unknown>

type Simplify<T> = { [K in keyof T]: T[K] } & {}
