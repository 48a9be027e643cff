/**
 * Waits for `work` until `deadline` (epoch ms); false when it had not settled by then. Shutdown
 * steps use it to stay within their grace period whatever a dependency does; the timer is
 * unref'd so that an abandoned step does not keep the process alive either.
 */
export async function settlesBefore (work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const inTime = await Promise.race([
    work.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => { resolve(false) }, Math.max(0, deadline - Date.now()))
      timer.unref()
    })
  ])
  clearTimeout(timer)
  return inTime
}
