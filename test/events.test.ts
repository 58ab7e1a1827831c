/**
 * Docker's events against a real berthd: what a container's and an image's
 * life emits, filters, since/until replay, live streaming, the journal across
 * a restart, timeNano written exactly, and the docker client reading them.
 */
import t from 'tap'
import { execa } from 'execa'
import { contractProblem } from './contract.js'
import { createContainer, DOCKER, dockerEnv, dockerTest, ROOTFS, run, startDaemon, type Daemon } from './helpers.js'

interface Ev { Type: string, Action: string, Actor: { ID: string, Attributes: Record<string, string> }, time: number, timeNano: number, scope: string }

/** GET /events?query: the raw body (held to the document), its events, and when it ended. */
async function events (d: Daemon, query: string): Promise<{ status: number, raw: string, list: Ev[], endedAt: number }> {
  const r = await d.client.request({ method: 'GET', path: `/events?${query}` })
  const raw = await r.body.text()
  const problem = contractProblem('GET', '/events', r.statusCode, r.headers['content-type'] as string | undefined, Buffer.from(raw))
  if (problem !== undefined) throw new Error(problem)
  const list = r.statusCode === 200 ? raw.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Ev) : []
  return { status: r.statusCode, raw, list, endedAt: Date.now() }
}

const nowS = (): string => (Date.now() / 1000).toFixed(3)
const q = (o: Record<string, unknown>): string => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()

