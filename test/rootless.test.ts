/**
 * Rootless berthd: a real ordinary user the test makes (useradd gives it a
 * subordinate id range in /etc/subuid and /etc/subgid) starts
 * `berthd --rootless`, which runs inside rootlesskit's namespaces with
 * slirp4netns, crun and native overlay. Driven with the docker client as
 * root would drive a user's daemon: run, logs, exec, stop, rm, a berthd
 * restart that re-loads a running container, a port published through
 * rootlesskit's port driver, and the refusals (cgroup limits, pause). Teardown removes the containers, ends every
 * process of that user by pid (its uid and subordinate ids are the test's
 * own), and removes the user, its id ranges, its home and the temp dirs.
 */
import t, { type Test } from 'tap'
import { execa, type ResultPromise } from 'execa'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { BERTHD, DOCKER, freePort, importBusybox, sleep, until } from './helpers.js'
import { NODE_FLAGS } from '../src/launch.js'
import { holderPidFile } from '../src/rootless.js'

interface User { name: string, uid: number, gid: number, home: string, sub: Array<[number, number]> }

const subRanges = (file: string, name: string): Array<[number, number]> =>
  readFileSync(file, 'utf8').split('\n').map(l => l.split(':')).filter(f => f[0] === name && f.length === 3).map(f => [Number(f[1]), Number(f[2])])

/** The user's processes: its uid or one of its subordinate ids (containers' other users), all this test's own. */
function processesOf (u: User): number[] {
  const ours = (id: number): boolean => id === u.uid || u.sub.some(([start, count]) => id >= start && id < start + count)
  const out: number[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1)
      if (ours(uid) && !/^State:\s+Z/m.test(status)) out.push(Number(p))
    } catch {}
  }
  return out
}

/** Makes the user; teardown ends its processes, then removes it with its home and id ranges. */
async function makeUser (t: Test): Promise<User> {
  const name = `berthrl${randomBytes(4).toString('hex')}`
  await execa('useradd', ['--create-home', '--shell', '/bin/sh', name])
  const u: User = { name, uid: 0, gid: 0, home: '', sub: [] }
  t.teardown(async () => {
    for (let i = 0; i < 50; i++) {
      const left = processesOf(u)
      if (left.length === 0) break
      for (const pid of left) try { process.kill(pid, 'SIGKILL') } catch {}
      await sleep(100)
    }
    await execa('userdel', ['--remove', name], { reject: false })
    // userdel drops the user's subordinate ranges; a leftover line would hand them to the next user of that name.
    for (const f of ['/etc/subuid', '/etc/subgid']) {
      if (subRanges(f, name).length > 0) t.fail(`${f} still lists ${name}`)
    }
  })
  const [uid, gid, home] = (await execa('getent', ['passwd', name])).stdout.split(':').filter((_, i) => [2, 3, 5].includes(i))
  Object.assign(u, { uid: Number(uid), gid: Number(gid), home })
  u.sub = subRanges('/etc/subuid', name)
  if (u.sub.length === 0 || subRanges('/etc/subgid', name).length === 0) {
    // useradd gives ranges when /etc/login.defs has SUB_UID_COUNT (Debian's default); add one where it did not.
    const start = 300000 + Number.parseInt(randomBytes(2).toString('hex'), 16) % 1000 * 65536
    await execa('usermod', ['--add-subuids', `${start}-${start + 65535}`, '--add-subgids', `${start}-${start + 65535}`, name])
    u.sub = subRanges('/etc/subuid', name)
  }
  return u
}

interface Rootless { socket: string, env: Record<string, string>, runtimeDir: string, proc: ResultPromise, stderr: () => string, start: () => Promise<void>, stop: () => Promise<void> }

