/**
 * Log drivers: json-file and local rotation (max-size, max-file) with real
 * containers writing past max-size, `logs` reading every retained line in
 * order across the files, a follower going on across rotations, rotation
 * surviving a berthd that is down while the container writes; the `none`
 * driver; and Docker's checks of the options through the API, the docker
 * CLI and docker-py.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa, execaSync } from 'execa'
import { deframe } from '../src/logs/logs.js'
import { DOCKER, dockerEnv, dockerTest, importBusybox, startDaemon, type Daemon } from './helpers.js'

const d = await startDaemon(t)
await importBusybox(d, 'bb')

const PAD = 'x'.repeat(60)
/** A shell loop printing `line-1 … line-n`, padded, `pause` between lines (busybox usleep, µs). */
const writer = (n: number, pauseUs: number): string[] =>
  ['sh', '-c', `i=1; while [ $i -le ${n} ]; do echo "line-$i ${PAD}"; i=$((i+1)); usleep ${pauseUs}; done`]

async function create (d: Daemon, cmd: string[], log?: { Type: string, Config: Record<string, string> }): Promise<string> {
  const r = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: cmd, HostConfig: log !== undefined ? { LogConfig: log } : {} })
  if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.Id as string
}

async function runToEnd (d: Daemon, id: string): Promise<void> {
  const wait = d.req('POST', `/containers/${id}/wait?condition=next-exit`)
  await d.req('POST', `/containers/${id}/start`)
  t.equal((await wait).body.StatusCode, 0, 'the writer exits 0')
}

/** The numbers of the `line-N` lines in a logs body, in order. */
const numbers = (raw: Buffer): number[] =>
  deframe(raw).map(f => f.data.toString()).join('').split('\n').filter(l => l !== '').map(l => Number(/^line-(\d+) /.exec(l)?.[1] ?? NaN))

/** The log's files on disk: ctr.log and its rotated ctr.log.N. */
const logFiles = async (d: Daemon, id: string): Promise<string[]> =>
  (await readdir(join(d.root, 'containers', id))).filter(f => /^ctr\.log(\.\d+)?$/.test(f)).sort()

/** True when `ns` is `from, from+1, …, to`. */
const run = (ns: number[], from: number, to: number): boolean => ns.length === to - from + 1 && ns.every((n, i) => n === from + i)

t.test('json-file max-size and max-file: rotated, bounded, read back whole and in order', async t => {
  const N = 150
  const id = await create(d, writer(N, 5000), { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '3' } })
  // Followed from the start: the follower reads across every rotation.
  const wait = d.req('POST', `/containers/${id}/wait?condition=next-exit`)
  await d.req('POST', `/containers/${id}/start`)
  const followed = await d.open('GET', `/containers/${id}/logs?stdout=1&follow=1`)
  t.equal((await wait).body.StatusCode, 0)
  t.ok(run(numbers((await followed.body).raw), 1, N), 'the follower saw every line once, in order')
  const files = await logFiles(d, id)
  t.ok(files.length <= 3 && files.length >= 2, `at most max-file files, and rotated (${files.join(' ')})`)
  const ns = numbers((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw)
  t.equal(ns.at(-1), N, 'the last line is there')
  t.ok(ns[0]! > 1, `the oldest lines are gone with the oldest file (first kept: ${ns[0]})`)
  t.ok(run(ns, ns[0]!, N), 'what is kept has no gap and no duplicate')
  const tail = numbers((await d.req('GET', `/containers/${id}/logs?stdout=1&tail=5`)).raw)
  t.same(tail, [N - 4, N - 3, N - 2, N - 1, N], 'tail reads across the files')
  const inspect = (await d.req('GET', `/containers/${id}/json`)).body
  t.same(inspect.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '3' } }, 'inspect shows the LogConfig as given')
  await d.req('DELETE', `/containers/${id}`)
})

