/**
 * Healthchecks against a real berthd: probes run as execs in the container,
 * State.Health in inspect, the ps STATUS, the health filter and events; a
 * hanging probe killed at its timeout, megabytes of output capped, the
 * image's HEALTHCHECK and its merge, bad input, a berthd SIGKILL and
 * restart, the opt-in restart of an unhealthy container, and the docker CLI.
 */
import t from 'tap'
import { execa, execaSync } from 'execa'
import { existsSync } from 'node:fs'
import { containerEvents, DOCKER, dockerEnv, dockerTest, importBusybox, ROOTFS, sleep, startDaemon, until, type Daemon } from './helpers.js'

const MS = 1e6
const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0
const nowS = (): string => (Date.now() / 1000).toFixed(3)
const inspect = async (d: Daemon, id: string): Promise<any> => (await d.req('GET', `/containers/${id}/json`)).body
const health = async (d: Daemon, id: string): Promise<any> => (await inspect(d, id)).State.Health

/** Creates and starts a container of image `bb` running `sleep 1000` with `healthcheck` (and `extra` in the body). */
async function runHealthy (d: Daemon, healthcheck: unknown, extra: Record<string, unknown> = {}, image = 'bb'): Promise<string> {
  const r = await d.req('POST', '/containers/create', { Image: image, Cmd: ['sleep', '1000'], Healthcheck: healthcheck, ...extra })
  if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`)
  const s = await d.req('POST', `/containers/${r.body.Id as string}/start`)
  if (s.status !== 204) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`)
  return r.body.Id
}

/** Teardown: removes the container (a failure shows as an error, not an assertion after the test's end). */
const remove = async (d: Daemon, id: string): Promise<void> => {
  const r = await d.req('DELETE', `/containers/${id}?force=1`)
  if (r.status !== 204) throw new Error(`remove ${id}: ${r.status} ${JSON.stringify(r.body)}`)
}