/** `berthd --rootless` as the user, with XDG_RUNTIME_DIR a temp dir of its own. */
async function rootless (t: Test, u: User): Promise<Rootless> {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'brl-'))
  await chown(runtimeDir, u.uid, u.gid)
  await chmod(runtimeDir, 0o700)
  t.teardown(() => rm(runtimeDir, { recursive: true, force: true }))
  const socket = join(runtimeDir, 'berth', 'berth.sock')
  let err = ''
  const r: Rootless = {
    socket, runtimeDir, env: { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(runtimeDir, 'docker-config') },
    proc: undefined as unknown as ResultPromise,
    stderr: () => err,
    start: async () => {
      err = ''
      // setpriv execs (runuser would stay as a parent): the pid is berthd's.
      r.proc = execa('setpriv', [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--',
        'env', '-i', `HOME=${u.home}`, `USER=${u.name}`, `XDG_RUNTIME_DIR=${runtimeDir}`, 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
        process.execPath, ...NODE_FLAGS, BERTHD, '--rootless', '--log-level', 'debug'], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, cwd: '/' })
      r.proc.stderr?.on('data', (c: Buffer) => { err += c.toString() })
      await until(async () => {
        if (r.proc.exitCode !== null) throw new Error(`rootless berthd exited at start:\n${err}`)
        return (await execa(DOCKER, ['version'], { env: r.env, reject: false })).exitCode === 0
      }, 60_000, 'rootless berthd answering')
    },
    stop: async () => {
      if (r.proc.exitCode === null) r.proc.kill('SIGTERM')
      await r.proc
    }
  }
  t.teardown(async () => {
    // Containers first (their monitors clean up their mounts), then berthd, then the holder of the namespaces.
    if (r.proc?.exitCode === null) {
      const ids = (await execa(DOCKER, ['ps', '-aq'], { env: r.env, reject: false })).stdout.split('\n').filter(Boolean)
      if (ids.length > 0) await execa(DOCKER, ['rm', '-f', ...ids], { env: r.env, reject: false })
      await r.stop()
    }
    const holder = Number((() => { try { return readFileSync(holderPidFile(runtimeDir), 'utf8') } catch { return '0' } })())
    if (holder > 0) try { process.kill(holder, 'SIGTERM') } catch {}
  })
  await r.start()
  return r
}

const docker = async (r: Rootless, args: string[]): Promise<{ stdout: string, stderr: string, exitCode: number }> => {
  const res = await execa(DOCKER, args, { env: r.env, reject: false, timeout: 60_000 })
  return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode ?? -1 }
}

