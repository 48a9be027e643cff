import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { testTmpDir } from './kafka.js'
import { waitFor } from './wait.js'

/** The Chromium binary the browser tests drive: CHROMIUM_PATH, else the Debian package's. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** One page of a headless Chromium, driven over the DevTools protocol. */
export interface BrowserPage {
  /** Loads `url` and resolves once its load event fired. */
  navigate(url: string, timeoutMs?: number): Promise<void>
  /** Evaluates `expression` in the page (awaiting a promise it returns) and resolves with its value, as JSON. */
  evaluate<T = unknown>(expression: string): Promise<T>
  /** Closes the connection, ends the browser and removes its profile (also run by `t.after`). */
  close(): Promise<void>
}

interface CdpMessage {
  id?: number
  method?: string
  params?: Record<string, unknown>
  result?: Record<string, unknown>
  error?: { code: number, message: string }
}

interface EvaluateResult {
  result: { type: string, value?: unknown, description?: string }
  exceptionDetails?: { text: string, exception?: { description?: string } }
}

/**
 * Starts headless Chromium with a throwaway profile and connects to its first page over the
 * DevTools protocol (no --dump-dom: a page holding an EventSource open never finishes loading).
 * Fails clearly, with the install command, when Chromium is missing. The browser is ended and
 * its profile removed in `t.after`.
 */
export async function launchChromium (t: { after: (fn: () => Promise<void>) => void }, options: { timeoutMs?: number } = {}): Promise<BrowserPage> {
  const timeoutMs = options.timeoutMs ?? 30000
  await access(chromiumPath).catch(() => assert.fail(`Chromium is needed at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`))
  // The profile, and Chromium's own temporary files (TMPDIR), in one directory removed at the end.
  const dir = await mkdtemp(join(testTmpDir(), 'sluice-chromium-'))
  const profile = join(dir, 'profile')
  const tmp = join(dir, 'tmp')
  await mkdir(tmp)
  const child = spawn(chromiumPath, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--no-default-browser-check', '--disable-dev-shm-usage',
    '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, TMPDIR: tmp } })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { if (stderr.length < 16384) stderr += chunk })
  let exited: string | undefined
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; resolve() })
    child.once('error', (err) => { exited = `failed to start: ${err.message}`; resolve() })
  })

  const connection: { ws?: WebSocket } = {}
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    connection.ws?.close()
    if (exited === undefined && child.pid !== undefined) {
      // The browser's own process group (spawned detached): its renderer and helper processes too.
      const signal = (name: NodeJS.Signals): void => {
        try { process.kill(-child.pid!, name) } catch { /* already gone */ }
      }
      signal('SIGTERM')
      const timer = setTimeout(() => signal('SIGKILL'), 5000)
      await exit
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
  }
  t.after(close)

  const started = (): void => { if (exited !== undefined) throw new Error(`Chromium ${exited}: ${stderr}`) }
  let port = ''
  await waitFor('Chromium to write DevToolsActivePort', async () => {
    started()
    const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '')
    port = text.split('\n')[0]?.trim() ?? ''
    // The file is written in one go, but read it only once both lines are there.
    return /^\d+$/.test(port) && text.split('\n').length >= 2
  }, timeoutMs)

  let wsUrl: string | undefined
  await waitFor('Chromium to list its page', async () => {
    started()
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Array<{ type: string, webSocketDebuggerUrl?: string }>
    wsUrl = targets.find((target) => target.type === 'page')?.webSocketDebuggerUrl
    return wsUrl !== undefined
  }, timeoutMs)

  const ws = new WebSocket(wsUrl!)
  connection.ws = ws
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error(`cannot connect to Chromium's DevTools at ${wsUrl}`)), { once: true })
  })

  let nextId = 0
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void, reject: (err: Error) => void }>()
  const listeners = new Set<(message: CdpMessage) => void>()
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as CdpMessage
    if (message.id !== undefined) {
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      if (message.error !== undefined) waiter?.reject(new Error(`DevTools: ${message.error.message}`))
      else waiter?.resolve(message.result ?? {})
    } else {
      for (const listener of listeners) listener(message)
    }
  })
  ws.addEventListener('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the DevTools connection closed${exited === undefined ? '' : `: Chromium ${exited}`}`))
    pending.clear()
  })

  const send = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`the DevTools connection is closed (${method})`))
    const id = ++nextId
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method, params }))
    })
  }

  await send('Page.enable')
  await send('Runtime.enable')

  return {
    async navigate (url, navigateTimeoutMs = timeoutMs) {
      let loaded = false
      const listener = (message: CdpMessage): void => { if (message.method === 'Page.loadEventFired') loaded = true }
      listeners.add(listener)
      try {
        const result = await send('Page.navigate', { url })
        if (typeof result.errorText === 'string') throw new Error(`cannot load ${url}: ${result.errorText}`)
        await waitFor(`${url} to load`, () => loaded, navigateTimeoutMs)
      } finally {
        listeners.delete(listener)
      }
    },
    async evaluate<T> (expression: string): Promise<T> {
      const answer = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }) as unknown as EvaluateResult
      if (answer.exceptionDetails !== undefined) {
        throw new Error(`evaluating ${expression}: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`)
      }
      return answer.result.value as T
    },
    close
  }
}
