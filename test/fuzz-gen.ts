/**
 * The API fuzzer's generators: fast-check arbitraries of requests built from
 * openapi/berth.json, one per operation. Pure: the ids of the test's own
 * objects come in as live pools, and what a request may not name (the
 * canary) is decided here by `touches`.
 */
import fc from 'fast-check'

type Json = Record<string, any>

/** One operation of the document, as the generator needs it. */
export interface Op {
  method: string
  template: string
  params: Array<{ name: string, in: string, schema: Json }>
  /** The JSON body's schema, when the operation takes JSON. */
  json?: Json
  /** The operation takes a tar archive. */
  tar: boolean
}

/** A request ready to send (path already encoded). */
export interface FuzzRequest {
  op: Op
  method: string
  path: string
  headers: Record<string, string>
  body?: string | Buffer
}

/** Objects the test made, read when a request is generated (they change as the fuzz runs). */
export interface Pools {
  containers: string[]
  execs: string[]
  images: string[]
  /** Absolute paths of bundles the test wrote, for POST /containers. */
  bundles: string[]
  /** Tar archives to send and mutate: made by the test (including ones with escaping names) and saved images. */
  tars: Buffer[]
  /** The canary's full id and name: read-only routes may name it. */
  canary: { id: string, name: string }
}

/** Every operation in the document. */
export function operations (doc: Json): Op[] {
  const ops: Op[] = []
  for (const [template, methods] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody?.content ?? {}) as Record<string, Json>
      ops.push({
        method: method.toUpperCase(),
        template,
        params: ((op.parameters ?? []) as Json[]).map(p => ({ name: p.name, in: p.in, schema: p.schema ?? {} })),
        json: content['application/json']?.schema,
        tar: content['application/x-tar'] !== undefined
      })
    }
  }
  return ops
}

export const isReadOnly = (method: string): boolean => method === 'GET' || method === 'HEAD'

/** Percent-encodes every byte of `s` as UTF-8 but the unreserved ones (lone surrogates become U+FFFD). */
export function pct (s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * Whether a request that changes state names the canary: a path segment or
 * `container` query value that is its name or a prefix of its id (Docker
 * resolves a unique prefix). Read-only requests may name it.
 */
export function touches (method: string, path: string, canary: { id: string, name: string }): boolean {
  if (isReadOnly(method)) return false
  const [p, q = ''] = path.split('?', 2) as [string, string?]
  // Containers are named by path segments, and by `container` in the query (commit); no other parameter resolves one.
  const values = [...p.split('/'), ...q.split('&').filter(kv => kv.startsWith('container=')).map(kv => kv.slice('container='.length))]
  return values.some(raw => {
    let v: string
    try { v = decodeURIComponent(raw) } catch { v = raw }
    v = v.replace(/^\/+/, '').split(':')[0]!
    return v !== '' && (canary.id.startsWith(v) || v === canary.name)
  })
}

// A JSON value that JSON.stringify cannot write (1e999, deep nesting) travels as this marked string, then is spliced in as is.
const RAW = '\u0000RAW:'
const raw = (text: string): string => RAW + text
/** JSON text of `v`, with marked strings spliced in as raw JSON. */
export function toJson (v: unknown): string {
  const text = JSON.stringify(v) ?? ''
  return text.replace(/"\\u0000RAW:((?:[^"\\]|\\.)*)"/g, (_, body: string) => JSON.parse(`"${body}"`) as string)
}

/** `depth` nested arrays or objects, as JSON text. */
export const deep = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

/** Strings meant to break things: NUL, controls, unicode, traversal, flags, very long. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 24 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '', ' ', '\0', 'a\0b', '\n', '\r\n', '\t', '\u202e', '\ud800', '😀', 'ＡＢＣ', 'é', '../x', '../../../../../../etc/passwd',
      '/', '.', '..', '/proc/self/root', '-1', '0', '1e308', 'NaN', 'null', 'true', '{}', '[]', '--help all', '-A',
      '$(id)', '`id`', '*', '%00', 'sha256:', 'sha256:' + '0'.repeat(64), 'a:b:c', 'a/b/c', 'x'.repeat(300), 'x'.repeat(10_000)
    )
  }
)

/** Numbers at the edges: huge, negative, past 2^53, fractions. */
const edgeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 1e308, -1e308, 5e-324, 1.5, -0.5),
  fc.constantFrom(raw('1e999'), raw('-1e999'), raw('-0'), raw('123456789012345678901234567890')),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true })
)

