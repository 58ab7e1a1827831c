import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EVENT_FILTERS, EventBus, eventJson, eventMatches, parseEventLine, parseJournal, type EventMessage } from '../../src/events/bus.js'
import { parseFilters } from '../../src/containers/filters.js'

const ev = (over: Partial<EventMessage> = {}): EventMessage => ({
  Type: 'container', Action: 'die', Actor: { ID: 'abc123def', Attributes: { name: 'web', image: 'bb:latest', app: 'shop', exitCode: '0' } },
  scope: 'local', time: 1795857574, timeNano: 1795857574123456789n, ...over
})
const f = (json: string) => parseFilters(json, EVENT_FILTERS)

t.test('eventJson writes timeNano exactly and parses back', async t => {
  const line = eventJson(ev())
  t.match(line, /,"timeNano":1795857574123456789\}$/)
  t.notMatch(line, /\n/)
  const back = JSON.parse(line)
  t.same([back.status, back.id, back.from, back.scope, back.time], ['die', 'abc123def', 'bb:latest', 'local', 1795857574])
  t.same(parseEventLine(line), ev())
  const img = JSON.parse(eventJson(ev({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1', Attributes: { name: 'bb:v1' } } })))
  t.equal(img.from, undefined)
  t.equal(img.id, 'sha256:1')
})

t.test('parseEventLine refuses torn and foreign lines', async t => {
  const line = eventJson(ev())
  for (const bad of [line.slice(0, -1), line.slice(0, 20), '', '{"a":1,"timeNano":5}', 'x,"timeNano":5}']) t.equal(parseEventLine(bad), undefined, bad)
  t.equal(parseJournal(`${line}\n${line}\n${line.slice(0, 30)}`).length, 2)
})

t.test('eventMatches: Docker\'s filters', async t => {
  const e = ev()
  const yes = ['{}', '{"type":["container"]}', '{"event":{"die":true}}', '{"container":["web"]}', '{"container":["/web"]}', '{"container":["abc1"]}',
    '{"image":["bb:latest"]}', '{"image":["bb"]}', '{"label":["app"]}', '{"label":["app=shop"]}', '{"event":["start","die"],"type":["container"]}']
  const no = ['{"type":["image"]}', '{"event":["start"]}', '{"container":["we"]}', '{"container":["def"]}', '{"image":["b"]}',
    '{"label":["app=x"]}', '{"label":["tier"]}', '{"event":["die"],"type":["image"]}']
  for (const j of yes) t.ok(eventMatches(e, f(j)), j)
  for (const j of no) t.notOk(eventMatches(e, f(j)), j)
  const exec = ev({ Action: 'exec_start: sh -c true' })
  t.ok(eventMatches(exec, f('{"event":["exec_start"]}')))
  t.notOk(eventMatches(exec, f('{"event":["exec"]}')))
  const img = ev({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1', Attributes: { name: 'bb:v1' } } })
  t.ok(eventMatches(img, f('{"image":["bb"]}')))
  t.ok(eventMatches(img, f('{"image":["sha256:1"]}')))
  t.notOk(eventMatches(img, f('{"container":["bb"]}')))
  t.throws(() => f('{"status":["x"]}'), { code: 'INVALID_ARGUMENT' })
})

t.test('EventBus: stamps, replays, publishes, persists', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-ev-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const bus = new EventBus(dir)
  await bus.init()
  const seen: string[] = []
  const off = bus.subscribe(e => seen.push(e.Action))
  const before = BigInt(Date.now()) * 1_000_000n
  const a = bus.emit({ Type: 'container', Action: 'create', Actor: { ID: 'c1', Attributes: { name: 'x' } } })
  const b = bus.emit({ Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { name: 'x' } } })
  off()
  bus.emit({ Type: 'image', Action: 'tag', Actor: { ID: 'i1', Attributes: { name: 'bb:v1' } } })
  t.same(seen, ['create', 'start'])
  t.ok(b.timeNano > a.timeNano, 'stamps increase')
  t.ok(a.timeNano >= before - 1_000_000n && a.timeNano < before + 5_000_000_000n, 'wall-clock ns')
  t.equal(a.time, Number(a.timeNano / 1_000_000_000n))
  t.same(bus.replay(0n, b.timeNano).map(e => e.Action), ['create', 'start'])
  t.same(bus.replay(b.timeNano, bus.now()).map(e => e.Action), ['start', 'tag'])
  t.same(bus.replay(0n, bus.now(), f('{"type":["image"]}')).map(e => e.Action), ['tag'])
  await bus.flush()
  const again = new EventBus(dir)
  await again.init()
  t.same(again.replay(0n, again.now()), bus.replay(0n, bus.now()))
  t.ok(again.emit({ Type: 'image', Action: 'untag', Actor: { ID: 'i1', Attributes: {} } }).timeNano > b.timeNano)
})

t.test('EventBus: a torn last line is dropped and appends start on a fresh line', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-ev-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'events.jsonl')
  const one = eventJson(ev({ timeNano: 1000n, time: 0 }))
  const two = eventJson(ev({ timeNano: 2000n, time: 0, Action: 'destroy' }))
  await writeFile(file, `${one}\n${two}\n${two.slice(0, 40)}`)
  const bus = new EventBus(dir)
  await bus.init()
  t.same(bus.replay(0n, bus.now()).map(e => e.Action), ['die', 'destroy'])
  t.equal(await readFile(file, 'utf8'), `${one}\n${two}\n`)
  bus.emit({ Type: 'container', Action: 'create', Actor: { ID: 'c2', Attributes: {} } })
  await bus.flush()
  const again = new EventBus(dir)
  await again.init()
  t.same(again.replay(0n, again.now()).map(e => e.Action), ['die', 'destroy', 'create'])
})

t.test('EventBus: the journal is bounded and keeps the newest', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-ev-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const bus = new EventBus(dir, 5)
  await bus.init()
  for (let i = 0; i < 23; i++) bus.emit({ Type: 'container', Action: `a${i}`, Actor: { ID: 'c', Attributes: {} } })
  await bus.flush()
  const lines = (await readFile(join(dir, 'events.jsonl'), 'utf8')).split('\n').filter(l => l !== '')
  t.ok(lines.length >= 5 && lines.length < 10, `journal holds ${lines.length} lines`)
  t.same(parseJournal(lines.join('\n')).map(e => e.Action).slice(-3), ['a20', 'a21', 'a22'])
  t.same(bus.replay(0n, bus.now()).map(e => e.Action), ['a18', 'a19', 'a20', 'a21', 'a22'])
  const again = new EventBus(dir, 5)
  await again.init()
  t.same(again.replay(0n, again.now()).map(e => e.Action), ['a18', 'a19', 'a20', 'a21', 'a22'])
})

t.test('EventBus without a dir keeps events in memory', async t => {
  const bus = new EventBus()
  await bus.init()
  bus.emit({ Type: 'container', Action: 'create', Actor: { ID: 'c', Attributes: {} } })
  await bus.flush()
  t.equal(bus.replay(0n, bus.now()).length, 1)
})
