import { runSchemasCommand } from './src/cli/schemas.js'
const code = await runSchemasCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), stopSignal: new Promise(() => {}) })
process.exitCode = code
