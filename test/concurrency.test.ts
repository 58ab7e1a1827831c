/** Many containers at once: all reach running, all are cleaned up. */
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { RUNTIMES, makeBundle, processesMentioning, startDaemon, until } from './helpers.js'

const N = 20

for (const runtime of RUNTIMES) {
  t.test(`${N} containers created and started concurrently with ${runtime}`, async t => {
    const d = await startDaemon(t, ['--runtime', runtime])
    // One bundle for all of them: berth never writes to the user's bundle.
    const bundle = await makeBundle(d, ['sleep', '120'])
    const ids = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const c = await d.req('POST', '/containers', { Bundle: bundle, Name: `c${i}` })
      t.equal(c.status, 201, `create c${i}`)
      const s = await d.req('POST', `/containers/${c.body.Id as string}/start`)
      t.equal(s.status, 204, `start c${i}`)
      return c.body.Id as string
    }))
    const list = await d.req('GET', '/containers/json')
    t.equal((list.body as unknown[]).length, N, 'all listed as running')
    for (const c of list.body as Array<{ State: string }>) t.equal(c.State, 'running')
    t.equal(new Set(ids).size, N)
    t.equal(processesMentioning(join(d.state, 'containers')).length >= N, true, 'one monitor each')
    const filtered = await d.req('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: { c1: true } }))}`)
    t.same((filtered.body as Array<{ Names: string[] }>).map(c => c.Names[0]).sort(), ['/c1', '/c10', '/c11', '/c12', '/c13', '/c14', '/c15', '/c16', '/c17', '/c18', '/c19'])
    const limited = await d.req('GET', '/containers/json?limit=3')
    t.equal((limited.body as unknown[]).length, 3)

    const del = await Promise.all(ids.map(id => d.req('DELETE', `/containers/${id}?force=1`)))
    for (const r of del) t.equal(r.status, 204)
    t.same((await d.req('GET', '/containers/json?all=1')).body, [])
    // Removals answer once durable; the runs' clean-ups finish in the background.
    await until(async () => (await readdir(join(d.state, 'rt', runtime))).length === 0, 10_000, 'no runtime state left')
    await until(async () => (await readdir(join(d.state, 'containers'))).length === 0, 10_000, 'no state dirs left')
  })
}
