/** The daemon itself: start-up checks, the socket, system routes, shutdown and re-load. */
import t from 'tap'
import { execa } from 'execa'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { berthdCommand, createContainer, makeBundle, run, startDaemon, until } from './helpers.js'

/** Runs berthd expecting it to refuse to start; returns its exit code and stderr. */
async function refusedStart (args: string[]): Promise<{ code: number | undefined, stderr: string }> {
  const r = await execa(...berthdCommand(args), { reject: false, timeout: 20_000, stdin: 'ignore' })
  return { code: r.exitCode, stderr: r.stderr }
}

t.test('start-up refuses a missing runtime or conmon, saying how to install it', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const base = ['--socket', join(dir, 's.sock'), '--root', join(dir, 'root'), '--state', join(dir, 'st')]
  const noRuntime = await refusedStart([...base, '--runtime', 'nosuchruntime'])
  t.not(noRuntime.code, 0)
  t.match(noRuntime.stderr, /OCI runtime "nosuchruntime" not found/)
  const noConmon = await refusedStart([...base, '--conmon', '/nonexistent/conmon'])
  t.not(noConmon.code, 0)
  t.match(noConmon.stderr, /conmon .*not found.*apt-get install -y conmon/)
  const badLevel = await refusedStart([...base, '--log-level', 'loud'])
  t.not(badLevel.code, 0)
  t.match(badLevel.stderr, /invalid configuration/)
  const badFlag = await refusedStart([...base, '--bogus'])
  t.not(badFlag.code, 0)
  t.match(badFlag.stderr, /bogus/)
})

t.test('a stale socket file is replaced; a live daemon is not', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const socket = join(dir, 'live.sock')
  // Something live on the socket: the new daemon refuses.
  const server = createServer(c => c.end())
  await new Promise<void>(resolve => server.listen(socket, resolve))
  const refused = await refusedStart(['--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'st')])
  t.not(refused.code, 0)
  t.match(refused.stderr, /already serving on/)
  await new Promise(resolve => server.close(resolve))

  // A regular file where the socket should be: refused, never deleted.
  const file = join(dir, 'file.sock')
  await writeFile(file, 'precious')
  const notSocket = await refusedStart(['--socket', file, '--root', join(dir, 'root'), '--state', join(dir, 'st')])
  t.match(notSocket.stderr, /is not a socket/)
  t.ok((await stat(file)).isFile())
})

t.test('serving, shutdown and re-load', async t => {
  const d = await startDaemon(t)
  t.equal(((await stat(d.socket)).mode & 0o777), 0o660, 'socket mode 0660')

  const ping = await d.req('GET', '/_ping')
  t.equal(ping.raw.toString(), 'OK')
  t.equal(ping.headers['api-version'], '1.44')
  t.equal(ping.headers.ostype, 'linux')
  const head = await d.req('HEAD', '/v1.41/_ping')
  t.equal(head.status, 200)
  t.equal(head.headers['api-version'], '1.44')
  const version = await d.req('GET', '/version')
  t.match(version.body, { ApiVersion: '1.44', MinAPIVersion: '1.24', Os: 'linux' })
  t.same((version.body.Components as Array<{ Name: string }>).map(c => c.Name).sort(), ['Engine', 'conmon', 'crun', 'runc'])
  t.match((version.body.Components as Array<{ Name: string, Version: string }>).find(c => c.Name === 'runc')!.Version, /^\d+\.\d+/)

  // One container of each kind, then a SIGTERM: containers and monitors keep running. 'runner' exits once
  // the test makes a file in its bind-mounted dir, after berthd is down (not after a guess at a time).
  const go = await mkdtemp(join(tmpdir(), 'berth-go-'))
  t.teardown(() => rm(go, { recursive: true, force: true }))
  const runnerBundle = await makeBundle(d, ['sh', '-c', 'echo before; until [ -e /go/now ]; do sleep 0.05; done; echo after; exit 9'], spec => {
    spec.mounts.push({ destination: '/go', type: 'bind', source: go, options: ['rbind', 'ro'] })
  })
  const running = (await d.req('POST', '/containers', { Bundle: runnerBundle, Name: 'runner' })).body.Id as string
  await d.req('POST', `/containers/${running}/start`)
  const created = await createContainer(d, ['true'], { Name: 'made' })
  const { id: exited } = await run(d, ['sh', '-c', 'exit 4'], { Name: 'done' })
  const long = await createContainer(d, ['sleep', '60'], { Name: 'long' })
  await d.req('POST', `/containers/${long}/start`)
  const info = await d.req('GET', '/info')
  t.match(info.body, { Containers: 4, ContainersRunning: 2, ContainersStopped: 2, DefaultRuntime: 'runc' })

  const ctr = (await d.req('GET', `/containers/${running}/json`)).body.State.Pid as number
  await d.stop('SIGTERM')
  t.equal(d.proc.exitCode, 0, 'berthd exits 0 on SIGTERM')
  await t.rejects(stat(d.socket), 'socket removed on shutdown')
  t.doesNotThrow(() => process.kill(ctr, 0), 'the container outlives berthd')

  // 'runner' exits while berthd is down; its code must survive.
  await writeFile(join(go, 'now'), '')
  await until(() => { try { process.kill(ctr, 0); return false } catch { return true } }, 10_000, 'runner to exit')
  const d2 = await d.restart()
  const state = async (id: string): Promise<any> => (await d2.req('GET', `/containers/${id}/json`)).body.State
  t.match(await state(running), { Status: 'exited', ExitCode: 9 }, 'exit code kept while the daemon was down')
  t.same((await d2.req('POST', `/containers/${running}/wait`)).body, { StatusCode: 9, Error: null }, 'wait answers at once')
  t.match(await state(created), { Status: 'created' })
  t.match(await state(exited), { Status: 'exited', ExitCode: 4 })
  t.match(await state(long), { Status: 'running', Running: true })
  const logs = await d2.req('GET', `/containers/${running}/logs?stdout=1`)
  t.match(logs.raw.toString(), /after/, 'output written while the daemon was down is in the log')

  // The adopted container is still under control.
  const w = await d2.open('POST', `/containers/${long}/wait`)
  t.equal((await d2.req('POST', `/containers/${long}/kill`)).status, 204)
  t.same((await w.body).body, { StatusCode: 137, Error: null })
  t.equal((await d2.req('POST', `/containers/${created}/start`)).status, 204, 'a created container starts after a restart')
  t.same((await d2.req('POST', `/containers/${created}/wait`)).body, { StatusCode: 0, Error: null })
})

t.test('a monitor killed while berthd runs is noticed and its waiters answered', async t => {
  const d = await startDaemon(t)
  const id = await createContainer(d, ['sleep', '60'])
  await d.req('POST', `/containers/${id}/start`)
  const pid = (await d.req('GET', `/containers/${id}/json`)).body.State.Pid as number
  const conmon = Number((await execa('cat', [join(d.state, 'containers', id, 'conmon.pid')])).stdout)
  t.ok(conmon > 0)
  const w = await d.open('POST', `/containers/${id}/wait`)
  process.kill(conmon, 'SIGKILL')
  const res = await w.body
  t.same(res.body, { StatusCode: 137, Error: null })
  const st = (await d.req('GET', `/containers/${id}/json`)).body.State
  t.match(st, { Status: 'exited', ExitCode: 137, Error: /monitor died/ })
  await until(() => { try { process.kill(pid, 0); return false } catch { return true } }, 5000, 'container process to be gone')
})