t.test('max-file 1 keeps one file; a max-size never reached rotates nothing', async t => {
  const one = await create(d, writer(80, 2000), { Type: 'json-file', Config: { 'max-size': '2k' } })
  await runToEnd(d, one)
  t.same(await logFiles(d, one), ['ctr.log'])
  const ns = numbers((await d.req('GET', `/containers/${one}/logs?stdout=1`)).raw)
  t.ok(ns.length < 80 && run(ns, ns[0]!, 80), `the newest lines, whole (${ns[0]}…80)`)
  const big = await create(d, writer(20, 0), { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } })
  await runToEnd(d, big)
  t.same(await logFiles(d, big), ['ctr.log'])
  t.ok(run(numbers((await d.req('GET', `/containers/${big}/logs?stdout=1`)).raw), 1, 20))
  for (const id of [one, big]) await d.req('DELETE', `/containers/${id}`)
})

t.test('local rotates too, with its options', async t => {
  const id = await create(d, writer(100, 3000), { Type: 'local', Config: { 'max-size': '2k', 'max-file': '2', compress: 'false' } })
  await runToEnd(d, id)
  t.ok((await logFiles(d, id)).length <= 2)
  const ns = numbers((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw)
  t.ok(ns[0]! > 1 && run(ns, ns[0]!, 100), 'rotated; the kept lines whole')
  const inspect = (await d.req('GET', `/containers/${id}/json`)).body
  t.equal(inspect.LogPath, '', 'Docker shows no file for local')
  await d.req('DELETE', `/containers/${id}`)
})

t.test('rotation goes on after berthd was down while the container wrote', async t => {
  const d2 = await startDaemon(t)
  await importBusybox(d2, 'bb')
  // Lines 1-100 while berthd is killed and started again, then, once told (/tmp/go), 101-200.
  const loop = (from: number, to: number): string => `i=${from}; while [ $i -le ${to} ]; do echo "line-$i ${PAD}"; i=$((i+1)); usleep 5000; done`
  const script = `${loop(1, 100)}; while [ ! -e /tmp/go ]; do usleep 20000; done; ${loop(101, 200)}`
  const id = await create(d2, ['sh', '-c', script], { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '4' } })
  await d2.req('POST', `/containers/${id}/start`)
  await new Promise(resolve => setTimeout(resolve, 200))
  await d2.stop('SIGKILL')
  await new Promise(resolve => setTimeout(resolve, 1000))
  const d3 = await d2.restart()
  t.equal((await d3.req('GET', `/containers/${id}/json`)).body.State.Status, 'running', 'still running when berthd is back')
  const exec = await d3.req('POST', `/containers/${id}/exec`, { Cmd: ['touch', '/tmp/go'] })
  await d3.req('POST', `/exec/${exec.body.Id as string}/start`, { Detach: true })
  const wait = await d3.req('POST', `/containers/${id}/wait`)
  t.equal(wait.body.StatusCode, 0, 'the exit code survives')
  t.ok((await logFiles(d3, id)).length <= 4, 'bounded by max-file again')
  const ns = numbers((await d3.req('GET', `/containers/${id}/logs?stdout=1`)).raw)
  t.ok(run(ns, ns[0]!, 200), `no line lost or doubled in what is kept (${ns[0]}…${ns.at(-1)})`)
  t.ok(ns[0]! > 100, 'rotated after berthd came back')
})

t.test('none: no log to read (Docker\'s 501), attach still streams', async t => {
  const id = await create(d, ['sh', '-c', 'echo hi'], { Type: 'none', Config: {} })
  await runToEnd(d, id)
  const r = await d.req('GET', `/containers/${id}/logs?stdout=1`)
  t.equal(r.status, 501)
  t.same(r.body, { message: 'configured logging driver does not support reading' })
  t.equal((await d.req('GET', `/containers/${id}/logs`)).status, 400, 'the streams are checked first, as Docker does')
  const inspect = (await d.req('GET', `/containers/${id}/json`)).body
  t.same(inspect.HostConfig.LogConfig, { Type: 'none', Config: {} })
  t.equal(inspect.LogPath, '')
  await d.req('DELETE', `/containers/${id}`)
})

