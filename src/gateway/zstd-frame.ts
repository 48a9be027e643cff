/**
 * What a zstd frame's header (RFC 8878, section 3.1.1) says its content will inflate to, read
 * before anything is inflated: a bomb that declares its size is refused without spending a
 * millisecond on it. Compressors that know the input's size (the `zstd` tool on a file, one-shot
 * APIs such as `zstdCompressSync`) declare it; streaming ones may not, and then the inflated size
 * is bounded while inflating.
 *
 * Returns the declared size of the first frame, or undefined when the body is not a zstd frame or
 * does not declare it.
 */
export function zstdDeclaredSize (body: Buffer): number | undefined {
  // Magic number 0xFD2FB528, little-endian.
  if (body.length < 6 || body.readUInt32LE(0) !== 0xfd2fb528) return undefined
  const descriptor = body[4] as number
  const sizeFlag = descriptor >> 6
  const singleSegment = (descriptor & 0x20) !== 0
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03] as number
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag] as number
  if (sizeBytes === 0) return undefined
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes
  if (body.length < at + sizeBytes) return undefined
  switch (sizeBytes) {
    case 1: return body.readUInt8(at)
    // The two-byte field is offset by 256 (the one-byte field covers 0–255).
    case 2: return body.readUInt16LE(at) + 256
    case 4: return body.readUInt32LE(at)
    default: return Number(body.readBigUInt64LE(at))
  }
}