t.test('events: a container\'s life, filters, replay, live, restart, docker client', async t => {
  const d = await startDaemon(t)
  const since = nowS()
  const { id, code } = await run(d, ['sh', '-c', 'exit 3'], { Name: 'ev1', Labels: { app: 'shop' } })
  t.equal(code, 3)
  t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
  const until = nowS()

  const all = await events(d, q({ since, until }))
  t.equal(all.status, 200)
  const mine = all.list.filter(e => e.Actor.ID === id)
  t.same(mine.map(e => e.Action), ['create', 'start', 'die', 'destroy'], 'lifecycle in order')
  for (const e of mine) t.match(e, { Type: 'container', scope: 'local', Actor: { Attributes: { name: 'ev1', app: 'shop' } } })
  t.equal(mine[2]!.Actor.Attributes.exitCode, '3')

  await t.test('timeNano is written exactly', async t => {
    const nanos = [...all.raw.matchAll(/"time":(\d+),"timeNano":(\d+)\}/g)]
    t.equal(nanos.length, all.list.length)
    for (const [, time, nano] of nanos) {
      const n = BigInt(nano!)
      t.ok(n >= BigInt(time!) * 1_000_000_000n && n < (BigInt(time!) + 1n) * 1_000_000_000n, `${nano} within second ${time}`)
      t.ok(n > 2n ** 53n)
    }
    t.ok(nanos.some(([, , nano]) => !nano!.endsWith('00')), 'nanosecond digits, not a rounded double')
  })

  await t.test('filters, both forms', async t => {
    const die = await events(d, q({ since, until, filters: { type: ['container'], event: ['die'] } }))
    t.same(die.list.map(e => [e.Action, e.Actor.ID]), [['die', id]])
    const map = await events(d, q({ since, until, filters: { container: { ev1: true }, event: { die: true, destroy: true } } }))
    t.same(map.list.map(e => e.Action), ['die', 'destroy'])
    t.same((await events(d, q({ since, until, filters: { label: ['app=shop'], event: ['create'] } }))).list.map(e => e.Actor.ID), [id])
    t.same((await events(d, q({ since, until, filters: { label: ['app=other'] } }))).list, [])
    t.same((await events(d, q({ since, until, filters: { container: [id.slice(0, 12)] } }))).list.length, 4)
    t.equal((await events(d, q({ since, until, filters: { status: ['x'] } }))).status, 400)
    t.equal((await events(d, q({ since: 'yesterday' }))).status, 400)
  })

  await t.test('since/until: 0..1 is empty; RFC 3339 works', async t => {
    const empty = await events(d, 'since=0&until=1')
    t.same([empty.status, empty.raw], [200, ''])
    const iso = await events(d, q({ since: new Date(Number(since) * 1000).toISOString(), until: new Date(Number(until) * 1000 + 1).toISOString(), filters: { container: [id] } }))
    t.equal(iso.list.length, 4)
  })

  await t.test('live: headers at once, events as they happen, ended by until', async t => {
    const end = (Date.now() / 1000 + 4).toFixed(3)
    const live = events(d, q({ until: end, filters: { event: ['start', 'die', 'kill', 'stop', 'exec_create', 'exec_die'] } }))
    await new Promise(resolve => setTimeout(resolve, 300))
    const c = await createContainer(d, ['sleep', '30'], { Name: 'ev2' })
    t.equal((await d.req('POST', `/containers/${c}/start`)).status, 204)
    const ex = await d.req('POST', `/containers/${c}/exec`, { Cmd: ['true'] })
    t.equal((await d.req('POST', `/exec/${ex.body.Id}/start`, { Detach: true })).status, 200)
    await new Promise(resolve => setTimeout(resolve, 300))
    t.equal((await d.req('POST', `/containers/${c}/stop?t=1`)).status, 204)
    const r = await live
    t.ok(r.endedAt >= Number(end) * 1000, 'the stream ended by itself, and not before until')
    t.same(r.list.map(e => e.Action), ['start', 'exec_create: true', 'exec_die', 'kill', 'die', 'stop'])
    t.match(r.list[2]!.Actor.Attributes, { execID: ex.body.Id, exitCode: '0', name: 'ev2' })
    t.equal(r.list[3]!.Actor.Attributes.signal, '15')
    t.equal((await d.req('DELETE', `/containers/${c}`)).status, 204)
  })

  await t.test('images: import, tag, untag, delete', async t => {
    const tar = Buffer.from((await execa('tar', ['-C', ROOTFS, '-cf', '-', './etc'], { encoding: 'buffer' })).stdout)
    const s = nowS()
    t.equal((await d.req('POST', '/images/create?fromSrc=-&repo=evimg', tar, { 'content-type': 'text/plain' })).status, 200)
    t.equal((await d.req('POST', '/images/evimg/tag?repo=evimg&tag=v2')).status, 201)
    t.equal((await d.req('DELETE', '/images/evimg:v2')).status, 200)
    t.equal((await d.req('DELETE', '/images/evimg')).status, 200)
    const r = await events(d, q({ since: s, until: nowS(), filters: { type: ['image'] } }))
    t.same(r.list.map(e => [e.Action, e.Actor.Attributes.name]), [['import', 'evimg:latest'], ['tag', 'evimg:v2'], ['untag', 'evimg:v2'], ['untag', 'evimg:latest'], ['delete', r.list[0]!.Actor.ID]])
  })

  await t.test('the journal survives a restart', async t => {
    await d.stop()
    const d2 = await d.restart()
    const r = await events(d2, q({ since: '0', until: nowS(), filters: { container: [id] } }))
    t.same(r.list.map(e => e.Action), ['create', 'start', 'die', 'destroy'])
    t.same(r.raw, all.raw.split('\n').filter(l => l.includes(id)).map(l => `${l}\n`).join(''), 'byte for byte, timeNano included')

    await dockerTest(t, 'docker events', async t => {
      const out = await execa(DOCKER, ['events', '--since', '0', '--until', nowS(), '--filter', 'event=die'], {
        env: dockerEnv(d2), reject: false, timeout: 30_000, encoding: 'utf8'
      })
      t.equal(out.exitCode, 0, out.stderr)
      const lines = out.stdout.split('\n').filter(l => l !== '')
      t.match(lines[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:]+\\.\\d{9}Z container die ${id} \\(app=shop, execDuration=\\d+, exitCode=3, name=ev1\\)$`))
      t.match(lines[1], /container die [0-9a-f]{64} \(execDuration=\d+, exitCode=\d+, name=ev2\)$/)
      t.equal(lines.length, 2)
    })
  })
})
