export type RuleCategory = 'structure' | 'robustness' | 'compatibility'

/**
 * Every rule a schema repository is held to, with what it protects: `checks/`
 * enforces them, and the repository config may exempt schemas from them. Robustness and
 * compatibility names are the test-case names of Wikimedia's jsonschema-tools,
 * so a `.jsonschema-tools.yaml` `skipSchemaTestCases` list works unchanged.
 */
export const rules = {
  'structure-readable': { category: 'structure', summary: 'every schema file parses, and every $ref in current.yaml resolves' },
  'structure-title-matches-directory': { category: 'structure', summary: "a schema's title equals its directory path" },
  'structure-id-matches-path': { category: 'structure', summary: '$id is /<title>/<X.Y.Z> and names the file it is in' },
  'structure-current-materializes-to-latest': { category: 'structure', summary: 'current.yaml materializes to exactly the latest published version' },
  'structure-version-files-consistent': { category: 'structure', summary: 'every version has each content type, all equal, and the X.Y.Z / latest pointers are right' },
  'structure-published-version-unchanged': { category: 'structure', summary: 'a published version file is never edited or deleted' },
  'schema-is-valid': { category: 'robustness', summary: 'the schema is valid draft-07' },
  'schema-is-secure': { category: 'robustness', summary: 'no unbounded work: maxLength with pattern/format, maxItems with unique object arrays, propertyNames.maxLength with patternProperties' },
  'schema-snake-case-properties': { category: 'robustness', summary: 'property names are snake_case' },
  'schema-deterministic-types': { category: 'robustness', summary: 'no union types or null enums; arrays declare items.type; objects declare properties or a map value type' },
  'schema-required-properties-exist': { category: 'robustness', summary: 'every name in required is a declared property' },
  'schema-examples-are-valid': { category: 'robustness', summary: 'every example validates against the schema' },
  'schema-examples-$schema-matches-schema-$id': { category: 'robustness', summary: "every example's $schema is the schema's $id" },
  'schema-enforced-numeric-bounds': { category: 'robustness', summary: 'every integer and number has a minimum and maximum within the repository bounds' },
  'schema-version-compatibility': { category: 'compatibility', summary: 'within a major version, only optional properties and enum values are added' }
} as const satisfies Record<string, { category: RuleCategory, summary: string }>

export type RuleName = keyof typeof rules

export function isRuleName (name: string): name is RuleName {
  return Object.hasOwn(rules, name)
}