const listed = async (d: Daemon, filters: Record<string, string[]>): Promise<string[]> =>
  (await d.req('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`)).body.map((c: { Id: string }) => c.Id)

t.test('healthchecks through the API', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)

  t.test('a passing probe: starting, then healthy; ps STATUS, filter, events, Config.Healthcheck', async t => {
    const since = nowS()
    const id = await runHealthy(d, { Test: ['CMD-SHELL', 'echo ok; true'], Interval: 300 * MS })
    t.teardown(() => remove(d, id))
    const first = await inspect(d, id)
    t.match(first.State.Health, { Status: 'starting', FailingStreak: 0, Log: [] }, 'starting before the first probe')
    t.same(first.Config.Healthcheck, { Test: ['CMD-SHELL', 'echo ok; true'], Interval: 300 * MS })
    await until(async () => (await health(d, id)).Status === 'healthy', 15_000, 'healthy')
    const h = await health(d, id)
    t.match(h.Log[0], { ExitCode: 0, Output: 'ok\n' }, 'the probe\'s output in the log')
    t.ok(Date.parse(h.Log[0].End) >= Date.parse(h.Log[0].Start), 'Start and End')
    const row = (await d.req('GET', '/containers/json')).body.find((c: { Id: string }) => c.Id === id)
    t.match(row.Status, /^Up .* \(healthy\)$/, 'ps STATUS')
    t.ok((await listed(d, { health: ['healthy'] })).includes(id), 'health=healthy lists it')
    t.notOk((await listed(d, { health: ['unhealthy', 'none'] })).includes(id), 'health=unhealthy,none does not')
    await until(async () => (await health(d, id)).Log.length === 5, 15_000, 'five probes')
    await sleep(700)
    t.equal((await health(d, id)).Log.length, 5, 'only the last 5 kept')
    const actions = (await containerEvents(d, id, since)).map(e => e.Action)
    t.ok(actions.includes('health_status: healthy'), 'health_status: healthy event')
    t.equal(actions.filter(a => a.startsWith('health_status')).length, 1, 'one event: only changes are reported')
    t.ok(actions.some(a => a.startsWith('exec_start: /bin/sh -c echo ok; true')), 'probes are execs, with Docker\'s exec events')
    t.ok(((await inspect(d, id)).ExecIDs ?? []).length <= 1, 'ended probes are forgotten (only one in flight is listed)')
  })

  t.test('a failing probe turns unhealthy after Retries; stop stops the probes, start starts over', async t => {
    const since = nowS()
    const id = await runHealthy(d, { Test: ['CMD', 'sh', '-c', 'echo bad >&2; exit 3'], Interval: 200 * MS, Retries: 2 })
    t.teardown(() => remove(d, id))
    await until(async () => (await health(d, id)).Status === 'unhealthy', 15_000, 'unhealthy')
    const h = await health(d, id)
    t.ok(h.FailingStreak >= 2, 'failing streak')
    t.match(h.Log.at(-1), { ExitCode: 3, Output: 'bad\n' }, 'stderr is the output too')
    t.match((await d.req('GET', '/containers/json')).body.find((c: { Id: string }) => c.Id === id).Status, /\(unhealthy\)$/)
    t.ok((await listed(d, { health: ['unhealthy'] })).includes(id))
    t.ok((await containerEvents(d, id, since)).some(e => e.Action === 'health_status: unhealthy'))
    t.equal((await d.req('POST', `/containers/${id}/stop?t=0`)).status, 204)
    const stopped = await health(d, id)
    await sleep(600)
    t.same((await health(d, id)).Log, stopped.Log, 'no probes once stopped')
    t.equal(stopped.Status, 'unhealthy', 'stopped: unhealthy, as in Docker')
    t.match((await d.req('GET', '/containers/json?all=1')).body.find((c: { Id: string }) => c.Id === id).Status, /^Exited \(\d+\)/, 'no health shown for a stopped container')
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    t.match(await health(d, id), { Status: 'starting', FailingStreak: 0 }, 'start: starting again')
  })

  t.test('failures inside StartPeriod do not count', async t => {
    const id = await runHealthy(d, { Test: ['CMD', 'false'], Interval: 200 * MS, Retries: 1, StartPeriod: 60_000 * MS, StartInterval: 100 * MS })
    t.teardown(() => remove(d, id))
    await until(async () => (await health(d, id)).Log.length >= 3, 15_000, 'three probes')
    t.match(await health(d, id), { Status: 'starting', FailingStreak: 0 })
  })

  t.test('a hanging probe is killed at its timeout and counts as a failure', async t => {
    const id = await runHealthy(d, { Test: ['CMD', 'sleep', '77'], Interval: 200 * MS, Timeout: 500 * MS, Retries: 1 })
    t.teardown(() => remove(d, id))
    await until(async () => (await health(d, id)).Status === 'unhealthy', 15_000, 'unhealthy')
    const entry = (await health(d, id)).Log[0]
    t.match(entry, { ExitCode: -1, Output: 'Health check exceeded timeout (500ms)' }, 'Docker\'s timeout result')
    t.ok(Date.parse(entry.End) - Date.parse(entry.Start) < 5000, 'it ended near the timeout')
    // Killed probes do not pile up: at most the current one is running.
    for (let i = 0; i < 3; i++) {
      const top = await d.req('GET', `/containers/${id}/top`)
      t.ok(top.body.Processes.filter((p: string[]) => p.at(-1) === 'sleep 77').length <= 1, 'at most one probe process')
      await sleep(700)
    }
  })

  t.test('megabytes of probe output are capped at 4096 bytes', async t => {
    const id = await runHealthy(d, { Test: ['CMD-SHELL', 'head -c 3000000 /dev/zero | tr "\\0" x'], Interval: 300 * MS })
    t.teardown(() => remove(d, id))
    await until(async () => (await health(d, id)).Status === 'healthy', 20_000, 'healthy')
    t.equal((await health(d, id)).Log[0].Output, `${'x'.repeat(4096)}...`)
  })

  t.test('bad input: Docker\'s 400s, nothing created', async t => {
    const before = (await d.req('GET', '/containers/json?all=1')).body.length
    for (const [hc, msg] of [
      [{ Test: ['CMD', 'true'], Interval: 1000 }, 'Interval in Healthcheck cannot be less than 1ms'],
      [{ Test: ['CMD', 'true'], Timeout: 5 }, 'Timeout in Healthcheck cannot be less than 1ms'],
      [{ Test: ['CMD', 'true'], Retries: -2 }, 'Retries in Healthcheck cannot be negative']
    ] as const) {
      const r = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], Healthcheck: hc })
      t.same([r.status, r.body], [400, { message: msg }], msg)
    }
    const f = await d.req('GET', '/containers/json?filters=' + encodeURIComponent('{"health":["sick"]}'))
    t.same([f.status, f.body], [400, { message: 'Unrecognised filter value for health: sick' }])
    t.equal((await d.req('GET', '/containers/json?all=1')).body.length, before, 'no container left behind')
  })

  t.test('the image\'s HEALTHCHECK (import --change), merged with the body\'s; NONE', async t => {
    const tar = await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })
    const change = encodeURIComponent('HEALTHCHECK --interval=300ms --retries=1 CMD echo from-image')
    const r = await d.client.request({ method: 'POST', path: `/images/create?fromSrc=-&repo=bbh&changes=${change}`, body: Buffer.from(tar.stdout) })
    t.equal(r.statusCode, 200, await r.body.text())
    t.teardown(async () => { await d.req('DELETE', '/images/bbh?force=1') })
    t.same((await d.req('GET', '/images/bbh/json')).body.Config.Healthcheck, { Interval: 300 * MS, Retries: 1, Test: ['CMD-SHELL', 'echo from-image'] })
    const fromImage = await runHealthy(d, null, {}, 'bbh')
    t.teardown(() => remove(d, fromImage))
    await until(async () => (await health(d, fromImage))?.Status === 'healthy', 15_000, 'healthy from the image\'s check')
    t.equal((await health(d, fromImage)).Log[0].Output, 'from-image\n')
    const merged = await runHealthy(d, { Test: ['CMD', 'false'] }, {}, 'bbh')
    t.teardown(() => remove(d, merged))
    t.same((await inspect(d, merged)).Config.Healthcheck, { Test: ['CMD', 'false'], Interval: 300 * MS, Retries: 1 }, 'the body\'s test, the image\'s timings')
    await until(async () => (await health(d, merged)).Status === 'unhealthy', 15_000, 'unhealthy')
    const none = await runHealthy(d, { Test: ['NONE'] }, {}, 'bbh')
    t.teardown(() => remove(d, none))
    await sleep(700)
    t.equal((await inspect(d, none)).State.Health, undefined, 'NONE: no State.Health')
    t.match((await d.req('GET', '/containers/json')).body.find((c: { Id: string }) => c.Id === none).Status, /^Up [^(]*$/, 'no health in STATUS')
    t.ok((await listed(d, { health: ['none'] })).includes(none), 'health=none')
  })

  t.test('opt-in: berth.restart-on-unhealthy=true restarts a container that turns unhealthy', async t => {
    const since = nowS()
    const id = await runHealthy(d, { Test: ['CMD', 'false'], Interval: 200 * MS, Retries: 1 }, { Labels: { 'berth.restart-on-unhealthy': 'true' }, StopTimeout: 1 })
    t.teardown(() => remove(d, id))
    const started = (await inspect(d, id)).State.StartedAt
    await until(async () => (await containerEvents(d, id, since)).some(e => e.Action === 'restart'), 20_000, 'a restart')
    const s = await inspect(d, id)
    t.equal(s.State.Running, true, 'running again')
    t.not(s.State.StartedAt, started, 'a new run')
    const actions = (await containerEvents(d, id, since)).map(e => e.Action)
    t.ok(actions.indexOf('health_status: unhealthy') < actions.indexOf('restart'), 'unhealthy, then restarted')
    const plain = await runHealthy(d, { Test: ['CMD', 'false'], Interval: 200 * MS, Retries: 1 })
    t.teardown(() => remove(d, plain))
    await until(async () => (await health(d, plain)).Status === 'unhealthy', 15_000, 'unhealthy')
    await sleep(1500)
    t.notOk((await containerEvents(d, plain, since)).some(e => e.Action === 'restart'), 'without the label: only reported, as in Docker')
  })
})

