/**
 * What Docker's own clients expect of three behaviours (issue 13, items 3–5):
 * inspect's Config.Env as the client sent it, a Volumes path that a bind
 * covers (docker-py's every `volumes=[...]`) with the bind's propagation,
 * and a SIGKILL answered only once the container has stopped. Each is driven
 * through the API and through the real client that tripped over it.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa, execaSync } from 'execa'
import { DOCKER, dockerEnv, dockerTest, hijack, importBusybox, mountTmpfs, rootfsTar, saveArchive, sleep, startDaemon, type Daemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0
const noDockerPy = hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)'

/** Runs a docker-py script against `d`; its last stdout line is JSON. */
async function dockerPy (d: Daemon, script: string, ...args: string[]): Promise<any> {
  const r = await execa(PYTHON, ['-c', `import docker, json, sys\nc = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')\n${script}`, d.socket, ...args], { reject: false, timeout: 120_000 })
  if (r.exitCode !== 0) throw new Error(`docker-py failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null')
}

/** Creates and starts an image container with a terminal (its log is then plain text); returns its id. */
async function runTty (d: Daemon, body: Record<string, unknown>): Promise<string> {
  const c = await d.req('POST', '/containers/create', { Tty: true, ...body })
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`)
  const id = c.body.Id as string
  const s = await d.req('POST', `/containers/${id}/start`)
  if (s.status !== 204) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`)
  return id
}

/** The output lines of an exited TTY container. */
async function outputLines (d: Daemon, id: string): Promise<string[]> {
  await d.req('POST', `/containers/${id}/wait`)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1`)
  return logs.raw.toString().split(/\r?\n/).filter(l => l !== '')
}

