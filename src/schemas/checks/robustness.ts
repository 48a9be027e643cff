import type { ErrorObject, ValidateFunction } from 'ajv'
import { createAjvSet, prepareSchema } from '../document/ajv.js'
import { appendPointer } from '../document/json-pointer.js'
import { isRecord } from '../document/json-value.js'
import { findInsecureSchemaProblems } from '../document/secure.js'
import type { InsecureSchemaRule } from '../document/secure.js'
import { walkSchema } from '../document/walk.js'
import type { SchemaNode } from '../document/walk.js'
import { violation } from './violation.js'
import type { Violation, ViolationSubject } from './violation.js'
import { messageOf } from '../../errors.js'

export interface RobustnessOptions {
  /** The repository's numeric bounds; undefined skips schema-enforced-numeric-bounds. */
  numericBounds: readonly [number, number] | undefined
}

/** What would pass each of the secure rules the gateway enforces (document/secure.ts). */
const secureFixes: Record<InsecureSchemaRule, string> = {
  'pattern-without-maxLength': 'add maxLength next to pattern: checking a pattern against a huge string is slow',
  'format-without-maxLength': 'add maxLength next to format (128 suits a date-time, 8192 a URI)',
  'patternProperties-without-propertyNames-maxLength': 'add propertyNames: {maxLength: …}: matching huge property names is slow',
  'uniqueItems-without-maxItems': 'add maxItems, or drop uniqueItems: the uniqueness check is quadratic'
}

const snakeCase = /^[$a-z]+[a-z0-9_]*$/
const draft07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/

/**
 * The rules a published (materialized) schema must meet on its own, whatever
 * its history. Pure: the schema in, violations out.
 */
export function checkRobustness (schema: SchemaNode, subject: ViolationSubject, options: RobustnessOptions): Violation[] {
  const out: Violation[] = []
  const add = (rule: Parameters<typeof violation>[1], pointer: string, message: string, fix: string): void => {
    out.push(violation(subject, rule, pointer, message, fix))
  }
  const validate = compileLikeTheGateway(schema, add)
  let unsafePattern = false
  walkSchema(schema, (node, context) => {
    if ((typeof node.pattern === 'string' && isBacktrackingPattern(node.pattern)) ||
      (isRecord(node.patternProperties) && Object.keys(node.patternProperties).some(isBacktrackingPattern))) unsafePattern = true
    checkBacktracking(node, context.pointer, add)
    checkTypes(node, context.pointer, add)
    if (isRecord(node.properties)) {
      for (const name of Object.keys(node.properties)) {
        if (!snakeCase.test(name)) {
          add('schema-snake-case-properties', appendPointer(context.pointer, 'properties', name),
            `property '${name}' is not snake_case`, `rename it to '${toSnakeCase(name)}'`)
        }
      }
    }
    if (Array.isArray(node.required)) {
      const declared = isRecord(node.properties) ? node.properties : {}
      node.required.forEach((name, i) => {
        if (typeof name !== 'string' || !Object.hasOwn(declared, name)) {
          add('schema-required-properties-exist', appendPointer(context.pointer, 'required', i),
            `'${String(name)}' is required but is not a declared property`, `declare '${String(name)}' under properties, or remove it from required`)
        }
      })
    }
    if (options.numericBounds !== undefined && (node.type === 'integer' || node.type === 'number')) {
      checkBounds(node, context.pointer, options.numericBounds, add)
    }
  })
  for (const problem of findInsecureSchemaProblems(schema)) {
    add('schema-is-secure', appendPointer(problem.pointer, problem.keyword), problem.message, secureFixes[problem.rule])
  }
  // Validating examples would run the unsafe pattern; it is reported above instead.
  if (validate !== undefined && !unsafePattern) checkExamples(schema, validate, add)
  return out
}

type Add = (rule: Parameters<typeof violation>[1], pointer: string, message: string, fix: string) => void

/**
 * Compiles the schema exactly as the gateway will (the one Ajv factory, the
 * same prepared copy), so a schema the gateway cannot use fails here, and the
 * examples are judged by the validator that will judge events.
 */
function compileLikeTheGateway (schema: SchemaNode, add: Add): ValidateFunction | undefined {
  if (typeof schema.$schema !== 'string' || !draft07.test(schema.$schema)) {
    add('schema-is-valid', '/$schema', `$schema is ${JSON.stringify(schema.$schema)}, not the draft-07 meta-schema`,
      "set $schema: 'https://json-schema.org/draft-07/schema#'")
    return undefined
  }
  const ajv = createAjvSet()('draft-07')
  const prepared = prepareSchema(schema, 'draft-07')
  if (ajv.validateSchema(prepared) !== true) {
    for (const error of ajv.errors ?? []) {
      add('schema-is-valid', error.instancePath, `not valid draft-07: ${error.message ?? 'invalid'}${describeParams(error)}`,
        'fix the keyword so the schema validates against the draft-07 meta-schema')
    }
    return undefined
  }
  try {
    return ajv.compile(prepared)
  } catch (err) {
    const message = messageOf(err)
    // Ajv's strict-mode errors name the place as `at "<$id>#<pointer>"`.
    add('schema-is-valid', /#(\/[^"]*)"/.exec(message)?.[1] ?? '', `the gateway cannot compile it: ${message}`,
      'fix what strict mode refuses: unknown keywords, or keywords of another type than the declared one')
    return undefined
  }
}

/**
 * Patterns run against untrusted event data, so one that can backtrack
 * catastrophically (`(a+)+`, back-references) is refused outright.
 */
