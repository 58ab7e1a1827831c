/**
 * The test-only contract check: every response a test receives is checked
 * against openapi/berth.json for its route and status. A response the
 * document does not describe fails the test that caused it.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'

type Json = Record<string, any>
const doc = JSON.parse(readFileSync(fileURLToPath(new URL('../../openapi/berth.json', import.meta.url)), 'utf8')) as Json
const ajv = new Ajv2020({ strict: false, allErrors: true })

/** Replaces `#/components/schemas/X` references with the schemas themselves. */
function inline (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(inline)
  if (schema === null || typeof schema !== 'object') return schema
  const ref = (schema as Json).$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const { $id: _id, ...target } = doc.components.schemas[ref.slice('#/components/schemas/'.length)] as Json
    return inline(target)
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v)]))
}

// Image names may hold slashes (Docker routes /images/{name:.*}/json); fixed paths are tried first.
const routes = Object.entries(doc.paths as Record<string, Json>).map(([template, ops]) => ({
  re: new RegExp(`^${template.replace(/\{name\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  fixed: !template.includes('{'),
  ops
})).sort((a, b) => Number(b.fixed) - Number(a.fixed))
const validators = new Map<unknown, ReturnType<typeof ajv.compile>>()

/** What is wrong with a response, judged by the document; undefined when it conforms. */
export function contractProblem (method: string, url: string, status: number, contentType: string | undefined, body: Buffer): string | undefined {
  const path = decodeURI(url.split('?')[0]!).replace(/^\/v\d+\.\d+(?=\/)/, '')
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase()
  const route = routes.find(r => r.re.test(path) && r.ops[m] !== undefined) ?? routes.find(r => r.re.test(path))
  const op = route?.ops[m] as Json | undefined
  if (op === undefined) return status === 404 ? undefined : `${method} ${path} is not in the document`
  const res = op.responses[String(status)] as Json | undefined
  if (res === undefined) return `${method} ${path}: status ${status} is not documented`
  const content = res.content as Record<string, Json> | undefined
  if (content === undefined || method === 'HEAD') {
    return content === undefined && body.length > 0 ? `${method} ${path} ${status}: a body where none is documented` : undefined
  }
  const type = (contentType ?? '').split(';')[0]!.trim()
  const media = content[type]
  if (media === undefined) return `${method} ${path} ${status}: content type ${type} is not documented (${Object.keys(content).join(', ')})`
  if (type !== 'application/json') return undefined
  let v = validators.get(media)
  if (v === undefined) { v = ajv.compile(inline(media.schema) as Json); validators.set(media, v) }
  // A JSON-message stream (images/create, load) is one document per line, each held to the schema.
  const text = body.toString()
  let values: unknown[]
  try { values = [JSON.parse(text)] } catch {
    try { values = text.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as unknown) } catch { return `${method} ${path} ${status}: body is not JSON` }
  }
  for (const value of values) {
    if (!v(value)) return `${method} ${path} ${status}: body does not match the document: ${ajv.errorsText(v.errors)}`
  }
  return undefined
}
