import type { ProduceRecord } from './records.js'

/** One send() call: its records travel in one batch and it settles with that batch. */
export interface PendingSend {
  /** Emptied once settled, so a settled send waiting in the deadline queue holds no records. */
  records: readonly ProduceRecord[]
  bytes: number
  resolve: () => void
  reject: (err: Error) => void
  /** When (Date.now()) the caller is answered that Kafka is unavailable. */
  deadline: number
  settled: boolean
  /** Handed to the client: it can no longer be taken out of the buffer. */
  inFlight: boolean
}

const noRecords: readonly ProduceRecord[] = []

/**
 * Every unsettled send in the order of its deadline (the order of the calls, all having the
 * same timeout), watched by one timer for the oldest: no timer per send() at 10k calls/s. A send
 * settles here, once, whoever settles it (its batch, a failure, its deadline).
 */
export class SendDeadlines {
  #sends: PendingSend[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined
  readonly #onExpire: (send: PendingSend) => void

  /** `onExpire` answers a send whose deadline passed; it must settle it. */
  constructor (onExpire: (send: PendingSend) => void) {
    this.#onExpire = onExpire
  }

  add (send: PendingSend): void {
    this.#sends.push(send)
    this.#watch()
  }

  /** Resolves the send, or rejects it with `err`; a send settles once. */
  settle (send: PendingSend, err?: Error): void {
    if (send.settled) return
    send.settled = true
    send.records = noRecords
    if (this.#sends[this.#head] === send) this.#dropSettled()
    if (err === undefined) send.resolve()
    else send.reject(err)
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #dropSettled (): void {
    while (this.#head < this.#sends.length && (this.#sends[this.#head] as PendingSend).settled) this.#head++
    if (this.#head === this.#sends.length) {
      this.#sends.length = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#sends.length) {
      this.#sends = this.#sends.slice(this.#head)
      this.#head = 0
    }
  }

  #watch (): void {
    if (this.#timer !== undefined) return
    const head = this.#sends[this.#head]
    if (head === undefined) return
    this.#timer = setTimeout(this.#expireDue, Math.max(0, head.deadline - Date.now()))
  }

  readonly #expireDue = (): void => {
    this.#timer = undefined
    const now = Date.now()
    while (this.#head < this.#sends.length) {
      const send = this.#sends[this.#head] as PendingSend
      if (send.settled) {
        this.#head++
        continue
      }
      if (send.deadline > now) break
      // Settles it, which moves the head past it.
      this.#onExpire(send)
    }
    this.#dropSettled()
    this.#watch()
  }
}
