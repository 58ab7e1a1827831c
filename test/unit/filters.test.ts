import t, { type Test } from 'tap'
import { listsAll, parseFilters, matches } from '../../src/containers/filters.js'
import { BerthError } from '../../src/errors.js'
import type { ContainerRecord } from '../../src/store/records.js'
import { record } from './fixtures.js'

const rec = (over: Partial<ContainerRecord> = {}): ContainerRecord => record({
  name: 'web-1',
  created: '2024-01-02T03:04:05Z',
  labels: { app: 'shop', tier: 'front', empty: '' },
  ...over
})

const invalid = (t: Test, fn: () => unknown, msg: RegExp, name: string): void => {
  t.throws(fn, { code: 'INVALID_ARGUMENT', message: msg }, name)
  try { fn() } catch (err) { t.ok(err instanceof BerthError, `${name}: BerthError`) }
}

t.test('parseFilters: empty', async t => {
  t.same([...parseFilters(undefined)], [])
  t.same([...parseFilters('')], [])
  t.same([...parseFilters('{}')], [])
})

t.test('parseFilters: list form', async t => {
  const f = parseFilters('{"name":["web","db"],"status":["running"],"label":["app=shop"],"id":["abc"]}')
  t.same(f.get('name'), ['web', 'db'])
  t.same(f.get('status'), ['running'])
  t.same(f.get('label'), ['app=shop'])
  t.same(f.get('id'), ['abc'])
  t.equal(f.size, 4)
})

t.test('parseFilters: map form', async t => {
  const f = parseFilters('{"name":{"web":true,"db":true,"off":false},"status":{"exited":true}}')
  t.same(f.get('name'), ['web', 'db'], 'false entries dropped')
  t.same(f.get('status'), ['exited'])
})

t.test('parseFilters: every valid status', async t => {
  for (const s of ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']) {
    t.same(parseFilters(JSON.stringify({ status: [s] })).get('status'), [s], s)
  }
})

t.test('parseFilters: errors', async t => {
  invalid(t, () => parseFilters('{"bogus":["x"]}'), /invalid filter 'bogus'/, 'unknown key')
  invalid(t, () => parseFilters('{"name":["x"],"volume":["y"]}'), /invalid filter 'volume'/, 'unknown key among known')
  invalid(t, () => parseFilters('{not json'), /invalid filter/, 'bad JSON')
  invalid(t, () => parseFilters('[]'), /invalid filter/, 'array')
  invalid(t, () => parseFilters('null'), /invalid filter/, 'null')
  invalid(t, () => parseFilters('"name"'), /invalid filter/, 'string')
  invalid(t, () => parseFilters('{"name":"web"}'), /invalid filter/, 'bare string value')
  invalid(t, () => parseFilters('{"name":[1]}'), /invalid filter/, 'non-string in list')
  invalid(t, () => parseFilters('{"name":null}'), /invalid filter/, 'null value')
  invalid(t, () => parseFilters('{"status":["bogus"]}'), /invalid filter 'status=bogus'/, 'bad status')
  invalid(t, () => parseFilters('{"status":{"Running":true}}'), /invalid filter 'status=Running'/, 'bad status in map form')
})