/** A value of the wrong shape for whatever field it lands in. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 'x', '', [], {}, [1], { a: 1 }, ['a', 1]) },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.constantFrom(raw(deep(5000, 'array')), raw(deep(5000, 'object')), 'x'.repeat(1_000_000)) }
)

/**
 * Fields whose valid values would reach past the container: host mounts and
 * devices, privilege, host namespaces, host sysctls and cgroups, the OOM
 * killer and real-time scheduling. They are
 * only ever absent or of a shape the schema refuses, so no generated
 * container can touch the machine.
 */
const UNSAFE = new Set([
  'Binds', 'Mounts', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'Privileged', 'CapAdd', 'SecurityOpt',
  'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'NetworkMode', 'CgroupnsMode', 'Cgroup', 'CgroupParent',
  'Sysctls', 'MaskedPaths', 'ReadonlyPaths', 'VolumesFrom', 'Volumes', 'OomKillDisable', 'CpuRealtimePeriod',
  'CpuRealtimeRuntime'
])
const refused = fc.constantFrom(undefined, [[12345]])

/** Commands a generated container or exec may run: harmless ones, with nasty arguments. */
const command: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(['true'], ['sleep', '30'], ['sh', '-c', 'exit 3'], ['cat'], ['/no/such/program'], [], [''], 'true', ['sleep', '-1'], ['sleep', '1e308']),
  fc.tuple(fc.constant('echo'), nastyString),
  fc.array(fc.constant('x'.repeat(1000)), { minLength: 100, maxLength: 100 })
)

/** Values for a JSON schema: mostly valid shapes with nasty leaves, sometimes the wrong shape. */
export function value (schema: Json, pools: Pools, key = '', depth = 0): fc.Arbitrary<unknown> {
  if (UNSAFE.has(key)) return refused
  if (key === 'Cmd' || key === 'Entrypoint' || key === 'Test') return fc.oneof({ weight: 4, arbitrary: command }, { weight: 1, arbitrary: wrongValue })
  if (key === 'Image') return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pools.images.slice(0, 2)) }, nastyString, wrongValue)
  if (key === 'Bundle') return fc.oneof({ weight: 6, arbitrary: fc.nat().map(n => pools.bundles[n % pools.bundles.length]) }, nastyString, wrongValue)
  return fc.oneof({ weight: 7, arbitrary: shaped(schema, pools, depth) }, { weight: 1, arbitrary: wrongValue })
}

function shaped (schema: Json, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const alts = (schema.anyOf ?? schema.oneOf) as Json[] | undefined
  if (alts !== undefined) return fc.oneof(...alts.map(s => shaped(s, pools, depth)))
  if (schema.enum !== undefined) return fc.constantFrom(...(schema.enum as unknown[]))
  const types = ([] as string[]).concat(schema.type ?? ['object', 'string'])
  return fc.oneof(...types.map(type => {
    switch (type) {
      case 'null': return fc.constant(null)
      case 'boolean': return fc.boolean()
      case 'integer':
      case 'number': return fc.oneof(fc.integer({ min: 0, max: 100 }), edgeNumber)
      case 'string': return nastyString
      case 'array': return depth > 3 ? fc.constant([]) : fc.array(value(schema.items ?? {}, pools, '', depth + 1), { maxLength: 3 })
      default: {
        if (depth > 3) return fc.constant({})
        const props = (schema.properties ?? {}) as Record<string, Json>
        // A few fields at a time (the ones a body cannot go without always): a body with one odd field reaches past validation.
        const always = Object.keys(props).filter(k => k === 'Image' || k === 'Bundle' || k === 'HostConfig')
        const known = fc.shuffledSubarray(Object.keys(props), { maxLength: Math.min(6, Object.keys(props).length) }).chain(keys =>
          fc.record(Object.fromEntries([...new Set([...always, ...keys])].map(k => [k, value(props[k]!, pools, k, depth + 1)]))))
        const extra = schema.additionalProperties === false || Object.keys(props).length > 0
          ? fc.constant({})
          : fc.dictionary(nastyString, value(schema.additionalProperties ?? {}, pools, '', depth + 1), { maxKeys: 3 })
        return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }))
      }
    }
  }))
}

