import { readFile } from 'node:fs/promises'
import { checkDraft, openDirectoryRepository, loadRepositoryConfig, parseSchemaText } from './src/registry/index.js'
const draft = parseSchemaText(await readFile('schemas/mediawiki/page/delete/current.yaml', 'utf8'), 'x')
draft.$id = '/mediawiki/page/delete/1.1.0'
;(draft.properties as any).rev_count = { type: 'string', description: 'now a string' }
const r = await checkDraft(openDirectoryRepository('schemas'), draft, { config: await loadRepositoryConfig('schemas') })
console.log(r.violations.map(v => [v.rule, v.change, v.pointer, v.message]))
