export type Representation = 'json' | 'yaml' | 'html'

const mediaTypes: Record<string, Representation> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/html': 'html'
}

/**
 * Picks JSON, YAML or HTML from an Accept header by quality; JSON wins ties and
 * is the answer for no header or `*\/*`, so programs get JSON unless they ask.
 */
export function negotiate (accept: string | undefined): Representation {
  if (accept === undefined || accept.trim() === '') return 'json'
  let best: Representation = 'json'
  let bestQuality = -1
  const rank: Record<Representation, number> = { json: 3, yaml: 2, html: 1 }
  for (const part of accept.split(',').slice(0, 32)) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    const quality = q === undefined ? 1 : Number(q)
    if (!(quality > 0)) continue
    const candidates: Representation[] = type === '*/*' || type === 'application/*' ? ['json'] : mediaTypes[type] === undefined ? [] : [mediaTypes[type] as Representation]
    for (const candidate of candidates) {
      if (quality > bestQuality || (quality === bestQuality && rank[candidate] > rank[best])) {
        best = candidate
        bestQuality = quality
      }
    }
  }
  return best
}
