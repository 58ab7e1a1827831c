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

const routes = Object.entries(doc.paths as Record<string, Json>).map(([template, ops]) => ({
  re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  ops
}))
const validators = new Map<unknown, ReturnType<typeof ajv.compile>>()

/** What is wrong with a response, judged by the document; undefined when it conforms. */
export function contractProblem (method: string, url: string, status: number, contentType: string | undefined, body: Buffer): string | undefined {
  const path = decodeURI(url.split('?')[0]!).replace(/^\/v\d+\.\d+(?=\/)/, '')
  const route = routes.find(r => r.re.test(path))
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase()
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
  let value: unknown
  try { value = JSON.parse(body.toString()) } catch { return `${method} ${path} ${status}: body is not JSON` }
  if (!v(value)) return `${method} ${path} ${status}: body does not match the document: ${ajv.errorsText(v.errors)}`
  return undefined
}
