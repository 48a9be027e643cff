import { openSchemaDirectory, checkRepository, defaultRepositoryConfig } from './src/registry/index.js'
const d = await openSchemaDirectory('/work/shared/realschemas/primary')
const r = await checkRepository({ repository: d.repository, config: { ...d.config, exceptions: [] } })
for (const v of r.violations) console.log(v.schema, v.rule, v.change ?? '', v.pointer, v.message.slice(0, 90))
