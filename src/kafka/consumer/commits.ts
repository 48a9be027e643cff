import type { Logger } from '../../logger.js'
import type { CommitPosition, OffsetTracker } from './offset-tracker.js'
import type { FetchWatchingConsumer } from './session.js'

export interface CommitOptions {
  /** How long finished offsets wait to be committed together; 0 commits after every message. */
  intervalMs: number
  tracker: OffsetTracker
  /** The current client; undefined between a crash and the next one. */
  client: () => FetchWatchingConsumer | undefined
  /** Each position the broker acknowledged. */
  onCommitted: (position: CommitPosition) => void
  log: Logger
}

/**
 * Commits what the offset tracker says is safe (the contiguous prefix of finished messages of
 * each partition), explicitly and one commit at a time, every intervalMs while there is
 * something new. A failed commit is retried with the next one.
 */
export class Committer {
  readonly #options: CommitOptions
  #timer: NodeJS.Timeout | undefined
  #chain: Promise<void> = Promise.resolve()
  #stopped = false

  constructor (options: CommitOptions) {
    this.#options = options
  }

  /** A message finished: a commit follows within intervalMs. */
  schedule (): void {
    if (this.#timer !== undefined || this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.commitNow()
    }, this.#options.intervalMs)
  }

  /** No more scheduled commits (shutdown commits once more with commitNow()). */
  stop (): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  async commitNow (): Promise<void> {
    const run = async (): Promise<void> => { await this.#commit() }
    this.#chain = this.#chain.then(run, run)
    return this.#chain
  }

  async #commit (): Promise<void> {
    const { tracker, log } = this.#options
    const positions: CommitPosition[] = tracker.committable()
    if (positions.length === 0) return
    const client = this.#options.client()
    if (client === undefined) {
      // Between a crash and the next client: the next round commits.
      this.schedule()
      return
    }
    try {
      // Leader epoch -1: the position is not tied to a leader epoch (as without KIP-320).
      await client.commit({ offsets: positions.map(({ topic, partition, offset }) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 })) })
      tracker.committed(positions)
      for (const position of positions) this.#options.onCommitted(position)
      log.debug({ positions }, 'committed')
    } catch (err) {
      log.warn({ err, positions }, 'commit failed; retrying with the next one')
      this.schedule()
    }
  }
}
