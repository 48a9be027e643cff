import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

// What the bench's figures share: waiting for a condition, and bench scripts in processes of
// their own that talk over IPC (the sink, the SSE clients, the bare SSE server).

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
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], { execArgv: [...execArgv, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
  forwardStderr(child)
  const [first] = await once(child, 'message') as [T]
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
