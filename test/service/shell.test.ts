import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Agent } from 'undici'
import { buildService, closeServices, runService } from '../../src/service/shell.js'
import type { Service, ServiceDefinition } from '../../src/service/shell.js'
import type { ServiceContext } from '../../src/service/context.js'
import { createCapturingProducer, testLogger } from '../helpers/gateway.js'
import { captureIO } from '../helpers/io.js'
import { waitFor } from '../helpers/wait.js'

interface FakeConfig { shutdownMs: number, hangOnClose?: boolean, failBuild?: boolean, unusable?: string }

/** A service that records each lifecycle step, and whether the context was still open at it. */
function definition (steps: string[]): ServiceDefinition<FakeConfig, Service> {
  const agentOpen = (context: ServiceContext): string => ((context.dispatcher as Agent).closed ? 'agent closed' : 'agent open')
  return {
    name: 'fake',
    context: () => ({
      logger: { level: 'silent', name: 'fake' },
      dispatcher: {},
      producer: { brokers: ['127.0.0.1:1'], clientId: 'fake' }
    }),
    shutdownMs: (config) => config.shutdownMs,
    unusable: (config) => config.unusable,
    async build (config, context) {
      steps.push(`build (${agentOpen(context)})`)
      if (config.failBuild === true) throw new Error('build failed')
      return {
        async start () { steps.push('start'); return 'serving' },
        async reload () { steps.push('reload') },
        async close () {
          steps.push(`close (${agentOpen(context)})`)
          if (config.hangOnClose === true) await new Promise(() => {})
        }
      }
    }
  }
}

const overrides = { cwd: process.cwd(), logger: testLogger(), producer: createCapturingProducer() }

test('runService goes config → context → build → start → (reload) → close, then closes the context, and exits 0', async () => {
  const steps: string[] = []
  const io = captureIO()
  const running = runService(definition(steps), { shutdownMs: 1000 }, { ...overrides, hooks: io.io })
  await waitForStep(steps, 'start')
  io.reload()
  await waitForStep(steps, 'reload')
  io.stop('SIGTERM')
  assert.equal(await running, 0)
  assert.deepEqual(steps, ['build (agent open)', 'start', 'reload', 'close (agent open)'])
  assert.match(io.out(), /sluice fake: serving\n/)
  assert.match(io.out(), /sluice fake: SIGTERM, stopping\n/)
})

test('a close that hangs is abandoned at the shutdown bound, the context is still closed, and the exit code is 1', async (t) => {
  // The shutdown's timers are unref'd (an abandoned step must not keep a process alive); a real
  // service's open server keeps the event loop running meanwhile, this timer stands in for it.
  const keepAlive = setInterval(() => {}, 1000)
  t.after(() => { clearInterval(keepAlive) })
  const steps: string[] = []
  const io = captureIO()
  const service = await buildService(definition(steps), { shutdownMs: 300, hangOnClose: true }, overrides)
  const started = Date.now()
  assert.equal(await service.close(), false, 'something was abandoned')
  const tookMs = Date.now() - started
  assert.ok(tookMs >= 290 && tookMs < 800, `close took ${tookMs} ms`)
  assert.equal((service.context.dispatcher as Agent).closed, true, 'the HTTP agent was closed after the abandoned step')

  const running = runService(definition([]), { shutdownMs: 300, hangOnClose: true }, { ...overrides, hooks: io.io })
  io.stop('SIGINT')
  assert.equal(await running, 1)
  assert.match(io.err(), /shutdown did not finish within 300 ms; exiting anyway/)
})

test('close is idempotent: a second call waits for the first', async () => {
  const steps: string[] = []
  const service = await buildService(definition(steps), { shutdownMs: 1000 }, overrides)
  assert.deepEqual(await Promise.all([service.close(), service.close()]), [true, true])
  assert.equal(steps.filter((step) => step.startsWith('close')).length, 1)
})

test('a failed build closes the context and exits 1; an unusable config exits 2 before anything is created', async () => {
  const io = captureIO()
  const steps: string[] = []
  assert.equal(await runService(definition(steps), { shutdownMs: 1000, failBuild: true }, { ...overrides, hooks: io.io }), 1)
  assert.match(io.err(), /build failed/)
  assert.deepEqual(steps, ['build (agent open)'])

  const unusable = captureIO()
  const none: string[] = []
  assert.equal(await runService(definition(none), { shutdownMs: 1000, unusable: 'no brokers' }, { ...overrides, hooks: unusable.io }), 2)
  assert.equal(unusable.err(), 'sluice fake: no brokers\n')
  assert.deepEqual(none, [])
})

test('services side by side close the last started first, all within one deadline: the longest bound, not the sum', async (t) => {
  const keepAlive = setInterval(() => {}, 1000)
  t.after(() => { clearInterval(keepAlive) })
  const steps: string[] = []
  const lines: string[] = []
  const first = await buildService(definition(steps), { shutdownMs: 300, hangOnClose: true }, overrides)
  const second = await buildService(definition(steps), { shutdownMs: 600, hangOnClose: true }, overrides)
  const third = await buildService(definition(steps), { shutdownMs: 100 }, overrides)
  const started = Date.now()
  const abandoned = await closeServices([{ name: 'first', service: first }, { name: 'second', service: second }, { name: 'third', service: third }], testLogger(lines))
  const tookMs = Date.now() - started
  assert.deepEqual(abandoned, ['second', 'first'])
  // Each alone would take its own bound, one after the other 900 ms; together 600.
  assert.ok(tookMs >= 590 && tookMs < 850, `closing took ${tookMs} ms`)
  assert.deepEqual(steps.filter((step) => step.startsWith('close')), ['close (agent open)', 'close (agent open)', 'close (agent open)'])
  for (const service of [first, second, third]) assert.equal((service.context.dispatcher as Agent).closed, true)
})

test('a service closed by a deadline it is given keeps that deadline, not its own bound', async (t) => {
  const keepAlive = setInterval(() => {}, 1000)
  t.after(() => { clearInterval(keepAlive) })
  const service = await buildService(definition([]), { shutdownMs: 5000, hangOnClose: true }, overrides)
  const started = Date.now()
  assert.equal(await service.close(Date.now() + 200), false)
  const tookMs = Date.now() - started
  assert.ok(tookMs >= 190 && tookMs < 700, `close took ${tookMs} ms`)
  assert.equal(service.shutdownMs, 5000)
})

async function waitForStep (steps: string[], step: string): Promise<void> {
  await waitFor(`step ${step}`, () => steps.includes(step), 5000, 5)
}
