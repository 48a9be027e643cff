/**
 * `Retry-After` (RFC 9110 §10.2.3): how long a target that answered 429 or 503 asked to be left
 * alone, as delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`). Pure
 * functions: the runner asks them once per failed request.
 */

/** The three forms of HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, the obsolete RFC 850 form, asctime. */
const imfFixdate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/
const rfc850Date = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2}) (\d{2}:\d{2}:\d{2}) GMT$/
const asctimeDate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( \d|\d{2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/

/** Milliseconds since the epoch of an HTTP-date, or undefined when `text` is none. */
export function parseHttpDate (text: string): number | undefined {
  const value = text.trim()
  let parsed = Number.NaN
  if (imfFixdate.test(value)) {
    parsed = Date.parse(value)
  } else {
    const rfc850 = rfc850Date.exec(value)
    const asctime = asctimeDate.exec(value)
    if (rfc850 !== null) {
      // Two-digit years: RFC 9110 reads one more than 50 years ahead as the past century.
      const [, , day, month, yy, time] = rfc850
      const year = Number(yy) + 2000 > new Date().getUTCFullYear() + 50 ? Number(yy) + 1900 : Number(yy) + 2000
      parsed = Date.parse(`${String(day)} ${String(month)} ${year} ${String(time)} GMT`)
    } else if (asctime !== null) {
      // asctime carries no zone; HTTP-dates are always GMT.
      const [, , month, day, time, year] = asctime
      parsed = Date.parse(`${String(day).trim()} ${String(month)} ${String(year)} ${String(time)} GMT`)
    }
  }
  return Number.isNaN(parsed) ? undefined : parsed
}

/** What a `Retry-After` value says: a delay, or a date; undefined when it is neither. */
export type RetryAfter = { seconds: number } | { date: number }

export function parseRetryAfter (text: string | undefined): RetryAfter | undefined {
  if (text === undefined) return undefined
  const value = text.trim()
  if (/^\d+$/.test(value)) return { seconds: Number(value) }
  const date = parseHttpDate(value)
  return date === undefined ? undefined : { date }
}

/**
 * How many milliseconds from `now` the target asked to wait, at most `maxMs`. A date is read
 * against the answer's own `Date` header when it has one, so a target whose clock is off still
 * gets the wait it meant; a date in the past asks for no wait.
 */
export function retryAfterDelayMs (headers: Readonly<Record<string, string>>, now: number, maxMs: number): number | undefined {
  const asked = parseRetryAfter(headers['retry-after'])
  if (asked === undefined) return undefined
  let delayMs: number
  if ('seconds' in asked) {
    delayMs = asked.seconds * 1000
  } else {
    const sent = headers.date === undefined ? undefined : parseHttpDate(headers.date)
    delayMs = asked.date - (sent ?? now)
  }
  return Math.min(Math.max(0, delayMs), maxMs)
}
