/** Crash safety: berthd SIGKILLed at any moment, monitors killed, records damaged, a full disk. */
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkInvariants } from '../scripts/chaos.js'
import { createContainer, fillDisk, makeBundle, mountTmpfs, run, sleep, startDaemon, until } from './helpers.js'

const isGone = (pid: number): boolean => { try { process.kill(pid, 0); return false } catch { return true } }

t.test('SIGKILL with containers in every state; restart re-loads them all', async t => {
  const d = await startDaemon(t)
  const created = await createContainer(d, ['true'])
  const running = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${running}/start`)
  const paused = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${paused}/start`)
  t.equal((await d.req('POST', `/containers/${paused}/pause`)).status, 204)
  t.equal((await d.req('POST', `/containers/${paused}/pause`)).status, 409, 'pause of a paused container')
  t.equal((await d.req('POST', `/containers/${paused}/kill`)).status, 409, 'kill of a paused container')
  const { id: exited } = await run(d, ['sh', '-c', 'exit 3'])
  const later = await createContainer(d, ['sh', '-c', 'sleep 1; exit 7'])
  await d.req('POST', `/containers/${later}/start`)
  const laterPid = (await d.req('GET', `/containers/${later}/json`)).body.State.Pid as number

  await d.stop('SIGKILL')
  await until(() => isGone(laterPid), 10_000, 'the container to exit while berthd is down')
  const d2 = await d.restart()
  const status = async (id: string): Promise<any> => (await d2.req('GET', `/containers/${id}/json`)).body.State
  t.match(await status(created), { Status: 'created' })
  t.match(await status(running), { Status: 'running', Running: true })
  t.match(await status(paused), { Status: 'paused', Paused: true })
  t.match(await status(exited), { Status: 'exited', ExitCode: 3 })
  t.match(await status(later), { Status: 'exited', ExitCode: 7 }, 'the real code of an exit while berthd was down')
  t.equal((await d2.req('GET', '/containers/json?all=1')).body.length, 5)
  // Wait on the exited one answers while the running one still runs: order, not milliseconds. Should it
  // block instead, the running one is killed after 20 s so the race ends and the assertion says so.
  const w = await d2.open('POST', `/containers/${running}/wait`)
  const failSafe = setTimeout(() => { void d2.req('POST', `/containers/${running}/kill`) }, 20_000)
  const first = await Promise.race([
    d2.req('POST', `/containers/${later}/wait`).then(r => ({ later: r.body })),
    w.body.then(r => ({ running: r.body }))
  ])
  clearTimeout(failSafe)
  t.same(first, { later: { StatusCode: 7, Error: null } }, 'wait on an exited container answers before anything else happens')
  t.equal((await d2.req('POST', `/containers/${running}/kill`)).status, 204)
  t.same((await w.body).body, { StatusCode: 137, Error: null })
  t.equal((await d2.req('DELETE', `/containers/${running}`)).status, 204)
  t.equal((await d2.req('POST', `/containers/${paused}/unpause`)).status, 204)
  t.match(await status(paused), { Status: 'running' })
  t.equal((await d2.req('POST', `/containers/${paused}/unpause`)).status, 409, 'unpause of a running container')
  t.equal((await d2.req('POST', `/containers/${paused}/stop?t=1`)).status, 204)
  t.same(await checkInvariants(d2), [])
})

