import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'

// CI runs .ci/run in a fresh clone; a developer runs `npm ci && npm test`. Whatever CI did
// before `npm test` and the test command did not do itself (the MirrorMaker 2 jars once) kept CI
// green while a fresh clone failed. So .ci/run may only pick the Node.js lines and install the
// npm dependencies before it runs `npm test`.

const ciRun = resolve(import.meta.dirname, '..', '..', '.ci', 'run')

/** The top-level commands of a bash script: no comments, no function bodies, continuations joined. */
function commands (text: string): string[] {
  const out: string[] = []
  let depth = 0
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (/^\w+ \(\) \{$/.test(line)) { depth++; continue }
    if (depth > 0) { if (line === '}') depth--; continue }
    out.push(line)
  }
  return out
}

const allowedBeforeTests: RegExp[] = [
  /^set -euo pipefail$/,
  /^cd "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/\.\."$/,
  /^started=\$SECONDS$/,
  /^section '[^']*'$/,
  /^node(22|24)="\$\(bash scripts\/provision\.sh --node (22|24)\)"$/,
  /^"\$node(22|24)\/node" --version$/,
  /^export PATH="\$node22:\$PATH"$/,
  /^npm --version$/,
  /^npm ci( --no-audit| --no-fund)*$/
]

test('.ci/run does nothing before `npm test` that a fresh clone\'s `npm ci && npm test` would not do', async () => {
  const all = commands(await readFile(ciRun, 'utf8'))
  const firstTest = all.findIndex((line) => /\bnpm test\b/.test(line))
  assert.ok(firstTest > 0, '.ci/run runs npm test')
  for (const line of all.slice(0, firstTest)) {
    assert.ok(allowedBeforeTests.some((pattern) => pattern.test(line)), `.ci/run runs "${line}" before npm test: do it in npm test (scripts/provision.sh or test/run.ts) instead`)
  }
  for (const line of all.slice(firstTest)) {
    assert.match(line, /^(section '[^']*'|(PATH="\$node24:\$PATH" )?KAFKA_VERSION=\S+ npm test( -- --no-lint)?)$/, `after the tests start, .ci/run only runs them again: "${line}"`)
  }
})
