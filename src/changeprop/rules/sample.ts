import type { Render, TemplateContext } from './template/index.js'

/**
 * MurmurHash3, x86 32-bit, over the UTF-8 bytes of `text`. The same function (and seed 0)
 * as the reference's sampler, so a rule keeps the same sample when it moves to Sluice.
 */
export function murmur3 (text: string, seed = 0): number {
  const bytes = Buffer.from(text, 'utf8')
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed >>> 0
  const blocks = bytes.length - (bytes.length % 4)
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = bytes.length & 3
  if (tail > 0) {
    let k = 0
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8
    k ^= bytes[blocks] as number
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export type Sampler = (context: TemplateContext) => boolean

/**
 * Deterministic sampling: an event is kept when the hash of its rendered `hash_template`
 * falls in the lowest `rate` share of the 32-bit range, so one entity (a page, a domain)
 * is always either in or out of the sample.
 */
export function createSampler (rate: number, hashTemplate: Render): Sampler {
  const threshold = Math.round(0xffffffff * rate)
  return (context) => {
    const key = hashTemplate(context)
    const text = typeof key === 'string' ? key : JSON.stringify(key) ?? ''
    return murmur3(text) <= threshold
  }
}
