import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareVersions, isVersion, majorOf, parseVersion, sortVersions } from '../../../src/schemas/document/version.js'

void test('versions sort by number, multi-digit segments included', () => {
  assert.deepEqual(sortVersions(['1.10.0', '1.2.0', '10.0.0', '1.2.10', '1.2.9', '0.0.3']), ['0.0.3', '1.2.0', '1.2.9', '1.2.10', '1.10.0', '10.0.0'])
  assert.ok(compareVersions('2.0.0', '1.99.99') > 0)
  assert.equal(compareVersions('1.0.0', '1.0.0'), 0)
})

void test('only plain MAJOR.MINOR.PATCH is a version', () => {
  for (const bad of ['1.0', '1.0.0.0', '01.0.0', 'v1.0.0', '1.0.0-beta', 'latest', '']) assert.equal(isVersion(bad), false, bad)
  assert.deepEqual(parseVersion('3.12.0'), [3, 12, 0])
  assert.equal(majorOf('12.3.4'), 12)
})
