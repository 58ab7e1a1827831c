/** Crash safety: berthd SIGKILLed inside each operation (its own file: it restarts berthd twenty times). */
import t from 'tap'
import { checkInvariants } from '../scripts/chaos.js'
import { makeBundle, sleep, startDaemon } from './helpers.js'

t.test('berthd SIGKILLed in the middle of create, start, stop and delete', async t => {
  const d = await startDaemon(t)
  let current = d
  const bundle = await makeBundle(d, ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done'])
  const ops: Array<[string, (id: string | undefined) => Promise<unknown>, 'none' | 'created' | 'running' | 'exited']> = [
    ['create', () => current.req('POST', '/containers', { Bundle: bundle }), 'none'],
    ['start', id => current.req('POST', `/containers/${id!}/start`), 'created'],
    ['start again', id => current.req('POST', `/containers/${id!}/start`), 'exited'],
    ['stop', id => current.req('POST', `/containers/${id!}/stop?t=2`), 'running'],
    ['delete', id => current.req('DELETE', `/containers/${id!}?force=1`), 'running']
  ]
  // Each round restarts berthd five times.
  const rounds = 4
  for (let round = 0; round < rounds; round++) {
    for (const [name, op, needs] of ops) {
      let id: string | undefined
      if (needs !== 'none') {
        const c = await current.req('POST', '/containers', { Bundle: bundle })
        id = c.body.Id as string
        if (needs === 'running' || needs === 'exited') await current.req('POST', `/containers/${id}/start`)
        if (needs === 'exited') await current.req('POST', `/containers/${id}/stop?t=2`)
      }
      const pending = op(id).catch(() => undefined)
      // Kill somewhere inside the operation: early, in the middle, or near its end.
      await sleep(Math.floor(Math.random() * 60))
      await current.stop('SIGKILL')
      await pending
      current = await current.restart()
      const problems = await checkInvariants(current)
      t.same(problems, [], `${name}, round ${round}: consistent after restart`)
    }
  }
  // Everything can still be driven and removed.
  for (const c of (await current.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>) {
    t.equal((await current.req('DELETE', `/containers/${c.Id}?force=1`)).status, 204)
  }
  t.same(await checkInvariants(current), [])
})