t.test('health state survives a berthd SIGKILL; probes continue', async t => {
  let d = await startDaemon(t)
  await importBusybox(d)
  const id = await runHealthy(d, { Test: ['CMD', 'true'], Interval: 300 * MS })
  await until(async () => (await health(d, id)).Status === 'healthy', 15_000, 'healthy')
  await d.stop('SIGKILL')
  d = await d.restart()
  t.teardown(() => remove(d, id))
  const back = Date.now()
  const h = await health(d, id)
  if (h.Status !== 'healthy') t.comment(d.stderr().split('\n').filter(l => /health/i.test(l)).join('\n'))
  t.equal(h.Status, 'healthy', 'still healthy right after the restart')
  t.ok(h.Log.length >= 1, 'the saved log')
  await until(async () => (await health(d, id)).Log.some((e: { Start: string }) => Date.parse(e.Start) > back), 15_000, 'a probe after the restart')
  t.equal((await health(d, id)).Status, 'healthy')
})

dockerTest(t, 'the docker client: --health-* flags, ps STATUS, inspect --format, --no-healthcheck', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const docker = async (...args: string[]): Promise<string> => (await execa(DOCKER, args, { env: dockerEnv(d) })).stdout.trim()
  const id = await docker('run', '-d', '--health-cmd', 'true', '--health-interval', '1s', '--health-retries', '2', '--health-timeout', '2s', '--health-start-period', '5s', 'bb', 'sleep', '1000')
  t.teardown(async () => { await d.req('DELETE', `/containers/${id}?force=1`) })
  t.equal(await docker('inspect', '--format', '{{.State.Health.Status}}', id), 'starting')
  t.same((await inspect(d, id)).Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1000 * MS, Timeout: 2000 * MS, StartPeriod: 5000 * MS, Retries: 2 })
  t.match(await docker('ps', '--format', '{{.Status}}', '--filter', `id=${id}`), /\(health: starting\)$/)
  await until(async () => await docker('inspect', '--format', '{{.State.Health.Status}}', id) === 'healthy', 20_000, 'healthy')
  t.match(await docker('ps', '--format', '{{.Status}}', '--filter', `id=${id}`), /^Up .* \(healthy\)$/)
  t.equal(await docker('ps', '-q', '--no-trunc', '--filter', 'health=healthy'), id)
  const none = await docker('run', '-d', '--no-healthcheck', 'bb', 'sleep', '1000')
  t.teardown(async () => { await d.req('DELETE', `/containers/${none}?force=1`) })
  t.same((await inspect(d, none)).Config.Healthcheck, { Test: ['NONE'] })
  t.equal(await docker('inspect', '--format', '{{.State.Health}}', none), '<nil>')
  const bad = await execa(DOCKER, ['create', '--health-cmd', 'true', '--health-interval', '1us', 'bb'], { env: dockerEnv(d), reject: false })
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, /Interval in Healthcheck cannot be less than 1ms/)

  // moby's commit makes the container's Config, its healthcheck included, the image's.
  await docker('commit', id, 'hc:1')
  t.teardown(async () => { await d.req('DELETE', '/images/hc:1?force=1') })
  t.same((await d.req('GET', '/images/hc:1/json')).body.Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 1000 * MS, Timeout: 2000 * MS, StartPeriod: 5000 * MS, Retries: 2 }, 'commit keeps the healthcheck')
  const fromCommit = await docker('run', '-d', 'hc:1', 'sleep', '1000')
  t.teardown(async () => { await d.req('DELETE', `/containers/${fromCommit}?force=1`) })
  t.equal(await docker('inspect', '--format', '{{.State.Health.Status}}', fromCommit), 'starting', 'a container of the committed image is checked')
  await docker('commit', none, 'hc:none')
  t.teardown(async () => { await d.req('DELETE', '/images/hc:none?force=1') })
  t.same((await d.req('GET', '/images/hc:none/json')).body.Config.Healthcheck, { Test: ['NONE'] }, '--no-healthcheck is committed as NONE')
})

