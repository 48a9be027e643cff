import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createSampler, murmur3 } from '../../../src/changeprop/rules/sample.js'
import { compileTemplateString } from '../../../src/changeprop/rules/template/index.js'

test('murmur3 gives the reference hash values', () => {
  assert.equal(murmur3('hello'), 613153351)
  assert.equal(murmur3('en.wikipedia.org-rpiwQuPlA'), 1712891757)
  assert.equal(murmur3('en.wikipedia.org-N0ryO6Lrp'), 3817902962)
  assert.equal(murmur3(''), 0)
  // Tail lengths 1, 2 and 3, and multi-byte UTF-8 (values from the canonical implementation).
  assert.equal(murmur3('a'), 1009084850)
  assert.equal(murmur3('ab'), 2613040991)
  assert.equal(murmur3('abc'), 3017643002)
  assert.equal(murmur3('Пётр'), 2680946037)
})

const hashTemplate = compileTemplateString('{{message.meta.domain}}-{{message.page_title}}')

test('sampling keeps the same entity every time, as the reference does', () => {
  const sampler = createSampler(0.5, hashTemplate)
  const event = (title: string): { message: unknown, match: Record<string, unknown> } => ({ message: { meta: { domain: 'en.wikipedia.org' }, page_title: title }, match: {} })
  assert.equal(sampler(event('rpiwQuPlA')), true)
  assert.equal(sampler(event('N0ryO6Lrp')), false)
  assert.equal(sampler(event('rpiwQuPlA')), true)
})

test('the accepted share is close to the rate', () => {
  const sampler = createSampler(0.2, hashTemplate)
  let accepted = 0
  const total = 10000
  for (let i = 0; i < total; i++) {
    const title = randomBytes(9).toString('base64url')
    if (sampler({ message: { meta: { domain: 'en.wikipedia.org' }, page_title: title }, match: {} })) accepted++
  }
  assert.ok(Math.abs(accepted / total - 0.2) < 0.02, `accepted ${accepted} of ${total}`)
})

test('rate 1 keeps everything and rate 0 nothing', () => {
  const context = { message: { meta: { domain: 'x' }, page_title: 'y' }, match: {} }
  assert.equal(createSampler(1, hashTemplate)(context), true)
  assert.equal(createSampler(0, () => 'never-hashes-to-zero')(context), false)
})
