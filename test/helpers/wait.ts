/**
 * Polls `check` until it holds; resolves with the milliseconds it took, rejects naming `what`
 * after `timeoutMs`.
 */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30000, pollMs = 50): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  return Date.now() - started
}