t.test('a killed monitor, a damaged record, a state dir removed behind berthd', async t => {
  const d = await startDaemon(t)
  const keep = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${keep}/start`)
  const victim = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${victim}/start`)
  const garbage = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${garbage}/start`)
  const truncated = await createContainer(d, ['true'])
  // sleep 600: were it wrongly adopted, it would not exit on its own within the test.
  const orphan = await createContainer(d, ['sleep', '600'])
  await d.req('POST', `/containers/${orphan}/start`)
  const orphanPid = (await d.req('GET', `/containers/${orphan}/json`)).body.State.Pid as number
  const monitorPid = Number(await readFile(join(d.state, 'containers', orphan, 'conmon.pid'), 'utf8'))
  t.ok(orphanPid > 0 && monitorPid > 0 && !isGone(monitorPid), 'the orphan and its monitor run')

  // The state dir vanishes while the container runs: it can still be stopped and removed.
  await rm(join(d.state, 'containers', victim), { recursive: true, force: true })
  t.equal((await d.req('POST', `/containers/${victim}/stop?t=1`)).status, 204)
  t.match((await d.req('GET', `/containers/${victim}/json`)).body.State, { Status: 'exited', ExitCode: 137 })
  t.equal((await d.req('DELETE', `/containers/${victim}`)).status, 204)

  await d.stop('SIGKILL')
  // The monitor dies while berthd is down; the container it watched lives on.
  process.kill(monitorPid, 'SIGKILL')
  await until(() => isGone(monitorPid), 10_000, 'the killed monitor to be gone')
  t.notOk(isGone(orphanPid), 'the orphan outlives its monitor')
  await writeFile(join(d.root, 'containers', garbage, 'container.json'), 'not json at all {')
  await writeFile(join(d.root, 'containers', truncated, 'container.json'), '{"version":1,"id":')
  const d2 = await d.restart()
  t.match(d2.stderr(), /container record set aside/)
  t.equal((await d2.req('GET', `/containers/${garbage}/json`)).status, 404, 'a damaged record is set aside')
  t.equal((await d2.req('GET', `/containers/${truncated}/json`)).status, 404)
  t.match((await d2.req('GET', `/containers/${keep}/json`)).body.State, { Status: 'running' }, 'the others load')
  t.match((await d2.req('GET', `/containers/${orphan}/json`)).body.State,
    { Status: 'exited', Running: false, ExitCode: 137, Error: 'container monitor died; container killed' },
    'a container whose monitor died is not adopted: it is killed, and says why')
  await until(() => isGone(orphanPid), 10_000, 'the orphan to be killed')
  const waited = await Promise.race([d2.req('POST', `/containers/${orphan}/wait`), sleep(10_000).then(() => 'no answer')])
  t.same((waited as { body: unknown }).body, { StatusCode: 137, Error: null }, 'wait answers with its exit')
  t.equal((await d2.req('DELETE', `/containers/${orphan}`)).status, 204)
  const aside = (await readdir(join(d2.root, 'containers'))).filter(n => n.startsWith('.bad-'))
  t.equal(aside.length, 2, 'both damaged records kept aside for a human')
  t.same(await checkInvariants(d2), [], 'the damaged container\'s monitor and runtime state were cleaned as leaks')
})

t.test('a full disk gives a clear error and leaves nothing half-made', async t => {
  const mnt = await mountTmpfs(t, '256k')
  const d = await startDaemon(t, ['--root', join(mnt, 'root')])
  const ok = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${ok}/start`)
  const bundle = await makeBundle(d, ['true'])
  await fillDisk(mnt)
  const r = await d.req('POST', '/containers', { Bundle: bundle })
  t.equal(r.status, 500)
  t.match(r.body.message, /no space left on device/i)
  t.equal((await d.req('GET', '/_ping')).status, 200, 'still serving')
  t.match((await d.req('GET', `/containers/${ok}/json`)).body.State, { Status: 'running' }, 'others untouched')
  t.same(await checkInvariants(d), [])
  await rm(join(mnt, 'filler'))
  t.equal((await d.req('POST', '/containers', { Bundle: bundle })).status, 201, 'works again once there is room')
  t.equal((await d.req('DELETE', `/containers/${ok}?force=1`)).status, 204)
})

