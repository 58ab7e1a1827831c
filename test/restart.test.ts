/**
 * Docker's restart policies against a real berthd: restarts after an exit
 * with back-off, RestartCount, stop, kill and remove during the back-off,
 * the policies at berthd start-up after a SIGKILL, the checks on create and
 * update, and the docker client's --restart.
 */
import t from 'tap'
import { execa } from 'execa'
import { containerEvents, createContainer, DOCKER, dockerEnv, dockerTest, ROOTFS, run, sleep, startDaemon, until, type Daemon } from './helpers.js'

/** Longer than the back-off before a third restart (400 ms) with room for a slow start: a restart that should not happen would show. */
const QUIET_MS = 2500

const state = async (d: Daemon, id: string): Promise<{ State: Record<string, any>, RestartCount: number, HostConfig: Record<string, any> }> =>
  (await d.req('GET', `/containers/${id}/json`)).body

/** The container's event actions from `since` (unix seconds) until now, in order. */
const actions = async (d: Daemon, id: string, since: string): Promise<string[]> => (await containerEvents(d, id, since)).map(e => e.Action)

const nowS = (): string => (Date.now() / 1000).toFixed(3)
const isGone = (pid: number): boolean => { try { process.kill(pid, 0); return false } catch { return true } }

t.test('restart policies while berthd runs', async t => {
  const d = await startDaemon(t)

  t.test('on-failure:2 restarts a failing container exactly twice, then leaves it exited', async t => {
    const since = nowS()
    const { id, code } = await run(d, ['sh', '-c', 'exit 3'], { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } })
    t.equal(code, 3, 'a waiter for the next exit hears the first one')
    await until(async () => { const s = await state(d, id); return s.State.Status === 'exited' && s.RestartCount === 2 }, 30_000, 'two restarts, then exited')
    await sleep(QUIET_MS)
    const s = await state(d, id)
    t.match(s, { State: { Status: 'exited', ExitCode: 3, Restarting: false, Running: false }, RestartCount: 2 }, 'no third restart')
    t.same(s.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 })
    t.same(await actions(d, id, since), ['create', 'start', 'die', 'start', 'die', 'start', 'die'], 'Docker\'s die then start for each policy restart')
    t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
  })

  t.test('on-failure does not restart a clean exit; a start through the API resets RestartCount', async t => {
    const { id, code } = await run(d, ['sh', '-c', 'exit 0'], { RestartPolicy: { Name: 'on-failure' } })
    t.equal(code, 0)
    await sleep(QUIET_MS)
    t.match(await state(d, id), { State: { Status: 'exited' }, RestartCount: 0 })
    const failing = await createContainer(d, ['sh', '-c', 'exit 1'], { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } })
    t.equal((await d.req('POST', `/containers/${failing}/start`)).status, 204)
    await until(async () => { const s = await state(d, failing); return s.State.Status === 'exited' && s.RestartCount === 1 }, 30_000, 'one restart')
    const since = nowS()
    t.equal((await d.req('POST', `/containers/${failing}/start`)).status, 204, 'a start through the API')
    await until(async () => (await actions(d, failing, since)).filter(a => a === 'die').length === 2, 30_000, 'its one retry again')
    await sleep(QUIET_MS)
    t.same(await actions(d, failing, since), ['start', 'die', 'start', 'die'], 'counted from zero again, so the one retry was allowed again')
    t.match(await state(d, failing), { State: { Status: 'exited', ExitCode: 1 }, RestartCount: 1 })
    for (const c of [id, failing]) t.equal((await d.req('DELETE', `/containers/${c}`)).status, 204)
  })

  t.test('always restarts a clean exit; stop during the back-off cancels the restart for good', async t => {
    const since = nowS()
    const id = await createContainer(d, ['sh', '-c', 'exit 0'], { RestartPolicy: { Name: 'always' } })
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    // Five restarts in, the back-off (1.6 s and more) is much longer than a run.
    await until(async () => { const s = await state(d, id); return s.State.Restarting === true && s.RestartCount >= 5 }, 30_000, 'restarting')
    const during = await state(d, id)
    t.match(during.State, { Status: 'restarting', Running: true, Restarting: true, Pid: 0, ExitCode: 0 })
    const listed = (await d.req('GET', '/containers/json')).body as Array<{ Id: string, State: string, Status: string }>
    t.match(listed.find(c => c.Id === id), { State: 'restarting', Status: /^Restarting \(0\) / }, 'docker ps lists it')
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 304, 'start of a restarting container: nothing to do')
    t.equal((await d.req('DELETE', `/containers/${id}`)).status, 409, 'remove without force refused')
    const stop = await d.req('POST', `/containers/${id}/stop`)
    t.equal(stop.status, 204)
    const count = (await state(d, id)).RestartCount
    await sleep(QUIET_MS * 2)
    const after = await state(d, id)
    t.match(after, { State: { Status: 'exited', Restarting: false, Running: false, ExitCode: 0 }, RestartCount: count }, 'no restart after the stop')
    const acts = await actions(d, id, since)
    t.equal(acts.at(-1), 'stop', 'Docker\'s stop event, and nothing after it')
    // Docker counts a restart when it decides on it, before the back-off: the cancelled one stays counted.
    t.equal(acts.filter(a => a === 'start').length, count, 'the first start and one per restart but the cancelled one')
    t.equal((await d.req('POST', `/containers/${id}/stop`)).status, 304, 'stopped already')
    t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
  })

  t.test('docker stop and kill stop an always container for good; a later start clears that', async t => {
    const id = await createContainer(d, ['sleep', '1000'], { RestartPolicy: { Name: 'always' } })
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    t.equal((await d.req('POST', `/containers/${id}/stop?t=1`)).status, 204)
    await sleep(QUIET_MS)
    t.match(await state(d, id), { State: { Status: 'exited' }, RestartCount: 0 }, 'not restarted after stop')

    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    t.equal((await d.req('POST', `/containers/${id}/kill`)).status, 204)
    await until(async () => (await state(d, id)).State.Status === 'exited', 10_000, 'killed')
    await sleep(QUIET_MS)
    t.match(await state(d, id), { State: { Status: 'exited', ExitCode: 137 }, RestartCount: 0 }, 'not restarted after kill')

    // After a start through the API, an exit the API did not ask for restarts it again.
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const pid = (await state(d, id)).State.Pid as number
    process.kill(pid, 'SIGKILL')
    await until(async () => { const s = await state(d, id); return s.RestartCount === 1 && s.State.Status === 'running' && s.State.Pid !== pid }, 30_000, 'restarted after a kill from outside')
    t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204, 'force-remove of a running always container')
    t.equal((await d.req('GET', `/containers/${id}/json`)).status, 404)
  })

  t.test('kill and rm -f during the back-off', async t => {
    const since = nowS()
    const a = await createContainer(d, ['sh', '-c', 'exit 1'], { RestartPolicy: { Name: 'unless-stopped' } })
    const b = await createContainer(d, ['sh', '-c', 'exit 1'], { RestartPolicy: { Name: 'on-failure' } })
    for (const id of [a, b]) t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    for (const id of [a, b]) {
      await until(async () => { const s = await state(d, id); return s.State.Restarting === true && s.RestartCount >= 5 }, 30_000, 'restarting')
    }
    const w = await d.open('POST', `/containers/${a}/wait`)
    t.equal((await d.req('POST', `/containers/${a}/kill`)).status, 204, 'kill of a restarting container')
    t.same((await w.body).body, { StatusCode: 1, Error: null }, 'a not-running waiter hears of it, with the last exit code')
    t.equal((await d.req('DELETE', `/containers/${b}?force=1`)).status, 204, 'rm -f of a restarting container')
    const count = (await state(d, a)).RestartCount
    await sleep(QUIET_MS * 2)
    t.match(await state(d, a), { State: { Status: 'exited', ExitCode: 1 }, RestartCount: count }, 'the killed one stays exited')
    const bActs = await actions(d, b, since)
    t.equal(bActs.at(-1), 'destroy', 'nothing after the removal')
    t.notOk(/policy restart failed/.test(d.stderr()), 'no restart was tried after the removal')
    t.equal((await d.req('DELETE', `/containers/${a}`)).status, 204)
  })

  t.test('update sets the policy, which applies from the next exit', async t => {
    const id = await createContainer(d, ['sh', '-c', 'exit 2'])
    t.same((await state(d, id)).HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 })
    const u = await d.req('POST', `/containers/${id}/update`, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } })
    t.equal(u.status, 200)
    t.same((await state(d, id)).HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 1 })
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    await until(async () => { const s = await state(d, id); return s.State.Status === 'exited' && s.RestartCount === 1 }, 30_000, 'one restart')
    const bad = await d.req('POST', `/containers/${id}/update`, { RestartPolicy: { Name: 'sometimes' } })
    t.equal(bad.status, 400)
    t.match(bad.body.message, /unknown policy 'sometimes'/)
    t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
  })

  t.test('bad policies and AutoRemove with a policy are refused with 400', async t => {
    const cases: Array<[unknown, RegExp]> = [
      [{ Name: 'sometimes' }, /^invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'$/],
      [{ Name: 'always', MaximumRetryCount: 3 }, /maximum retry count can only be used with 'on-failure'/],
      [{ Name: 'on-failure', MaximumRetryCount: -1 }, /maximum retry count cannot be negative/]
    ]
    for (const [policy, message] of cases) {
      const native = await d.req('POST', '/containers', { Bundle: '/nonexistent', RestartPolicy: policy })
      t.equal(native.status, 400, `native create: ${JSON.stringify(policy)}`)
      t.match(native.body.message, message)
      const docker = await d.req('POST', '/containers/create', { Image: 'any', Cmd: ['true'], HostConfig: { RestartPolicy: policy } })
      t.equal(docker.status, 400, `Docker create: ${JSON.stringify(policy)}`)
      t.match(docker.body.message, message)
    }
    const auto = await d.req('POST', '/containers/create', { Image: 'any', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'unless-stopped' } } })
    t.equal(auto.status, 400)
    t.equal(auto.body.message, 'can\'t create \'AutoRemove\' container with restart policy', 'Docker\'s wording')
    t.same((await d.req('GET', '/containers/json?all=1')).body, [], 'nothing was made')
  })
})