/** Why this machine cannot run the suite, if it cannot. */
function missing (): string | undefined {
  if (process.getuid?.() !== 0) return 'the test makes a user: run it as root'
  for (const bin of ['rootlesskit', 'slirp4netns', 'newuidmap', 'nsenter', 'setpriv', 'crun']) {
    if (!['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some(d => existsSync(join(d, bin)))) return `${bin} is missing: run scripts/setup.sh as root`
  }
  if ((readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim()) === '0') return 'user namespaces are disabled (user.max_user_namespaces=0)'
  return undefined
}

t.test('rootless berthd as a real user', { timeout: 300_000 }, async t => {
  const why = missing()
  if (why !== undefined) { t.fail(why); return }
  if (!existsSync(DOCKER)) { t.fail(`no docker client at ${DOCKER}: run scripts/setup.sh`); return }
  const u = await makeUser(t)
  const r = await rootless(t, u)

  const info = JSON.parse((await docker(r, ['info', '--format', '{{json .}}'])).stdout) as Record<string, any>
  t.ok(info.SecurityOptions.includes('name=rootless'), '/info lists name=rootless')
  t.equal(info.CgroupDriver, 'none', 'no cgroup driver: containers get no cgroups')
  t.equal(info.MemoryLimit, false, 'no memory limits')
  t.ok(info.Warnings.some((w: string) => /rootless-mode without cgroups/.test(w)), 'and a warning says so')
  t.equal(info.DockerRootDir, join(u.home, '.local', 'share', 'berth'), 'records under ~/.local/share/berth')
  t.equal(info.DefaultRuntime, 'crun')

  const client = new Pool('http://localhost', { socketPath: r.socket })
  t.teardown(() => client.close())
  await importBusybox({ client })

  const once = await docker(r, ['run', '--rm', 'bb', 'sh', '-c', 'id; cat /proc/self/uid_map'])
  t.equal(once.exitCode, 0, once.stderr)
  t.match(once.stdout, /uid=0\(root\) gid=0\(root\)/, 'root inside')
  t.match(once.stdout, new RegExp(`^\\s*0\\s+${u.uid}\\s+1$`, 'm'), 'which is the user outside')

  const net = await docker(r, ['run', '--rm', 'bb', 'ping', '-c', '1', '-W', '5', '10.0.2.2'])
  t.equal(net.exitCode, 0, `the default bridge reaches slirp4netns's gateway: ${net.stdout} ${net.stderr}`)

  const d = await docker(r, ['run', '-d', '--name', 'rl-d', 'bb', 'sh', '-c', 'echo hello-rootless; exec sleep 1000'])
  t.equal(d.exitCode, 0, d.stderr)
  const pid = Number((await docker(r, ['inspect', '-f', '{{.State.Pid}}', 'rl-d'])).stdout)
  t.ok(pid > 0)
  t.match(readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${u.uid}\\s+${u.uid}\\s`, 'm'), 'the container\'s process runs as the user on the host')
  await until(async () => (await docker(r, ['logs', 'rl-d'])).stdout.includes('hello-rootless'), 10_000, 'logs')
  const ex = await docker(r, ['exec', 'rl-d', 'id', '-u'])
  t.equal(ex.stdout.trim(), '0', `exec: ${ex.stderr}`)

  // No cgroup: top lists the container's pid namespace (not berthd's cgroup, which is everyone's), stats are zeros.
  const top = await docker(r, ['top', 'rl-d', '-o', 'pid'])
  t.same(top.stdout.trim().split('\n').slice(1).map(Number), [pid], `top: the container's process only ${top.stderr}`)
  const stats = JSON.parse((await docker(r, ['stats', '--no-stream', '--format', '{{json .}}', 'rl-d'])).stdout) as { MemUsage: string }
  t.match(stats.MemUsage, /^0B \/ 0B$/, 'stats: no cgroup counters, not berthd\'s')
  t.match((await docker(r, ['pause', 'rl-d'])).stderr, /rootless berthd cannot pause containers/)

  // Refused plainly: limits that would need a cgroup, and ports the host could not reach.
  const mem = await client.request({ method: 'POST', path: '/containers/create', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Image: 'bb', Cmd: ['true'], HostConfig: { Memory: 64 * 1024 * 1024 } }) })
  const memBody = await mem.body.json() as { message: string }
  t.equal(mem.statusCode, 400)
  t.match(memBody.message, /rootless berthd cannot apply Memory: .*cgroup v1/, 'the message says why')
  const cli = await docker(r, ['run', '--rm', '--cpus', '1', '--pids-limit', '10', 'bb', 'true'])
  t.not(cli.exitCode, 0)
  t.match(cli.stderr, /cannot apply NanoCpus, PidsLimit/)
  t.match((await docker(r, ['update', '--memory', '64m', 'rl-d'])).stderr, /rootless berthd cannot apply Memory/, 'update too')
  t.equal((await docker(r, ['ps', '-aq'])).stdout.split('\n').filter(Boolean).length, 1, 'the refusals left no container behind')

  // -p through rootlesskit's port driver: the host port is open outside the namespaces.
  const port = await freePort()
  const web = await docker(r, ['run', '-d', '--name', 'rl-web', '-p', `127.0.0.1:${port}:80`, 'bb', 'sh', '-c', 'mkdir /w && echo hello-port > /w/index.html && exec httpd -f -p 80 -h /w'])
  t.equal(web.exitCode, 0, web.stderr)
  t.equal((await docker(r, ['port', 'rl-web'])).stdout, `80/tcp -> 127.0.0.1:${port}`)
  let got = ''
  await until(async () => { got = await fetch(`http://127.0.0.1:${port}/`).then(async res => await res.text(), () => ''); return got !== '' }, 10_000, 'the published port answering')
  t.equal(got, 'hello-port\n', 'the host reaches the container through the published port')
  t.equal((await docker(r, ['rm', '-f', 'rl-web'])).exitCode, 0)
  await until(async () => await fetch(`http://127.0.0.1:${port}/`).then(() => false, () => true), 10_000, 'the port closed with the container')

  // A berthd restart: the namespaces' holder stays, so the container is re-loaded and still reachable.
  await r.stop()
  t.ok(processesOf(u).includes(pid), 'the container outlives berthd')
  await r.start()
  t.match((await docker(r, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'rl-d'])).stdout, `running ${pid}`, 're-loaded as running')
  t.equal((await docker(r, ['exec', 'rl-d', 'echo', 'after-restart'])).stdout, 'after-restart')
  const stop = await docker(r, ['stop', '-t', '1', 'rl-d'])
  t.equal(stop.exitCode, 0, stop.stderr)
  await until(() => !processesOf(u).includes(pid), 5000, 'the container\'s process gone')
  t.equal((await docker(r, ['rm', 'rl-d'])).exitCode, 0)
  t.equal((await docker(r, ['ps', '-aq'])).stdout, '')
})
