import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { createLogger } from '../../../src/logger.js'
import type { Logger } from '../../../src/logger.js'
import type { SchemaSource } from '../../../src/schemas/index.js'

export const fixturesDir = fileURLToPath(new URL('../../fixtures/', import.meta.url))
export const craftedDir = (name: string): string => `${fixturesDir}schemas/${name}`
export const realSchemasDir = `${fixturesDir}realschemas`

export function silentLogger (): Logger {
  return createLogger({ level: 'silent', name: 'test' })
}

/** An in-memory repository that records every path it is asked for. */
export interface MemorySource extends SchemaSource {
  readonly reads: string[]
}

export function createMemorySource (files: Record<string, string>, options: { baseUri?: string, description?: string } = {}): MemorySource {
  const reads: string[] = []
  return {
    description: options.description ?? 'memory',
    baseUri: options.baseUri,
    reads,
    async read (relativePath) {
      reads.push(relativePath)
      return files[relativePath]
    }
  }
}

/** A source that fails the test if anything is read from it. */
export function createForbiddenSource (): SchemaSource {
  return {
    description: 'forbidden',
    baseUri: 'http://127.0.0.1:9/forbidden/',
    async read (relativePath) {
      throw new Error(`nothing may be read, but ${relativePath} was`)
    }
  }
}

export interface TestServer {
  url: string
  requests: string[]
}

/** A real HTTP server on 127.0.0.1, closed when the test ends. */
export async function startServer (t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests }
}
