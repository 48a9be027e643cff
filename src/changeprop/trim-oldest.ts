/** Drops a Map's oldest entries (insertion order) until it holds at most `maxSize`: the memory stores' bound. */
export function trimOldest (map: Map<unknown, unknown>, maxSize: number): void {
  while (map.size > maxSize) {
    const oldest = map.keys().next()
    if (oldest.done === true) return
    map.delete(oldest.value)
  }
}