t.test('after berthd is SIGKILLed, the policies decide what starts again', async t => {
  const d = await startDaemon(t)
  const make = async (name: string, policy: string, count = 0): Promise<string> => {
    const id = await createContainer(d, ['sleep', '1000'], { Name: name, RestartPolicy: { Name: policy, MaximumRetryCount: count } })
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    return id
  }
  const always = await make('always', 'always')
  const unless = await make('unless', 'unless-stopped')
  const failing = await make('failing', 'on-failure', 3)
  const none = await make('none', 'no')
  const unlessStopped = await make('unless-stopped-by-hand', 'unless-stopped')
  const alwaysStopped = await make('always-stopped-by-hand', 'always')
  const untouched = await make('untouched', 'always')
  for (const id of [unlessStopped, alwaysStopped]) t.equal((await d.req('POST', `/containers/${id}/stop?t=1`)).status, 204)
  // One whose restart is waiting out its back-off when berthd dies: the record says restarting.
  const pending = await createContainer(d, ['sh', '-c', 'exit 0'], { Name: 'pending', RestartPolicy: { Name: 'always' } })
  t.equal((await d.req('POST', `/containers/${pending}/start`)).status, 204)
  await until(async () => { const s = await state(d, pending); return s.State.Restarting === true && s.RestartCount >= 5 }, 30_000, 'a restart pending')
  const pids = new Map<string, number>()
  for (const id of [always, unless, failing, none, untouched]) pids.set(id, (await state(d, id)).State.Pid as number)

  await d.stop('SIGKILL')
  // Their containers die while berthd is down; `untouched` keeps running.
  for (const id of [always, unless, failing, none]) process.kill(pids.get(id)!, 'SIGKILL')
  await until(() => [always, unless, failing, none].every(id => isGone(pids.get(id)!)), 10_000, 'the containers to die')
  const restartedAt = nowS()
  const d2 = await d.restart()

  const runningAgain = async (id: string): Promise<boolean> => {
    const s = await state(d2, id)
    return s.State.Status === 'running' && s.State.Pid !== pids.get(id)
  }
  await until(async () => (await Promise.all([always, unless, failing, alwaysStopped].map(runningAgain))).every(Boolean), 30_000, 'the restarts at start-up')
  t.pass('always, unless-stopped and on-failure (died with 137) run again')
  t.pass('always runs again even though it had been stopped through the API, as Docker starts it at daemon start')
  t.match(await state(d2, none), { State: { Status: 'exited', ExitCode: 137 } }, 'no: recorded exit, not started')
  t.match(await state(d2, unlessStopped), { State: { Status: 'exited' } }, 'unless-stopped, stopped through the API: not started')
  t.match(await state(d2, untouched), { State: { Status: 'running', Pid: pids.get(untouched) } }, 'a container that kept running is adopted, not restarted')
  t.equal((await state(d2, failing)).RestartCount, 0, 'a start at berthd start-up is an ordinary start (Docker resets the count)')
  await until(async () => (await actions(d2, pending, restartedAt)).includes('start'), 30_000, 'the pending restart')
  t.pass('a restart pending when berthd died goes ahead when it starts')
})

