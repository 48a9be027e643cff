import Fastify from 'fastify'

// The baseline of the gateway's 1 event/request figure: a bare Fastify route, in a process of
// its own as the gateway is, that parses the same JSON body with Fastify's default parser and
// answers 201. It answers `{port}` over IPC once listening and stops when the parent disconnects.

const app = Fastify({ logger: false })
app.post('/v1/events', async (request, reply) => {
  if (!Array.isArray(request.body) && typeof request.body !== 'object') return await reply.code(400).send()
  return await reply.code(201).send()
})

process.on('disconnect', () => { void app.close() })

app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  const address = app.server.address()
  process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 })
}).catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
