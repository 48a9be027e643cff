import { applyHeapGrowing } from '../../../src/changeprop/heap-growing.js'

// A process under change propagation's kind of load, for heap-growing.test.ts: a live set, and
// objects that live a little while (executions in flight) so that they reach the old generation.
// Prints the largest V8 heap it had, in bytes. Argument: heap_growing_percent.

applyHeapGrowing(Number(process.argv[2]))
const live = Array.from({ length: 200000 }, (_, i) => ({ i, text: `${'x'.repeat(150)}${i}` }))
const inFlight: unknown[] = new Array(100000)
let largest = 0
for (let round = 0; round < 2000; round++) {
  for (let j = 0; j < 2000; j++) inFlight[(round * 2000 + j) % inFlight.length] = { headers: new Array(20).fill(round), id: `v${j}-${round}` }
  if (round % 25 === 0) largest = Math.max(largest, process.memoryUsage().heapTotal)
}
process.stdout.write(`${JSON.stringify({ largest, live: live.length })}\n`)
