import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { createHtcpSender, htcpClrPacket } from '../../../src/changeprop/modules/htcp.js'

test('an HTCP CLR packet is laid out as MediaWiki and the reference sent it', () => {
  const url = 'http://en.wikipedia.org/wiki/Main_Page'
  const packet = htcpClrPacket(url, 0x01020304)
  assert.equal(packet.readUInt16BE(0), packet.length, 'total length')
  assert.equal(packet.readUInt16BE(2), 0, 'major and minor version 0')
  assert.equal(packet.readUInt16BE(4), packet.length - 6, 'data length: all but the 4-byte header and the 2-byte auth')
  assert.equal(packet.readUInt8(6), 4, 'opcode CLR')
  assert.equal(packet.readUInt32BE(8), 0x01020304, 'transaction id')
  assert.equal(packet.readUInt16BE(14), 4)
  assert.equal(packet.subarray(16, 20).toString(), 'HEAD')
  assert.equal(packet.readUInt16BE(20), url.length)
  assert.equal(packet.subarray(22, 22 + url.length).toString(), url)
  const after = 22 + url.length
  assert.equal(packet.readUInt16BE(after), 8)
  assert.equal(packet.subarray(after + 2, after + 10).toString(), 'HTTP/1.0')
  assert.equal(packet.readUInt16BE(after + 10), 0, 'no request headers')
  assert.equal(packet.readUInt16BE(after + 12), 2, 'no authentication')
  assert.equal(packet.length, after + 14)
})

test('the sender sends one datagram per URL to the configured host and port', async (t) => {
  const socket = createSocket('udp4')
  const received: string[] = []
  socket.on('message', (packet: Buffer) => { received.push(packet.subarray(22, 22 + packet.readUInt16BE(20)).toString()) })
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.after(() => { socket.close() })
  const sender = createHtcpSender({ host: '127.0.0.1', port: socket.address().port, ttl: 8 })
  t.after(async () => { await sender.close() })
  await sender.purge(['http://a.org/x', 'http://b.org/y'])
  while (received.length < 2) await once(socket, 'message')
  assert.deepEqual(received.sort(), ['http://a.org/x', 'http://b.org/y'])
})
