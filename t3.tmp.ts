import { readStreamConfig } from './src/stream-config/index.js'
import { Agent } from 'undici'
const d = await readStreamConfig({ uri: 'stream-config', cwd: process.cwd(), dispatcher: new Agent(), timeoutMs: 1000 })
console.log(Object.keys(d).length, Object.keys(d))
