/** Runtime.quickState reads the same status from files that `runtime state` reports, for runc and crun. */
import t from 'tap'
import { join } from 'node:path'
import { Runtime } from '../src/runtime/runtime.js'
import { RUNTIMES, createContainer, startDaemon } from './helpers.js'

for (const name of RUNTIMES) {
  t.test(`quickState agrees with ${name} state`, async t => {
    const d = await startDaemon(t, ['--runtime', name])
    const rt = new Runtime({ name, path: name === 'runc' ? '/usr/sbin/runc' : '/usr/bin/crun', root: join(d.state, 'rt', name), extraArgs: [] })
    const id = await createContainer(d, ['sleep', '60'])
    const pid = (await rt.state(id))!.pid
    const both = async (): Promise<[string | undefined, string | undefined]> => [rt.quickState(id, pid), (await rt.state(id))?.status]
    t.same(await both(), ['created', 'created'])
    await d.req('POST', `/containers/${id}/start`)
    t.same(await both(), ['running', 'running'])
    await d.req('POST', `/containers/${id}/pause`)
    t.same(await both(), ['paused', 'paused'])
    await d.req('POST', `/containers/${id}/unpause`)
    t.same(await both(), ['running', 'running'])
    t.equal(rt.quickState('nosuch', pid), undefined, 'undetermined without a state dir')
  })
}
