/** Runtime.quickState reads the same status from files that `runtime state` reports; refusals are translated; for runc and crun. */
import t from 'tap'
import { execa } from 'execa'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Runtime } from '../src/runtime/runtime.js'
import { RUNTIMES, createContainer, makeBundle, startDaemon, until } from './helpers.js'

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

for (const name of RUNTIMES) {
  t.test(`${name}: kill and pause after the process exited are Docker's 409, not a runtime failure`, async t => {
    // The ~100 ms after a container dies, before berth sees the exit: the runtime still has it, stopped.
    const dir = await mkdtemp(join(tmpdir(), 'bt-rt-'))
    const rt = new Runtime({ name, path: name === 'runc' ? '/usr/sbin/runc' : '/usr/bin/crun', root: join(dir, 'root'), extraArgs: [] })
    const id = `exited-${name}`
    t.teardown(async () => { await rt.delete(id); await rm(dir, { recursive: true, force: true }) })
    const bundle = await makeBundle({ dir }, ['true'])
    await execa(rt.opts.path, ['--root', rt.opts.root, 'run', '--detach', '--bundle', bundle, id], { stdio: 'ignore' })
    await until(async () => (await rt.state(id))?.status === 'stopped', 10_000, 'the container to stop')
    await t.rejects(rt.kill(id, 'SIGTERM'), { code: 'CONFLICT', message: `Container ${id} is not running` }, 'kill')
    await t.rejects(rt.pause(id), { code: 'CONFLICT', message: `Container ${id} is not running` }, 'pause')
  })
}
