import { test } from 'node:test'
import assert from 'node:assert/strict'
import { explainViolation, formatReport, reportToJson } from '../../../src/schemas/checks/explain.js'
import { violation } from '../../../src/schemas/checks/violation.js'

const subject = { schema: '/a/1.1.0', title: 'a', version: '1.1.0', file: 'a/1.1.0.yaml' }

void test('a violation reads as where, which rule, what changed and what would pass', () => {
  const v = violation(subject, 'schema-version-compatibility', '/properties/x', "property 'x' was removed (compared with 1.0.0)",
    "keep 'x', or publish as 2.0.0", { change: 'property-removed' })
  assert.equal(explainViolation(v), `a/1.1.0.yaml at /properties/x  [schema-version-compatibility: property-removed]
    property 'x' was removed (compared with 1.0.0)
    would pass: keep 'x', or publish as 2.0.0
`)
})

void test('the report ends with a summary; JSON has ok and every violation', () => {
  const v = violation(subject, 'schema-is-secure', '/properties/x/pattern', 'pattern without maxLength', 'add maxLength')
  const report = { violations: [v], checked: { titles: 3, versions: 5 }, exempted: 1 }
  assert.match(formatReport(report), /\n1 violation in 3 schemas checked, 1 exempted by the repository config\n$/)
  assert.equal(formatReport({ violations: [], checked: { titles: 3, versions: 5 }, exempted: 0 }), 'ok: 3 schemas, 5 versions checked\n')
  const json = JSON.parse(reportToJson(report))
  assert.equal(json.ok, false)
  assert.equal(json.violations[0].pointer, '/properties/x/pattern')
})