t.test('a full disk keeps neither an exit nor a removal waiting', async t => {
  const mnt = await mountTmpfs(t, '256k')
  let d = await startDaemon(t, ['--root', join(mnt, 'root')])
  const records = join(mnt, 'root', 'containers')
  const onDisk = async (id: string): Promise<{ status: string, exitCode: number }> => JSON.parse(await readFile(join(records, id, 'container.json'), 'utf8'))
  let fillers = 0
  /** Fills what room is left (a removal frees some). */
  const fill = (): Promise<void> => fillDisk(mnt, `filler${fillers++}`)
  // Containers that exit when the test says (a file in a dir bound from outside the full disk).
  const sig = join(d.dir, 'sig')
  await mkdir(sig)
  const onCue = async (name: string, code: number): Promise<string> => {
    const bundle = await makeBundle(d, ['sh', '-c', `while [ ! -e /tmp/${name} ]; do sleep 0.05; done; exit ${code}`], s => {
      s.mounts.push({ destination: '/tmp', type: 'bind', source: sig, options: ['rbind', 'rw'] })
    })
    const id = (await d.req('POST', '/containers', { Bundle: bundle })).body.Id as string
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    return id
  }
  // An answer, or 'no answer' (a failure) after a bound far above any machine's worst.
  const within = async <T>(p: Promise<T>): Promise<T | 'no answer'> => await Promise.race([p, sleep(15_000).then(() => 'no answer' as const)])
  const hiddenGone = async (): Promise<void> => { await until(async () => (await readdir(records)).every(n => !n.startsWith('.')), 10_000, 'removed containers\' dot-dirs deleted') }
  const { id: done } = await run(d, ['sh', '-c', 'exit 3'])
  const late = await onCue('late', 7)
  const gone = await onCue('gone', 9)
  await fill()

  // Exits while the disk is full: shown at once, from memory.
  const w = await d.open('POST', `/containers/${late}/wait?condition=next-exit`)
  await writeFile(join(sig, 'late'), '')
  t.same(await within(w.body.then(r => r.body)), { StatusCode: 7, Error: null }, 'wait answers')
  t.match((await d.req('GET', `/containers/${late}/json`)).body.State, { Status: 'exited', Running: false, ExitCode: 7 }, 'inspect says exited')
  t.same(await within(d.req('POST', `/containers/${late}/wait`).then(r => r.body)), { StatusCode: 7, Error: null }, 'a later wait answers at once')
  t.match(await onDisk(late), { status: 'running' }, 'the disk is full: the record still says running')

  // Removal writes nothing: an exited container goes, and so does one whose exit is not on record yet.
  t.equal((await d.req('DELETE', `/containers/${done}`)).status, 204, 'delete of an exited container')
  t.notOk(existsSync(join(records, done)), 'its dir is gone')
  // Its dot-dir goes in the background: waited for, so that the disk is filled again only after it freed its space.
  await hiddenGone()
  await fill()
  await writeFile(join(sig, 'gone'), '')
  t.same(await within(d.req('POST', `/containers/${gone}/wait`).then(r => r.body)), { StatusCode: 9, Error: null })
  t.equal((await d.req('DELETE', `/containers/${gone}`)).status, 204, 'delete of a container whose exit is not on record')
  await hiddenGone()
  t.same((await readdir(records)).sort(), [late], 'only the uncommitted one is left, no dot-dirs')
  await fill()

  // berthd dies before the exit could be written: conmon's exit file tells the next one.
  await d.stop('SIGKILL')
  d = await d.restart()
  t.match((await d.req('GET', `/containers/${late}/json`)).body.State, { Status: 'exited', ExitCode: 7 }, 'after a restart, still exited 7')
  t.match(await onDisk(late), { status: 'running' }, 'and still not on record')

  for (let i = 0; i < fillers; i++) await rm(join(mnt, `filler${i}`))
  await until(async () => (await onDisk(late)).status === 'exited', 10_000, 'the exit to be committed')
  t.match(await onDisk(late), { status: 'exited', exitCode: 7 }, 'committed once there is room')
  t.same(await checkInvariants(d), [], 'the run was cleaned up after the commit')
  await d.stop()
  d = await d.restart()
  t.match((await d.req('GET', `/containers/${late}/json`)).body.State, { Status: 'exited', ExitCode: 7 }, 'and after another restart')
})