dockerTest(t, 'docker run --restart through the docker client', async t => {
  const d = await startDaemon(t)
  const env = dockerEnv(d)
  const docker = (args: string[], input?: string) => execa(DOCKER, args, { env, input: input ?? '', reject: false, timeout: 60_000, killSignal: 'SIGKILL' })
  const tar = await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })
  const imported = await execa(DOCKER, ['import', '-', 'bb'], { env, input: tar.stdout, reject: false, timeout: 60_000 })
  t.equal(imported.exitCode, 0, imported.stderr)

  const r = await docker(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:1', 'bb', 'sh', '-c', 'exit 5'])
  t.equal(r.exitCode, 0, r.stderr)
  await until(async () => { const s = await state(d, 'flaky'); return s.State.Status === 'exited' && s.RestartCount === 1 }, 30_000, 'one restart')
  const shown = await docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}} {{.State.ExitCode}}', 'flaky'])
  t.equal(shown.stdout, 'on-failure:1 1 5')

  const up = await docker(['update', '--restart', 'always', 'flaky'])
  t.equal(up.exitCode, 0, up.stderr)
  t.equal((await docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'flaky'])).stdout, 'always')

  const rm = await docker(['run', '-d', '--rm', '--name', 'auto', 'bb', 'sleep', '100'])
  t.equal(rm.exitCode, 0, rm.stderr)
  const refused = await docker(['update', '--restart', 'always', 'auto'])
  t.not(refused.exitCode, 0)
  t.match(refused.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/)

  const bad = await docker(['run', '-d', '--restart', 'sometimes', 'bb', 'true'])
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, /sometimes/)
  t.equal((await docker(['rm', '-f', 'flaky', 'auto'])).exitCode, 0)
})