// docker-py: containers.run(healthcheck=...) sends durations in ns; attrs['State']['Health'] is what a program reads.
const PY_HEALTH = `
import docker, json, sys, time
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
out = {}
ct = c.containers.run('bb', ['sleep', '1000'], detach=True, healthcheck={'test': ['CMD-SHELL', 'echo py-probe'], 'interval': 200000000, 'retries': 2})
try:
    out['config'] = c.api.inspect_container(ct.id)['Config']['Healthcheck']
    for _ in range(100):
        ct.reload()
        if ct.attrs['State']['Health']['Status'] == 'healthy':
            break
        time.sleep(0.1)
    h = ct.attrs['State']['Health']
    out['health'] = [h['Status'], h['FailingStreak'], h['Log'][-1]['ExitCode'], h['Log'][-1]['Output']]
    out['listed'] = [x.id for x in c.containers.list(filters={'health': 'healthy'})]
finally:
    ct.remove(force=True)
out['id'] = ct.id
print(json.dumps(out))
`

t.test('docker-py: containers.run(healthcheck=...), attrs[\'State\'][\'Health\'], the health filter', { skip: hasDockerPy ? false : 'python3-docker is not installed' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const r = await execa(PYTHON, ['-c', PY_HEALTH, d.socket], { reject: false, timeout: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.same(out.config, { Test: ['CMD-SHELL', 'echo py-probe'], Interval: 200 * MS, Retries: 2 }, 'the healthcheck as docker-py sent it')
  t.same(out.health, ['healthy', 0, 0, 'py-probe\n'], 'State.Health as a program reads it')
  t.same(out.listed, [out.id], 'listed by health=healthy')
  t.same((await d.req('GET', '/containers/json?all=1')).body, [], 'removed')
})