function isBacktrackingPattern (source: string): boolean {
  // A group with an open-ended quantifier inside, itself repeated open-endedly: (a+)+, (\w*)*, (x{2,}){1,}.
  return source.length > 1024 || /\\[1-9]/.test(source) || /\([^)]*(?:[+*]|\{\d+,\})[^)]*\)\s*(?:[+*]|\{\d+,\d*\})/.test(source)
}

function checkBacktracking (node: SchemaNode, pointer: string, add: Add): void {
  if (typeof node.pattern === 'string' && isBacktrackingPattern(node.pattern)) {
    add('schema-is-secure', appendPointer(pointer, 'pattern'),
      `pattern ${JSON.stringify(node.pattern)} can backtrack catastrophically (nested quantifiers or a back-reference)`,
      'rewrite it without a quantified group that itself repeats, e.g. ^[a-z]+$ instead of ^([a-z]+)+$')
  }
  if (isRecord(node.patternProperties)) {
    for (const source of Object.keys(node.patternProperties)) {
      if (isBacktrackingPattern(source)) {
        add('schema-is-secure', appendPointer(pointer, 'patternProperties', source),
          `patternProperties key ${JSON.stringify(source)} can backtrack catastrophically`, 'rewrite it without nested quantifiers')
      }
    }
  }
}

function checkTypes (node: SchemaNode, pointer: string, add: Add): void {
  if (Array.isArray(node.type)) {
    add('schema-deterministic-types', appendPointer(pointer, 'type'), `union type [${node.type.join(', ')}]`,
      'use a single type; to allow "no value", leave the field optional instead of adding null')
  }
  if (node.type === 'array') {
    const items = node.items
    if (!isRecord(items) || (items.type === undefined && !Array.isArray(items.oneOf))) {
      add('schema-deterministic-types', pointer, 'array without items.type', 'declare the element type, e.g. items: {type: string}')
    }
  }
  if (node.type === 'object') {
    const additional = node.additionalProperties
    const shaped = isRecord(node.properties) || Array.isArray(node.oneOf) || Array.isArray(node.allOf) ||
      additional === true || (isRecord(additional) && Object.keys(additional).length > 0)
    if (!shaped) {
      add('schema-deterministic-types', pointer, 'object without properties or additionalProperties',
        'declare its properties, or make it a map with additionalProperties: {type: …}')
    }
  }
  if (isRecord(node.properties)) {
    for (const [name, property] of Object.entries(node.properties)) {
      if (isRecord(property) && property.type === undefined && !['oneOf', 'anyOf', 'allOf', 'enum', 'const'].some((k) => Object.hasOwn(property, k))) {
        add('schema-deterministic-types', appendPointer(pointer, 'properties', name), `property '${name}' has no type`, 'give it a type')
      }
    }
  }
  if (Array.isArray(node.enum) && node.enum.includes(null)) {
    add('schema-deterministic-types', appendPointer(pointer, 'enum'), 'enum contains null', 'remove null; leave the field out instead')
  }
  if (Array.isArray(node.oneOf)) {
    const branches = node.oneOf.filter(isRecord)
    const types = new Set(branches.map((b) => JSON.stringify(b.type)))
    const required = new Set(branches.filter((b) => b.type === 'object').map((b) => JSON.stringify([...(Array.isArray(b.required) ? b.required : [])].sort())))
    if (types.size > 1 || required.size > 1) {
      add('schema-deterministic-types', appendPointer(pointer, 'oneOf'), 'oneOf branches differ in type or required properties',
        'give every branch the same type (and, for objects, the same required list)')
    }
  }
}

function checkBounds (node: SchemaNode, pointer: string, bounds: readonly [number, number], add: Add): void {
  for (const [keyword, limit] of [['minimum', bounds[0]], ['maximum', bounds[1]]] as const) {
    const value = node[keyword]
    if (typeof value !== 'number') {
      add('schema-enforced-numeric-bounds', pointer, `${String(node.type)} without a numeric ${keyword}`,
        `run 'sluice schemas materialize' (it adds ${limit}), or set ${keyword} yourself`)
    } else if (keyword === 'minimum' ? value < limit : value > limit) {
      add('schema-enforced-numeric-bounds', appendPointer(pointer, keyword), `${keyword} ${value} is outside the repository bounds [${bounds[0]}, ${bounds[1]}]`,
        `use a ${keyword} within [${bounds[0]}, ${bounds[1]}]`)
    }
  }
}

function checkExamples (schema: SchemaNode, validate: ValidateFunction, add: Add): void {
  const examples = schema.examples
  if (!Array.isArray(examples) || examples.length === 0) return
  const declaresSchema = isRecord(schema.properties) && Object.hasOwn(schema.properties, '$schema')
  examples.forEach((example, i) => {
    if (declaresSchema && isRecord(example) && example.$schema !== schema.$id) {
      add('schema-examples-$schema-matches-schema-$id', appendPointer('/examples', i, '$schema'),
        `example ${i} has $schema ${JSON.stringify(example.$schema)}, not ${JSON.stringify(schema.$id)}`,
        "write $schema: {$ref: '#/$id'} in the example in current.yaml")
    }
  })
  examples.forEach((example, i) => {
    // Validation inserts defaults, as it does into events; the schema's own example stays as written.
    if (validate(structuredClone(example))) return
    const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}${describeParams(e)}`)
    add('schema-examples-are-valid', appendPointer('/examples', i), `example ${i} does not validate: ${errors.join('; ')}`,
      'fix the example, or the schema if the example shows real data')
  })
}

function describeParams (error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  if (typeof params.additionalProperty === 'string') return ` ('${params.additionalProperty}')`
  if (Array.isArray(params.allowedValues)) return ` (${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`
  return ''
}

function toSnakeCase (name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_$]+/g, '_').toLowerCase()
}