t.test('matches', async t => {
  const r = rec()
  const m = (json: string, over: Partial<ContainerRecord> = {}): boolean => matches(rec(over), parseFilters(json))
  t.equal(matches(r, new Map()), true, 'no filters')
  t.equal(m('{"name":[]}'), true, 'empty list is no filter')

  // id prefix
  t.equal(m('{"id":["abcdef"]}'), true)
  t.equal(m('{"id":["abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"]}'), true)
  t.equal(m('{"id":["bcdef"]}'), false, 'not a prefix')
  t.equal(m('{"id":["zzz","abc"]}'), true, 'alternatives')

  // name: regexp, leading slash dropped
  t.equal(m('{"name":["web"]}'), true, 'substring')
  t.equal(m('{"name":["/web-1"]}'), true, 'leading slash')
  t.equal(m('{"name":["^web-1$"]}'), true, 'anchored')
  t.equal(m('{"name":["^eb"]}'), false, 'anchored mismatch')
  t.equal(m('{"name":["db"]}'), false)
  t.equal(m('{"name":["db","we.-1"]}'), true, 'regexp alternative')
  t.equal(m('{"name":["web-1["]}', { name: 'web-1[' }), true, 'invalid regexp falls back to substring')
  t.equal(m('{"name":["x["]}'), false, 'invalid regexp, no substring')

  // status via docker words
  t.equal(m('{"status":["running"]}'), true)
  t.equal(m('{"status":["exited"]}'), false)
  t.equal(m('{"status":["created"]}', { status: 'creating' }), true, 'creating shows as created')
  t.equal(m('{"status":["paused","exited"]}', { status: 'exited' }), true)

  // labels
  t.equal(m('{"label":["app"]}'), true, 'key present')
  t.equal(m('{"label":["nope"]}'), false, 'key absent')
  t.equal(m('{"label":["app=shop"]}'), true, 'key=value')
  t.equal(m('{"label":["app=other"]}'), false, 'wrong value')
  t.equal(m('{"label":["empty="]}'), true, 'empty value')
  t.equal(m('{"label":["app="]}'), false, 'empty value mismatch')
  // moby's MatchKVList: every label filter must hold (Compose lists a service's containers by project AND service).
  t.equal(m('{"label":["nope","tier=front"]}'), false, 'labels are not alternatives')
  t.equal(m('{"label":["app=shop","tier=front"]}'), true, 'all labels hold')
  t.equal(m('{"label":["k=a=b"]}', { labels: { k: 'a=b' } }), true, 'value containing =')

  // keys are ANDed
  t.equal(m('{"name":["web"],"status":["running"],"label":["app=shop"]}'), true)
  t.equal(m('{"name":["web"],"status":["exited"]}'), false)
  t.equal(m('{"name":["db"],"status":["running"]}'), false)
})

t.test('exited: the code of a container that ran', async t => {
  const m = (json: string, over: Partial<ContainerRecord>): boolean => matches(rec(over), parseFilters(json))
  const ran = { status: 'exited' as const, exitCode: 3, startedAt: '2024-01-02T03:04:06Z' }
  t.equal(m('{"exited":["3"]}', ran), true)
  t.equal(m('{"exited":["0","3"]}', ran), true, 'alternatives')
  t.equal(m('{"exited":["0"]}', ran), false)
  t.equal(m('{"exited":["0"]}', { status: 'exited', exitCode: 0, startedAt: '0001-01-01T00:00:00Z' }), false, 'never started')
  t.equal(m('{"exited":["0"]}', { status: 'running', exitCode: 0 }), false, 'running')
  invalid(t, () => parseFilters('{"exited":["x"]}'), /invalid filter 'exited=x'/, 'not a number')
})

t.test('listsAll: all, a positive limit or a status filter', async t => {
  t.equal(listsAll(false, undefined, new Map()), false)
  t.equal(listsAll(true, undefined, new Map()), true)
  t.equal(listsAll(false, 1, new Map()), true, 'docker ps -l')
  t.equal(listsAll(false, -1, new Map()), false, 'docker-py\'s limit=-1')
  t.equal(listsAll(false, 0, new Map()), false)
  t.equal(listsAll(false, undefined, parseFilters('{"status":["exited"]}')), true)
  t.equal(listsAll(false, undefined, parseFilters('{"name":["x"]}')), false)
})

t.test('ancestor, before, since: with what the caller looked up', async t => {
  const img = 'sha256:' + 'a'.repeat(64)
  const early = rec({ id: '1'.repeat(64), created: '2024-01-01T00:00:00.000Z', image: img })
  const mid = rec({ id: '2'.repeat(64), created: '2024-01-02T00:00:00.000Z' })
  const late = rec({ id: '3'.repeat(64), created: '2024-01-03T00:00:00.000Z', image: img })
  const pick = (json: string, refs = {}): string[] => [early, mid, late].filter(r => matches(r, parseFilters(json), refs)).map(r => r.id[0]!)
  t.same(pick('{"ancestor":["bb"]}', { images: new Set([img]) }), ['1', '3'], 'the image\'s containers')
  t.same(pick('{"ancestor":["nope"]}', { images: new Set() }), [], 'an unknown image: none')
  t.same(pick('{"before":["x"]}', { before: mid }), ['1'], 'created before, itself left out')
  t.same(pick('{"since":["x"]}', { since: mid }), ['3'], 'created after, itself left out')
  t.same(pick('{"since":["x"],"ancestor":["bb"]}', { since: early, images: new Set([img]) }), ['3'])
  t.equal(listsAll(false, undefined, parseFilters('{"before":["x"]}')), true, 'before lists stopped ones too')
  t.equal(listsAll(false, undefined, parseFilters('{"since":["x"]}')), true)
  t.equal(listsAll(false, undefined, parseFilters('{"ancestor":["bb"]}')), false)
})
