import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

// What the bench's figures share: waiting for a condition, and bench scripts in processes of
// their own that talk over IPC (the sink, the bare servers and clients of the baselines).

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function waitUntil (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await sleep(pollMs)
  }
}

export interface Ipc { child: ChildProcess, ask<T>(message: unknown): Promise<T>, stop(): Promise<void> }

/** Forks a bench script (a path relative to bench/) with tsx and waits for its first message. */
export async function forkScript<T> (file: string, execArgv: string[] = []): Promise<Ipc & { first: T }> {
  return forkModule(fileURLToPath(new URL(file, import.meta.url)), [...execArgv, '--import', 'tsx'])
}

/**
 * Forks a JavaScript module (an absolute path) and waits for its first message. Its stdout goes
 * to the bench's stderr: stdout carries only the figures.
 */
export async function forkModule<T> (path: string, execArgv: string[] = []): Promise<Ipc & { first: T }> {
  const child = fork(path, [], { execArgv, stdio: ['ignore', 2, 'pipe', 'ipc'] })
  forwardStderr(child)
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`bench: ${path} exited with ${String(code)} before it answered`) })
  const [first] = await Promise.race([once(child, 'message') as Promise<[T]>, exited])
  exited.catch(() => {})
  return {
    child,
    first,
    async ask<R> (message: unknown): Promise<R> {
      const reply = once(child, 'message') as Promise<[R]>
      child.send(message as object)
      return (await reply)[0]
    },
    async stop () {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.disconnect()
      await exited
    }
  }
}

/** A child's stderr, without the inspector's banner. */
export function forwardStderr (child: ChildProcess): void {
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => {
    const kept = text.split('\n').filter((line) => !/^(Debugger |For help, see:|Waiting for the debugger)/.test(line)).join('\n')
    if (kept.trim() !== '') process.stderr.write(kept.endsWith('\n') ? kept : `${kept}\n`)
  })
}