t.test('Config.Env: the image env merged with the client\'s, as sent; PATH and HOSTNAME only in the process', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const { archive } = await saveArchive([await rootfsTar()], 'envimg:1', { Cmd: ['env'], Env: ['PATH=/usr/bin:/bin', 'FROM_IMAGE=1', 'Foo=image', 'Over=image'] })
  t.equal((await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })).status, 200)

  t.test('API: Docker\'s merge (the body\'s entries, then the image\'s it does not set); a bare key unsets in the process only', async t => {
    const id = await runTty(d, { Image: 'envimg:1', Env: ['Over=body', 'Foo', 'Blank=', 'NEW=1'] })
    const ins = await d.req('GET', `/containers/${id}/json`)
    t.strictSame(ins.body.Config.Env, ['Over=body', 'Foo', 'Blank=', 'NEW=1', 'PATH=/usr/bin:/bin', 'FROM_IMAGE=1'])
    const env = await outputLines(d, id)
    for (const e of ['PATH=/usr/bin:/bin', `HOSTNAME=${id.slice(0, 12)}`, 'Over=body', 'Blank=', 'NEW=1', 'FROM_IMAGE=1']) t.ok(env.includes(e), `process has ${e}`)
    t.notOk(env.some(e => e.startsWith('Foo')), 'a bare Foo unsets the image\'s Foo in the process')
    t.ok(env.includes('TERM=xterm'), 'and TERM for its terminal')
  })

  t.test('API: an image without PATH: the default reaches the process, not Config.Env', async t => {
    const id = await runTty(d, { Image: 'bb', Cmd: ['env'], Env: ['A=1'] })
    t.strictSame((await d.req('GET', `/containers/${id}/json`)).body.Config.Env, ['A=1'])
    const env = await outputLines(d, id)
    t.ok(env.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), 'Docker\'s default PATH')
    t.ok(env.includes(`HOSTNAME=${id.slice(0, 12)}`))
    t.ok(env.includes('A=1'))
  })

  dockerTest(t, 'docker CLI: -e Foo takes the CLI\'s own value, or stays bare when it has none', async t => {
    const env = { ...dockerEnv(d), Foo: 'from-cli' }
    const r = await execa(DOCKER, ['run', '--name', 'cli-env', '-e', 'Foo', '-e', 'Bar', '-e', 'Blank=', 'envimg:1'], { env, extendEnv: false, reject: false })
    t.equal(r.exitCode, 0, r.stderr)
    const lines = r.stdout.split('\n')
    t.ok(lines.includes('Foo=from-cli'), 'the CLI resolved Foo')
    t.notOk(lines.some(l => l.startsWith('Bar')), 'a bare Bar is in no process env')
    const ins = await execa(DOCKER, ['inspect', '--format', '{{json .Config.Env}}', 'cli-env'], { env, extendEnv: false })
    const got = JSON.parse(ins.stdout) as string[]
    // The CLI does not keep the order of its -e flags; the image's entries come after them.
    t.strictSame(got.slice(0, 3).sort(), ['Bar', 'Blank=', 'Foo=from-cli'])
    t.strictSame(got.slice(3), ['PATH=/usr/bin:/bin', 'FROM_IMAGE=1', 'Over=image'])
  })

  t.test('docker-py: attrs[Config][Env] is what environment= sent, merged with the image\'s', { skip: noDockerPy }, async t => {
    const out = await dockerPy(d, `
ct = c.containers.run('bb', ['env'], environment=['X=1', 'Bare', 'Empty='], detach=True)
ct.wait()
print(json.dumps([ct.attrs['Config']['Env'], ct.logs().decode()]))
ct.remove()`)
    t.strictSame(out[0], ['X=1', 'Bare', 'Empty='])
    const lines = (out[1] as string).split('\n')
    t.ok(lines.includes('X=1') && lines.includes('Empty='), 'the process has them')
    t.notOk(lines.some(l => l.startsWith('Bare')), 'but not the bare one')
    t.ok(lines.some(l => l.startsWith('PATH=')) && lines.some(l => l.startsWith('HOSTNAME=')), 'and PATH and HOSTNAME')
  })

  t.test('a record written before (Env holding the process\'s env) still loads, shows and starts', async t => {
    const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sh', '-c', 'echo $A'], Env: ['A=old'], Tty: true })
    const id = c.body.Id as string
    await d.stop()
    const path = join(d.root, 'containers', id, 'container.json')
    const rec = JSON.parse(await readFile(path, 'utf8'))
    rec.env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${id.slice(0, 12)}`, 'A=old']
    await writeFile(path, JSON.stringify(rec))
    const d2 = await d.restart()
    t.strictSame((await d2.req('GET', `/containers/${id}/json`)).body.Config.Env, rec.env, 'shown as stored')
    t.equal((await d2.req('POST', `/containers/${id}/start`)).status, 204)
    t.strictSame(await outputLines(d2, id), ['old'], 'the process env is the bundle\'s, unchanged')
  })
})

t.test('Volumes covered by a bind are accepted (the bind wins, no volume is made); an uncovered one gets an anonymous volume', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const host = await mkdtemp(join(tmpdir(), 'bt-vol-'))
  t.teardown(() => rm(host, { recursive: true, force: true }))
  await writeFile(join(host, 'f'), 'from-host\n')

  t.test('API: Binds, a Mounts bind and Tmpfs each cover their path, after path cleaning', async t => {
    for (const [what, hc, path] of [
      ['Binds', { Binds: [`${host}:/ctr`] }, '/ctr/'],
      ['Mounts', { Mounts: [{ Type: 'bind', Source: host, Target: '/m/./ctr' }] }, '/m//ctr'],
      ['Tmpfs', { Tmpfs: { '/scratch': '' }, Binds: [`${host}:/ctr`] }, '/scratch']
    ] as const) {
      const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], Volumes: { [path]: {} }, HostConfig: hc })
      t.equal(c.status, 201, `${what}: ${JSON.stringify(c.body)}`)
    }
    const id = await runTty(d, { Image: 'bb', Cmd: ['sh', '-c', 'cat /ctr/f; echo back > /ctr/g'], Volumes: { '/ctr': {} }, HostConfig: { Binds: [`${host}:/ctr`] } })
    t.strictSame(await outputLines(d, id), ['from-host'], 'the bind is what the container sees')
    t.equal(await readFile(join(host, 'g'), 'utf8'), 'back\n', 'and writes reach the host')
  })

  t.test('API: a Volumes path no mount covers gets an anonymous volume; a covered one none', async t => {
    const before = (await d.req('GET', '/volumes')).body.Volumes.length
    const r = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], Volumes: { '/ctr': {}, '/data': {} }, HostConfig: { Binds: [`${host}:/ctr`] } })
    t.equal(r.status, 201)
    const mounts = (await d.req('GET', `/containers/${r.body.Id as string}/json`)).body.Mounts
    t.match(mounts, [{ Type: 'bind', Source: host, Destination: '/ctr' }, { Type: 'volume', Destination: '/data' }])
    t.equal(mounts.length, 2)
    t.equal((await d.req('GET', '/volumes')).body.Volumes.length, before + 1, 'one volume, for /data')
    t.equal((await d.req('DELETE', `/containers/${r.body.Id as string}?v=1`)).status, 204)
    t.equal((await d.req('GET', '/volumes')).body.Volumes.length, before)
  })

  t.test('docker-py: containers.run(volumes=[...]) and volumes={...}', { skip: noDockerPy }, async t => {
    // /ctr and /foo: docker-py 5 sends Volumes /ct and /f for them (its rstrip bug), /data as is.
    const before = (await d.req('GET', '/volumes')).body.Volumes.length
    const out = await dockerPy(d, `
a = c.containers.run('bb', ['cat', '/ctr/f'], volumes=[sys.argv[2] + ':/ctr'], remove=True).decode()
b = c.containers.run('bb', ['cat', '/data/f'], volumes=[sys.argv[2] + ':/data:ro'], remove=True).decode()
f = c.containers.run('bb', ['cat', '/foo/f'], volumes={sys.argv[2]: {'bind': '/foo', 'mode': 'ro'}}, remove=True).decode()
print(json.dumps([a, b, f]))`, host)
    t.strictSame(out, ['from-host\n', 'from-host\n', 'from-host\n'])
    t.equal((await d.req('GET', '/volumes')).body.Volumes.length, before, 'no anonymous volume for the paths its binds cover')
  })

  t.test('a shared or slave bind: applied (the host\'s new mounts reach the container), shown by inspect', async t => {
    const shared = await mountTmpfs(t, '1m')
    await execa('mount', ['--make-shared', shared])
    await writeFile(join(shared, 'f'), 'on-shared\n')
    const c = await d.req('POST', '/containers/create', {
      Image: 'bb', Cmd: ['sleep', '1000'],
      HostConfig: {
        Binds: [`${shared}:/sh:ro,rshared`, `${host}:/pv`],
        Mounts: [{ Type: 'bind', Source: shared, Target: '/sl', BindOptions: { Propagation: 'rslave' } }]
      }
    })
    t.equal(c.status, 201, JSON.stringify(c.body))
    const id = c.body.Id as string
    const ins = await d.req('GET', `/containers/${id}/json`)
    const prop = Object.fromEntries(ins.body.Mounts.map((m: any) => [m.Destination, [m.Propagation, m.RW]]))
    t.strictSame(prop, { '/sh': ['rshared', false], '/pv': ['rprivate', true], '/sl': ['rslave', true] })
    const spec = JSON.parse(await readFile(join(d.root, 'containers', id, 'bundle', 'config.json'), 'utf8'))
    const opts = Object.fromEntries(spec.mounts.filter((m: any) => m.type === 'bind' && [shared, host].includes(m.source)).map((m: any) => [m.destination, m.options]))
    t.ok(opts['/sh'].includes('rshared') && opts['/sl'].includes('rslave') && opts['/pv'].includes('rprivate'), JSON.stringify(opts))
    t.equal(spec.linux.rootfsPropagation, 'shared', 'Docker\'s rootfs propagation for a shared bind')
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    // A mount made on the host after the start shows up under both binds, and not under the private one.
    await mkdir(join(shared, 'sub'))
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(shared, 'sub')])
    const ex = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['cat', '/proc/self/mountinfo'], AttachStdout: true, Tty: true })
    const table = (await hijack(d, `/exec/${ex.body.Id as string}/start`, { Detach: false, Tty: true })).output
    const lines = (await table).toString().split(/\r?\n/)
    const line = (dest: string): string => lines.find(l => l.split(' ')[4] === dest) ?? ''
    t.match(line('/sh'), / shared:\d+/, 'the rshared bind is a shared mount inside')
    t.match(line('/sl'), / master:\d+/, 'the rslave one a slave')
    t.notMatch(line('/pv'), /shared:|master:/, 'the default one private')
    t.not(line('/sh/sub'), '', 'the host\'s new mount reached the rshared bind')
    t.not(line('/sl/sub'), '', 'and the rslave one')
    await d.req('DELETE', `/containers/${id}?force=1`)
    await execa('umount', [join(shared, 'sub')], { reject: false })
  })

  t.test('a shared bind on a mount that is not shared is refused, as Docker\'s ensureShared', async t => {
    const priv = await mountTmpfs(t, '1m')
    await execa('mount', ['--make-private', priv])
    const shared = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: [`${priv}:/x:rshared`] } })
    t.equal(shared.status, 400)
    t.equal(shared.body.message, `path ${priv} is mounted on ${priv} but it is not a shared mount`)
    const slave = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Mounts: [{ Type: 'bind', Source: priv, Target: '/x', BindOptions: { Propagation: 'slave' } }] } })
    t.equal(slave.status, 400)
    t.equal(slave.body.message, `path ${priv} is mounted on ${priv} but it is not a shared or slave mount`)
  })
})

t.test('kill: a SIGKILL is answered once the container has stopped; other signals at once', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const ROUNDS = 20

  t.test(`API: ${ROUNDS} rounds of kill then inspect, each exited with 137`, async t => {
    const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '1000'] })
    const id = c.body.Id as string
    const seen: string[] = []
    for (let i = 0; i < ROUNDS; i++) {
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      t.equal((await d.req('POST', `/containers/${id}/kill`)).status, 204)
      const s = (await d.req('GET', `/containers/${id}/json`)).body.State
      seen.push(`${s.Status as string}/${s.ExitCode as number}`)
    }
    t.strictSame(seen, Array(ROUNDS).fill('exited/137'))
  })

  t.test('restart policy always: a kill stops it for good, as Docker\'s (the restart manager is cancelled)', async t => {
    const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '1000'], HostConfig: { RestartPolicy: { Name: 'always' } } })
    const id = c.body.Id as string
    await d.req('POST', `/containers/${id}/start`)
    t.equal((await d.req('POST', `/containers/${id}/kill?signal=KILL`)).status, 204)
    t.match((await d.req('GET', `/containers/${id}/json`)).body.State, { Status: 'exited', ExitCode: 137 })
    await sleep(1500)
    t.match((await d.req('GET', `/containers/${id}/json`)).body, { State: { Status: 'exited' }, RestartCount: 0 }, 'not restarted')
  })

  t.test('any other signal is answered at once, the container still running', async t => {
    // sleep as pid 1 has no handler for TERM, so the kernel drops it: the container runs on.
    const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '1000'] })
    const id = c.body.Id as string
    await d.req('POST', `/containers/${id}/start`)
    const t0 = performance.now()
    t.equal((await d.req('POST', `/containers/${id}/kill?signal=TERM`)).status, 204)
    t.ok(performance.now() - t0 < 5000, 'answered without waiting for an exit')
    t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'running')
  })

  t.test(`docker-py: ${ROUNDS} rounds of kill() then reload(), each exited with 137`, { skip: noDockerPy }, async t => {
    const out = await dockerPy(d, `
ct = c.containers.create('bb', ['sleep', '1000'])
seen = []
for i in range(int(sys.argv[2])):
    ct.start()
    ct.kill()
    ct.reload()
    seen.append('%s/%d' % (ct.status, ct.attrs['State']['ExitCode']))
ct.remove()
print(json.dumps(seen))`, String(ROUNDS))
    t.strictSame(out, Array(ROUNDS).fill('exited/137'))
  })
})
