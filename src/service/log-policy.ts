/**
 * The one log-level policy of every service, so that error-level lines (which page) mean
 * server trouble and each client mistake is logged once, where it is best described:
 *
 * - a request answered with a problem body: 5xx is ours (`error`), 4xx the client's (`info`);
 * - one event that failed: server trouble `error`, a client's mistake (invalid, unknown schema,
 *   undeclared stream) `warn`, once, by the pipeline that judged the event;
 * - the request that carried failed events: `error` when one failure was server trouble, else
 *   `debug`, since each event's own line already said what was wrong;
 * - housekeeping that follows from an already logged failure (producing error events): `debug`.
 */
export type PolicyLevel = 'error' | 'warn' | 'info' | 'debug'

export function problemLevel (statusCode: number): PolicyLevel {
  return statusCode >= 500 ? 'error' : 'info'
}

export function eventFailureLevel (side: 'server' | 'client'): PolicyLevel {
  return side === 'server' ? 'error' : 'warn'
}

export function eventRequestLevel (serverSideFailure: boolean): PolicyLevel {
  return serverSideFailure ? 'error' : 'debug'
}

export const followUpLevel: PolicyLevel = 'debug'
