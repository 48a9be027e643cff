// Loaded into each test file's process by test/run.ts (through NODE_OPTIONS). Node's test runner
// reads a file's results from that process's stdout, frame by frame. With --test-force-exit the
// process ends as soon as its last test finished, and whatever it still had queued for a full
// pipe was lost: a file that reports quickly (49 results in half a second) lost the rest of its
// results that way, and the run still passed. Here stdout is made blocking, so nothing is ever
// queued, and the process counts the results it writes, leaving the count where test/run.ts
// compares it with what arrived.
// Plain JavaScript: NODE_OPTIONS is read before the TypeScript loader is in place.
import { Buffer } from 'node:buffer'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { deserialize } from 'node:v8'

const dir = process.env.SLUICE_TEST_RESULT_COUNTS
const file = process.argv[1]

// Only in a test file's own process: the processes its tests start inherit the environment.
if (process.env.NODE_TEST_CONTEXT === 'child-v8' && dir !== undefined && file !== undefined && file.endsWith('.test.ts')) {
  // Node's own handle method (a pipe's writes then complete before write() returns).
  process.stdout._handle?.setBlocking?.(true)
  let results = 0
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (chunk, ...rest) => {
    results += resultsIn(chunk)
    return write(chunk, ...rest)
  }
  process.on('exit', () => {
    writeFileSync(join(dir, encodeURIComponent(resolve(file))), String(results))
  })
}

/**
 * 1 if `chunk` is one whole frame of the runner's v8-serializer reporter carrying a test result,
 * else 0. A frame is the serializer's 2-byte header, the payload's length (4 bytes, big-endian),
 * then the payload; the reporter writes each frame in one write. Anything else (a test's own
 * output) is not a result.
 */
function resultsIn (chunk) {
  if (!Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) return 0
  if (chunk.length < 6 || chunk[0] !== 0xff) return 0
  const length = ((chunk[2] << 24) | (chunk[3] << 16) | (chunk[4] << 8) | chunk[5]) >>> 0
  if (length + 6 !== chunk.length) return 0
  try {
    const item = deserialize(chunk.subarray(6))
    return item?.type === 'test:pass' || item?.type === 'test:fail' ? 1 : 0
  } catch {
    return 0
  }
}
