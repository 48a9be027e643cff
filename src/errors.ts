import type { ErrorCode } from './error-codes.js'

/**
 * The base of every error Sluice raises on purpose.
 *
 * Each concrete error lives in the `errors.ts` of the area that owns it
 * (`src/gateway/errors.ts`, `src/schemas/lookup/errors.ts`, …) and has a stable
 * `code` of the form `SLUICE_ERR_<AREA>_<WHAT>`, one of the closed list in `error-codes.ts`. Codes are part of the public
 * contract: clients branch on them and the README documents every one (a test
 * keeps the two in sync). Structured data goes on fields, never only into the
 * message, and callers branch on `code` or `instanceof`, never on the text.
 */
export interface SluiceErrorOptions {
  /** HTTP status to answer with when this error reaches a client. */
  statusCode?: number
  /** Whether doing the same thing again later may succeed (network, broker, 5xx). */
  retriable?: boolean
  cause?: unknown
}

export class SluiceError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly retriable: boolean

  constructor (code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.statusCode = options.statusCode ?? 500
    this.retriable = options.retriable ?? false
  }
}

export function isSluiceError (value: unknown): value is SluiceError {
  return value instanceof SluiceError
}

/**
 * A failure as a command reports it: a Sluice error's message (something the user can act on),
 * anything else with its stack (a bug to report).
 */
export function describeFailure (err: unknown): string {
  if (isSluiceError(err)) return err.message
  return err instanceof Error ? err.stack ?? err.message : String(err)
}

/** The message of anything thrown: an Error's own, else its string form (a rejected string, a number). */
export function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Shared by every config loader (gateway, change propagation, CLI). */
export class ConfigInvalidError extends SluiceError {
  readonly problems: readonly string[]
  constructor (source: string, problems: readonly string[]) {
    super('SLUICE_ERR_CONFIG_INVALID', `Invalid configuration in ${source}:\n  - ${problems.join('\n  - ')}`, { statusCode: 500 })
    this.problems = problems
  }
}
