/**
 * The gateway figures' event, and the plain producer's record: MediaWiki-sized (about 600 bytes),
 * valid against /test/event/1.0.0.
 */
export function sampleEvent (i: number): Record<string, unknown> {
  return {
    $schema: '/test/event/1.0.0',
    dt: '2026-01-01T00:00:00Z',
    meta: { stream: 'test.event', domain: 'en.wikipedia.org', uri: `https://en.wikipedia.org/wiki/Page_${i}`, request_id: `bench-${i}` },
    test: 'benchmark event '.repeat(8),
    test_map: { wiki: 'enwiki', page_id: String(i), rev_id: String(1000000 + i), user: 'Example', comment: 'x'.repeat(160) }
  }
}
