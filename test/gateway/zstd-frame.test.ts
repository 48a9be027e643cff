import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as zlib from 'node:zlib'
import { zstdDeclaredSize } from '../../src/gateway/zstd-frame.js'

const { zstdCompressSync } = zlib as unknown as { zstdCompressSync: (data: Buffer) => Buffer }

test('the content size a zstd frame declares is read from its header, for every size field width', () => {
  for (const size of [0, 7, 255, 256, 300, 65791, 65792, 1_000_000]) {
    assert.equal(zstdDeclaredSize(zstdCompressSync(Buffer.alloc(size, 0x20))), size, String(size))
  }
  // Magic, descriptor (8-byte size field, single segment), then 5e9 little-endian.
  const header = Buffer.alloc(13)
  header.writeUInt32LE(0xfd2fb528, 0)
  header[4] = 0xe0
  header.writeBigUInt64LE(5_000_000_000n, 5)
  assert.equal(zstdDeclaredSize(header), 5_000_000_000)
})

test('bodies that are not zstd frames, or declare no size, have none', () => {
  assert.equal(zstdDeclaredSize(Buffer.from('{"a":1}')), undefined)
  assert.equal(zstdDeclaredSize(zlib.gzipSync('x')), undefined)
  const noSize = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])
  assert.equal(zstdDeclaredSize(noSize), undefined)
  assert.equal(zstdDeclaredSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80])), undefined, 'truncated header')
})
