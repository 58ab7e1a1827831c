/** The fuzzer's generators: every operation covered, requests sendable, the canary guard able to say yes. */
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../helpers.js'
import { anyRequest, deep, operations, pct, toJson, touches, type Pools } from '../fuzz-gen.js'

const doc = JSON.parse(readFileSync(join(REPO, 'openapi', 'berth.json'), 'utf8'))
const canary = { id: 'c0ffee' + '0'.repeat(58), name: 'canary' }
const pools: Pools = { containers: ['a'.repeat(64), 'fodder'], execs: ['e'.repeat(64)], images: ['sha256:' + 'b'.repeat(64), 'bb'], bundles: ['/tmp/b'], tars: [Buffer.from('tar')], canary }

t.test('operations: one per method and path of the document', async t => {
  const ops = operations(doc)
  const expected = Object.values(doc.paths as Record<string, object>).reduce((n, m) => n + Object.keys(m).length, 0)
  t.equal(ops.length, expected)
  t.ok(ops.some(o => o.template === '/containers/create' && o.json !== undefined), 'JSON bodies are found')
  t.ok(ops.some(o => o.template === '/images/load' && o.tar), 'tar bodies are found')
})

t.test('pct and toJson', async t => {
  t.equal(pct('a b/\0é'), 'a%20b%2F%00%C3%A9')
  t.equal(pct('\ud800'), '%EF%BF%BD', 'a lone surrogate is sent as U+FFFD')
  t.equal(toJson({ a: '\u0000RAW:1e999', b: 'x' }), '{"a":1e999,"b":"x"}')
  t.equal(toJson({ a: '\u0000RAW:' + deep(3, 'object') }), '{"a":{"a":{"a":{"a":1}}}}')
  t.equal(JSON.parse(deep(5000, 'array').slice(4990, -4990)).length, 1, 'nesting is well formed')
})

t.test('touches: a request that changes state may not name the canary', async t => {
  t.ok(touches('POST', `/containers/${canary.id}/kill`, canary))
  t.ok(touches('POST', '/containers/c0f/stop', canary), 'a unique prefix names it')
  t.ok(touches('DELETE', '/containers/%2Fcanary?force=1', canary), 'so does its name, encoded, with a slash')
  t.ok(touches('POST', '/commit?container=canary&repo=x', canary), 'in the query too')
  t.ok(touches('POST', '/commit?repo=x&container=c0ffee%3Ax', canary), 'a value with a colon')
  t.notOk(touches('POST', '/containers/fodder/stop?t=c', canary), 'other query values name no container')
  t.notOk(touches('GET', `/containers/${canary.id}/json`, canary), 'reading it is fine')
  t.notOk(touches('POST', '/containers/fodder/kill', canary))
  t.notOk(touches('POST', '/containers/%zz/kill', canary), 'a bad escape is no match')
})

t.test('generated requests can be sent and stay off the machine', async t => {
  const ops = operations(doc)
  const seen = new Set<string>()
  for (const r of fc.sample(anyRequest(ops, pools), { seed: 42, numRuns: 3000 })) {
    seen.add(`${r.method} ${r.op.template}`)
    // What undici accepts as a request target: printable ASCII only.
    if (!/^\/[\x21-\x7e]*$/.test(r.path)) t.fail(`unsendable path: ${r.path}`)
    if ((r.method === 'GET' || r.method === 'HEAD') && r.body !== undefined) t.fail(`a body on ${r.method}`)
    if (typeof r.body === 'string' && r.headers['content-type'] === 'application/json') {
      let parsed: unknown
      try { parsed = JSON.parse(r.body) } catch { continue }
      const host = (parsed as { HostConfig?: Record<string, unknown> } | null)?.HostConfig
      for (const k of ['Binds', 'Mounts', 'Privileged', 'Devices', 'PidMode', 'CapAdd']) {
        const v = host?.[k]
        if (v !== undefined && JSON.stringify(v) !== '[[12345]]') t.fail(`unsafe ${k} sent: ${JSON.stringify(v)}`)
      }
    }
  }
  t.equal(seen.size, ops.length, 'every operation was generated')
})