/** Bytes meant to be a tar: the pool's archives whole, cut short, corrupted, or random bytes. */
export function tarBody (pools: Pools): fc.Arbitrary<Buffer> {
  const pick = fc.nat().map(n => pools.tars[n % pools.tars.length]!)
  return fc.oneof(
    pick,
    fc.tuple(pick, fc.double({ min: 0, max: 1, noNaN: true })).map(([t, f]) => t.subarray(0, Math.floor(t.length * f))),
    fc.tuple(pick, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 })).map(([t, flips]) => {
      const b = Buffer.from(t)
      if (b.length > 0) for (const [at, v] of flips) b[at % b.length] = v
      return b
    }),
    fc.uint8Array({ maxLength: 64 * 1024 }).map(a => Buffer.from(a)),
    fc.constantFrom(Buffer.alloc(0), Buffer.alloc(1024), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))
  )
}

/** An id or name for a path parameter: the test's own objects, unknown ones, traversal, NUL, very long, unicode. */
function pathId (op: Op, pools: Pools): fc.Arbitrary<string> {
  const pool = op.template.startsWith('/exec/') ? pools.execs : op.template.startsWith('/images/') ? pools.images : pools.containers
  const own = fc.nat().map(n => pool.length === 0 ? 'none' : pct(pool[n % pool.length]!))
  const alts: Array<fc.Arbitrary<string>> = [
    own, own, own, own,
    nastyString.map(pct),
    fc.constantFrom('..%2Fx', '..%2F..%2F..%2Fetc', '%2e%2e', '%00', 'a%00b', '%zz', '%', '%ff%fe', 'x'.repeat(300), 'x'.repeat(10_000), 'nosuch', '0'.repeat(64)),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 64 })
  ]
  if (op.template.startsWith('/images/')) alts.push(fc.constantFrom('library/bb:latest', 'a/b/c', 'bb:nosuch', 'docker.io/library/bb', 'sha256:%00', 'A:B'))
  if (isReadOnly(op.method)) alts.push(fc.constant(pools.canary.id), fc.constant(pools.canary.name))
  // A push names a repository on 127.0.0.1:1 (none is in the store: a 404 before any connection), so the fuzzer never reaches out of the machine.
  if (op.template.endsWith('/push')) return fc.oneof(...alts).map(id => `127.0.0.1%3A1%2F${id}`)
  return fc.oneof(...alts)
}

/** Values that take a parameter past validation into the code behind it, by name. */
const HINTS: Record<string, string[]> = {
  fromSrc: ['-', '-', 'http://127.0.0.1:1/x', '/etc/passwd'],
  path: ['/', '/etc', '/etc/passwd', '/tmp', '/tmp/', '/canary.txt', '/proc/self/root', '/dev/null', '../../../../tmp', '/tmp/../..', 'tmp', '/no/such'],
  ps_args: ['aux', '-ef', '-o pid,comm', '--help all', '-A', '-e -o %mem'],
  signal: ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT', '9', '0', '64', '65', 'KILL', 'SIGRTMAX', 'SIGRTMIN+1'],
  t: ['0', '1', '-1'],
  changes: ['CMD ["true"]', 'ENV A=b', 'WORKDIR /x', 'USER nobody', 'EXPOSE 80', 'FROM x', 'CMD'],
  tail: ['all', '0', '1', '-1'],
  since: ['0', '-1', '1e308', '2024-01-01T00:00:00Z'],
  until: ['0', '-1', '1e308', '1'],
  repo: ['fz', 'fz/x', 'FZ', 'bb', 'a:b'],
  tag: ['latest', 'x', ':', 'a/b']
}

/** A query value for a parameter of `schema`: right and wrong types, edge numbers, NUL, unicode, 10,000 chars, bad escapes. */
function queryValue (name: string, schema: Json, pools: Pools): fc.Arbitrary<string> {
  const hinted = (HINTS[name] ?? []).map(pct)
  const rightish = schema.type === 'integer'
    ? fc.constantFrom('0', '1', '-1', '10', '9007199254740993', '1e308', '-1e308', 'NaN', 'Infinity', '0x1f', '1.5', '', '%201', '99999999999999999999999')
    : fc.oneof(
      fc.constantFrom('1', '0', 'true', 'false', 'yes', '', '{}', '%7B%22a%22%3A%5B1%5D%7D', '%7B%22status%22%3A%5B%22running%22%5D%7D'),
      fc.nat().map(n => pct(pools.containers[n % Math.max(1, pools.containers.length)] ?? 'none')),
      fc.constantFrom(...((schema.anyOf ?? []) as Json[]).flatMap(s => (s.enum ?? []) as string[]), '-'),
      fc.constantFrom('-', 'SIGKILL', 'SIGTERM', '9', 'KILL', 'aux', 'bb', '/', '/etc', '/etc/passwd', '/tmp', '../../../../tmp', '/proc/self', '/dev/null')
    )
  return fc.oneof(
    ...(hinted.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...hinted) }] : []),
    { weight: 3, arbitrary: rightish },
    { weight: 2, arbitrary: nastyString.map(pct) },
    { weight: 1, arbitrary: fc.constantFrom('%00', 'a%00b', '%zz', '%', '%ff', '%C0%AE%C0%AE') }
  )
}