t.test('bad log options: Docker\'s messages, and nothing is made', async t => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['json-file', { 'max-sise': '1k' }, "unknown log opt 'max-sise' for json-file log driver"],
    ['json-file', { 'max-size': 'abc' }, "failed to initialize logging driver: invalid size: 'abc'"],
    ['json-file', { 'max-size': '0' }, 'failed to initialize logging driver: max-size must be a positive number'],
    ['json-file', { 'max-file': '0' }, 'failed to initialize logging driver: max-file cannot be less than 1'],
    ['json-file', { 'max-file': 'x' }, 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax'],
    ['json-file', { compress: 'true', 'max-size': '1k' }, 'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set'],
    ['local', { 'max-sise': '1k' }, "unknown log opt 'max-sise' for log driver local"],
    ['local', { 'max-file': '1' }, 'failed to initialize logging driver: compression cannot be enabled when max file count is 1'],
    ['json-file', { mode: 'sometimes' }, 'logger: logging mode not supported: sometimes'],
    ['asdf', {}, "logger: no log driver named 'asdf' is registered"]
  ]
  const before = (await d.req('GET', '/containers/json?all=1')).body.length
  for (const [type, config, message] of cases) {
    const r = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { LogConfig: { Type: type, Config: config } } })
    t.equal(r.status, 400, `${type} ${JSON.stringify(config)}`)
    t.same(r.body, { message })
  }
  t.equal((await d.req('GET', '/containers/json?all=1')).body.length, before, 'no container left behind')
})

dockerTest(t, 'docker CLI: --log-opt, --log-driver none', async t => {
  const docker = (...args: string[]) => execa(DOCKER, args, { env: dockerEnv(d), reject: false, timeout: 60_000 })
  const ok = await docker('run', '--name', 'cli-rot', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'bb', ...writer(60, 3000))
  t.equal(ok.exitCode, 0, ok.stderr)
  t.equal(ok.stdout.split('\n').length, 60, 'attached: every line, as the container wrote them')
  const logs = await docker('logs', 'cli-rot')
  const ns = logs.stdout.split('\n').map(l => Number(/^line-(\d+) /.exec(l)?.[1]))
  t.ok(ns[0]! > 1 && run(ns, ns[0]!, 60), `docker logs: the kept lines (${ns[0]}…60)`)
  const bad = await docker('run', '--rm', '--log-opt', 'max-size=1q', 'bb', 'true')
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, "failed to initialize logging driver: invalid size: '1q'")
  const unknown = await docker('create', '--log-opt', 'colour=red', 'bb', 'true')
  t.match(unknown.stderr, "unknown log opt 'colour' for json-file log driver")
  const none = await docker('run', '--name', 'cli-none', '--log-driver', 'none', 'bb', 'echo', 'hi')
  t.equal(none.stdout, 'hi', 'attached output does not need a log')
  const noLogs = await docker('logs', 'cli-none')
  t.not(noLogs.exitCode, 0)
  t.match(noLogs.stderr, 'configured logging driver does not support reading')
  await docker('rm', '-f', 'cli-rot', 'cli-none')
})

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0
const PY = `
import docker, json, sys
from docker.types import LogConfig
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
out = {}
lc = LogConfig(type=LogConfig.types.JSON, config={'max-size': '2k', 'max-file': '2'})
ct = c.containers.run('bb', ${JSON.stringify(writer(60, 3000))}, log_config=lc, detach=True)
ct.wait()
out['logs'] = ct.logs().decode().splitlines()
out['config'] = c.api.inspect_container(ct.id)['HostConfig']['LogConfig']
ct.remove()
try:
    c.containers.create('bb', ['true'], log_config=LogConfig(type='json-file', config={'max-file': '0'}))
except docker.errors.APIError as e:
    out['error'] = [e.status_code, e.explanation]
n = c.containers.run('bb', ['echo', 'hi'], log_config={'type': 'none'}, detach=True)
n.wait()
try:
    n.logs()
except docker.errors.APIError as e:
    out['none'] = [e.status_code, e.explanation]
n.remove()
print(json.dumps(out))
`

t.test('docker-py: log_config', { skip: hasDockerPy ? false : 'python3-docker is not installed' }, async t => {
  const r = await execa(PYTHON, ['-c', PY, d.socket], { reject: false, timeout: 120_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  const ns = (out.logs as string[]).map(l => Number(/^line-(\d+) /.exec(l)?.[1]))
  t.ok(ns[0]! > 1 && run(ns, ns[0]!, 60), `logs(): the kept lines (${ns[0]}…60)`)
  t.same(out.config, { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '2' } })
  t.same(out.error, [400, 'failed to initialize logging driver: max-file cannot be less than 1'])
  t.same(out.none, [501, 'configured logging driver does not support reading'])
})
