/**
 * Waits for the end of the event loop's current turn: every request read in this turn has been
 * handled up to its answer. Answers that need nothing more (hasty, beacon) wait for it, so that
 * a turn's answers are written together after its reads instead of one between every two reads.
 * Each write to a client that sleeps wakes it, and on loopback (the bench's clients, a sidecar
 * proxy in front of the gateway) that wake-up is paid by the writer: measured at 50 connections,
 * hasty answers written at once spent 4× the kernel time of guaranteed ones, whose answers leave
 * together as a produce completes, and ran at 0.6× their events/s.
 *
 * One immediate per turn, however many requests wait on it.
 */
export type TurnEnd = () => Promise<void>

export function createTurnEnd (): TurnEnd {
  let current: Promise<void> | undefined
  return () => {
    current ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        current = undefined
        resolve()
      })
    })
    return current
  }
}
