/** The OpenAPI document: committed, current, complete, and what the daemon serves. */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { DOC_PATH, TS_PATH, generate, generateTypes } from '../scripts/openapi.js'
import { startDaemon } from './helpers.js'

t.test('openapi/berth.json matches the route schemas', async t => {
  const committed = await readFile(DOC_PATH, 'utf8')
  const doc = await generate()
  t.equal(committed, doc, 'run `npm run openapi` to regenerate openapi/berth.json')
  t.equal(await readFile(TS_PATH, 'utf8'), await generateTypes(doc), 'run `npm run openapi` to regenerate openapi/ts/')
})

t.test('every operation has an id, a summary, tags and error responses', async t => {
  const doc = JSON.parse(await readFile(DOC_PATH, 'utf8')) as { paths: Record<string, Record<string, any>> }
  const ids = new Set<string>()
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`
      t.type(op.operationId, 'string', `${where} operationId`)
      t.notOk(ids.has(op.operationId), `${where} operationId unique`)
      ids.add(op.operationId)
      t.ok(typeof op.summary === 'string' && op.summary.length > 0, `${where} summary`)
      t.ok(Array.isArray(op.tags) && op.tags.length > 0, `${where} tags`)
      for (const code of ['400', '500']) {
        t.equal(op.responses[code]?.content?.['application/json']?.schema?.$ref, '#/components/schemas/ErrorResponse', `${where} ${code} uses the error schema`)
      }
      if (path.includes('{id}')) t.ok(op.responses['404'], `${where} documents 404`)
    }
  }
  t.ok(ids.size >= 15, 'all routes present')
})

t.test('GET /openapi.json serves the committed document', async t => {
  const d = await startDaemon(t)
  const served = await d.req('GET', '/openapi.json')
  t.equal(served.status, 200)
  const committed = JSON.parse(await readFile(DOC_PATH, 'utf8')) as { info: { version: string } }
  t.same(served.body, committed)
})