function query (op: Op, pools: Pools): fc.Arbitrary<string> {
  const qs = op.params.filter(p => p.in === 'query')
  // A pull goes to a registry on 127.0.0.1:1, where nothing listens: the fuzzer never reaches out of the machine.
  const value = (name: string, v: string): string => name === 'fromImage' ? `127.0.0.1%3A1%2F${v}` : v
  const one = (name: string, s: Json): fc.Arbitrary<string[]> =>
    fc.array(queryValue(name, s, pools), { minLength: 1, maxLength: 2 }).map(vs => vs.map(v => `${pct(name)}=${value(name, v)}`))
  return fc.tuple(
    ...qs.map(p => fc.oneof({ weight: 1, arbitrary: fc.constant([] as string[]) }, { weight: 2, arbitrary: one(p.name, p.schema) })),
    fc.oneof({ weight: 5, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.tuple(nastyString, nastyString).map(([k, v]) => [`${pct(k)}=${pct(v)}`]) })
  ).map(parts => {
    const q = parts.flat().join('&')
    return q === '' ? '' : `?${q}`
  })
}

function body (op: Op, pools: Pools): fc.Arbitrary<{ body?: string | Buffer, headers: Record<string, string> }> {
  if (isReadOnly(op.method)) return fc.constant({ headers: {} })
  const json = { 'content-type': 'application/json' }
  const alts: Array<fc.Arbitrary<{ body?: string | Buffer, headers: Record<string, string> }>> = [
    fc.constant({ headers: {} }),
    fc.constantFrom('', '{', 'null', '[]', '"x"', '{"a":', '\0', '{"Cmd":["true"]}\0').map(b => ({ body: b, headers: json }))
  ]
  if (op.json !== undefined) {
    // A login goes to 127.0.0.1:1, where nothing listens (an absent serveraddress would be Docker Hub).
    const v = shaped(op.json, pools, 0).map(b => op.template === '/auth' && b !== null && typeof b === 'object' && !Array.isArray(b) ? { ...b, serveraddress: '127.0.0.1:1' } : b)
    alts.push(v.map(b => ({ body: toJson(b), headers: json })), v.map(b => ({ body: toJson(b), headers: json })), v.map(b => ({ body: toJson(b), headers: json })))
    alts.push(fc.tuple(v, fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded')).map(([b, ct]) => ({ body: toJson(b), headers: { 'content-type': ct } })))
  }
  if (op.tar) {
    const tar = fc.tuple(tarBody(pools), fc.constantFrom('application/x-tar', 'text/plain', 'application/json'))
    alts.push(tar.map(([b, ct]) => ({ body: b, headers: { 'content-type': ct } })), tar.map(([b, ct]) => ({ body: b, headers: { 'content-type': ct } })))
  }
  return fc.oneof(...alts)
}

/** A generated request for `op`. */
export function request (op: Op, pools: Pools): fc.Arbitrary<FuzzRequest> {
  const version = fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/v1.43', '/v1.99', '/v0', '/vx', '/v1.44.0') })
  const names = [...op.template.matchAll(/\{(\w+)\}/g)].map(m => m[1]!)
  return fc.tuple(version, fc.tuple(...names.map(() => pathId(op, pools))), query(op, pools), body(op, pools)).map(([v, ids, q, b]) => {
    let i = 0
    const path = v + op.template.replace(/\{\w+\}/g, () => ids[i++]!) + q
    return { op, method: op.method, path, headers: b.headers, body: b.body }
  })
}

/** A request for any of `ops`; the ones with a body, where most of the input is, three times as often. */
export const anyRequest = (ops: Op[], pools: Pools): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(...ops.map(op => ({ weight: op.json !== undefined || op.tar ? 3 : 1, arbitrary: request(op, pools) })))
