/**
 * The test-only contract check: every response a test receives is checked
 * against openapi/berth.json for its route and status, and a JSON response on
 * a route Docker also has against Docker's own document (below). A response
 * either document does not allow fails the test that caused it.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'
import yaml from 'js-yaml'

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

/** A path template as a pattern. Image names may hold slashes (Docker routes /images/{name:.*}/json). */
const templateRe = (template: string): RegExp => new RegExp(`^${template.replace(/\{name\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`)

// Fixed paths are tried first.
const routes = Object.entries(doc.paths as Record<string, Json>).map(([template, ops]) => ({
  re: templateRe(template),
  fixed: !template.includes('{'),
  ops
})).sort((a, b) => Number(b.fixed) - Number(a.fixed))
const validators = new Map<unknown, ReturnType<typeof ajv.compile>>()

/** The document's response for a route and status, or what is wrong: the route or the status is not documented. */
function documented (method: string, url: string, status: number): { path: string, m: string, res?: Json, problem?: string } {
  const path = decodeURI(url.split('?')[0]!).replace(/^\/v\d+\.\d+(?=\/)/, '')
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase()
  const route = routes.find(r => r.re.test(path) && r.ops[m] !== undefined) ?? routes.find(r => r.re.test(path))
  const op = route?.ops[m] as Json | undefined
  if (op === undefined) return { path, m, problem: status === 404 ? undefined : `${method} ${path} is not in the document` }
  const res = op.responses[String(status)] as Json | undefined
  return { path, m, res, problem: res === undefined ? `${method} ${path}: status ${status} is not documented` : undefined }
}

/** Whether the document lists `status` for the route: for a response whose body a test reads as a raw stream (hijack). */
export const statusProblem = (method: string, url: string, status: number): string | undefined => documented(method, url, status).problem

/** What is wrong with a response, judged by the document; undefined when it conforms. */
export function contractProblem (method: string, url: string, status: number, contentType: string | undefined, body: Buffer): string | undefined {
  const { path, m, res, problem } = documented(method, url, status)
  if (res === undefined) return problem
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
  return dockerProblem(m.toUpperCase(), path, status, values)
}

/*
 * The second contract: Docker's own API document (moby's api/swagger.yaml, API 1.41, from Debian's
 * golang-github-docker-docker-dev). A response on a route Docker also has is held to Docker's schema for
 * that status. Fields Docker's 1.41 document does not know are fine (its objects allow more properties);
 * a wrong type, a value outside an enum or a missing required field is a disagreement and fails the test.
 */
const dockerYaml = '/usr/share/gocode/src/github.com/docker/docker/api/swagger.yaml'
if (!existsSync(dockerYaml)) throw new Error(`${dockerYaml} is missing: apt-get install -y golang-github-docker-docker-dev (scripts/setup.sh does)`)
const docker = yaml.load(readFileSync(dockerYaml, 'utf8')) as Json
const dockerAjv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })

/**
 * Swagger 2.0 schema to JSON Schema. Docker's Go types marshal nil slices and maps as null, so a value may be
 * null unless the document says `x-nullable: false`; `$ref`s point into the document's definitions.
 */
function fromSwagger (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fromSwagger)
  if (schema === null || typeof schema !== 'object') return schema
  const s = schema as Json
  const converted = Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('x-') && k !== 'example')
    .map(([k, v]) => [k, k === 'properties' || k === 'definitions'
      ? Object.fromEntries(Object.entries(v as Json).map(([p, ps]) => [p, fromSwagger(ps)]))
      : fromSwagger(v)]))
  const nullable = s['x-nullable'] !== false
  if (typeof s.$ref === 'string') return nullable ? { anyOf: [{ $ref: `docker${s.$ref as string}` }, { type: 'null' }] } : { $ref: `docker${s.$ref as string}` }
  if (typeof s.type === 'string' && nullable) converted.type = [s.type, 'null']
  if (Array.isArray(s.enum) && nullable) converted.enum = [...s.enum as unknown[], null]
  return converted
}
// Where the 1.41 document is behind Docker itself (README, "Docker's API document"): Docker answers "no"
// for a container without a restart policy; later documents add it to the enum.
;(docker.definitions.RestartPolicy.properties.Name.enum as string[]).push('no')
// Docker on Linux answers an empty Isolation, in a container's HostConfig and in /info; later documents add ''
// to both enums.
;(docker.definitions.HostConfig.allOf[1].properties.Isolation.enum as string[]).push('')
;(docker.definitions.SystemInfo.properties.Isolation.enum as string[]).push('')
// The 1.41 document's ContainerSummary is the list /containers/json answers, so /system/df's Containers (a
// list of them) came out a list of lists; later documents make ContainerSummary the object.
docker.paths['/system/df'].get.responses['200'].schema.properties.Containers.items = docker.definitions.ContainerSummary.items
// Docker answers the log driver a container was made with, `local` included, which no document's enum lists;
// k8s-file is berth's own name for its format (README, "Logs").
;(docker.definitions.HostConfig.allOf[1].properties.LogConfig.properties.Type.enum as string[]).push('local', 'k8s-file')
dockerAjv.addSchema({ $id: 'docker', definitions: fromSwagger(docker.definitions) as Json })

const dockerRoutes = Object.entries(docker.paths as Record<string, Json>).map(([template, ops]) => ({
  template,
  re: templateRe(template),
  ops
})).sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')) || b.template.length - a.template.length)
const dockerValidators = new Map<string, ReturnType<typeof ajv.compile>>()

/** What the second contract saw; `BERTH_DOCKER_CONTRACT_LOG=<file>` appends one line per response to the file. */
const tally = process.env.BERTH_DOCKER_CONTRACT_LOG

/** What Docker's document says is wrong with a JSON response; undefined when it conforms or Docker has no such route. */
export function dockerProblem (method: string, path: string, status: number, values: unknown[]): string | undefined {
  const m = method.toLowerCase()
  const route = dockerRoutes.find(r => r.re.test(path) && r.ops[m] !== undefined)
  if (route === undefined) return undefined
  const key = `${method} ${route.template} ${status}`
  // An error status Docker does not list for the route still carries Docker's error body.
  const schema = ((route.ops[m] as Json).responses[String(status)] as Json | undefined)?.schema as Json | undefined ??
    (status >= 400 ? { $ref: '#/definitions/ErrorResponse', 'x-nullable': false } : undefined)
  let problem: string | undefined
  if (schema !== undefined) {
    let v = dockerValidators.get(key)
    if (v === undefined) { v = dockerAjv.compile(fromSwagger(schema) as Json); dockerValidators.set(key, v) }
    const bad = values.find(value => !v(value))
    if (bad !== undefined) problem = `${key}: body does not match Docker's document: ${dockerAjv.errorsText(v.errors)}`
  }
  if (tally !== undefined) {
    appendFileSync(tally, `${schema === undefined ? 'unschemed' : 'checked'}\t${key}\t${problem ?? ''}\n`)
  }
  return problem
}
