/**
 * Docker-style create and run from an image, through the real docker client:
 * the overlay rootfs, the generated spec, and every HostConfig field seen from
 * inside the container.
 */
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { DOCKER, dockerEnv, dockerTest, ROOTFS, startDaemon, until, type Daemon } from './helpers.js'

function docker (d: Daemon, args: string[], input?: string) {
  return execa(DOCKER, args, {
    env: dockerEnv(d),
    input: input ?? '', reject: false, timeout: 60_000, killSignal: 'SIGKILL'
  })
}

/** Imports the busybox rootfs as image `name` (docker import from a tar of test/.rootfs). */
async function importBusybox (d: Daemon, name: string): Promise<void> {
  const tar = await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })
  const r = await execa(DOCKER, ['import', '-', name], {
    env: dockerEnv(d), input: tar.stdout, reject: false, timeout: 60_000
  })
  if (r.exitCode !== 0) throw new Error(`docker import failed: ${r.stderr}`)
}

const mountedUnder = (dir: string): string[] => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter(l => l.includes(dir))

dockerTest(t, 'docker run from an image', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')

  t.test('run --rm: output, exit code, and the container is gone', async t => {
    const r = await docker(d, ['run', '--rm', 'bb', 'sh', '-c', 'echo hi; exit 3'])
    t.equal(r.stdout, 'hi')
    t.equal(r.exitCode, 3)
    const left = await d.req('GET', '/containers/json?all=1')
    t.same(left.body, [], 'removed')
    await until(() => mountedUnder(d.root).length === 0, 10_000, 'its overlay unmounted (in the background, after the removal answered)')
  })

  t.test('run --rm removes the container when its start fails, and the client returns', async t => {
    const r = await docker(d, ['run', '--rm', 'bb', '/no/such/binary'])
    t.not(r.exitCode, 0)
    t.match(r.stderr, /no\/such\/binary/)
    await until(async () => ((await d.req('GET', '/containers/json?all=1')).body as unknown[]).length === 0, 10_000, 'removal')
  })

  t.test('-d, --name, exec, inspect, rm -f', async t => {
    const r = await docker(d, ['run', '-d', '--name', 'web', 'bb', 'sleep', '1000'])
    t.equal(r.exitCode, 0)
    t.match(r.stdout, /^[0-9a-f]{64}$/)
    const ins = await d.req('GET', '/containers/web/json')
    t.equal(ins.body.State.Status, 'running')
    t.match(ins.body.Image, /^sha256:[0-9a-f]{64}$/)
    t.equal(ins.body.Config.Image, 'bb')
    t.same(ins.body.Config.Cmd, ['sleep', '1000'])
    t.equal(ins.body.GraphDriver.Name, 'overlay2')
    t.ok(mountedUnder(ins.body.GraphDriver.Data.MergedDir).length === 1, 'its overlay is mounted')
    const host = await docker(d, ['exec', 'web', 'hostname'])
    t.equal(host.stdout, ins.body.Id.slice(0, 12), 'hostname is the short id')
    const etc = await docker(d, ['exec', 'web', 'sh', '-c', 'cat /etc/hostname; grep -c localhost /etc/hosts'])
    t.match(etc.stdout, new RegExp(`^${ins.body.Id.slice(0, 12) as string}\\n[1-9]`))
    t.equal((await docker(d, ['rm', '-f', 'web'])).exitCode, 0)
    // The removal answers once durable (its dir renamed to a dot-name); unmount and deletion follow in the background.
    t.notOk(existsSync(ins.body.GraphDriver.Data.UpperDir), 'its layer is gone from where it was')
    await until(() => mountedUnder(ins.body.Id as string).length === 0, 10_000, 'unmounted on removal')
    await until(() => !readdirSync(join(d.root, 'containers')).some(n => n.includes(ins.body.Id as string)), 10_000, 'its layer is removed')
  })

  t.test('two containers of one image do not see each other\'s writes', async t => {
    await docker(d, ['run', '-d', '--name', 'one', 'bb', 'sh', '-c', 'echo mine > /tmp/f; sleep 1000'])
    await docker(d, ['run', '-d', '--name', 'two', 'bb', 'sleep', '1000'])
    await until(async () => (await docker(d, ['exec', 'one', 'cat', '/tmp/f'])).stdout === 'mine', 10_000, 'write in one')
    const other = await docker(d, ['exec', 'two', 'cat', '/tmp/f'])
    t.not(other.exitCode, 0, 'two has no /tmp/f')
    const fresh = await docker(d, ['run', '--rm', 'bb', 'ls', '/tmp'])
    t.equal(fresh.stdout, '', 'nor does a new one')
    await docker(d, ['rm', '-f', 'one', 'two'])
  })

  t.test('-e, -w, -u, --entrypoint, --read-only, --tmpfs, -v', async t => {
    const env = await docker(d, ['run', '--rm', '-e', 'A=1', '-w', '/work/dir', '-u', 'nobody', 'bb', 'sh', '-c', 'echo $A; pwd; id -u; id -g; echo $PATH'])
    t.equal(env.stdout, '1\n/work/dir\n65534\n65534\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    const ep = await docker(d, ['run', '--rm', '--entrypoint', 'echo', 'bb', 'from', 'entrypoint'])
    t.equal(ep.stdout, 'from entrypoint')
    const ro = await docker(d, ['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'bb', 'sh', '-c', 'touch /x 2>/dev/null && echo wrote-root; touch /scratch/y && echo wrote-tmpfs; grep " /scratch " /proc/mounts | cut -d" " -f3'])
    t.equal(ro.stdout, 'wrote-tmpfs\ntmpfs', 'root read-only, tmpfs writable')
    const vol = await docker(d, ['run', '--rm', '-v', `${d.dir}:/host:ro`, 'bb', 'sh', '-c', 'ls /host >/dev/null && echo seen; touch /host/z 2>/dev/null || echo ro'])
    t.equal(vol.stdout, 'seen\nro')
  })

  t.test('--memory, --cpus, --pids-limit reach the cgroup', async t => {
    const r = await docker(d, ['run', '--rm', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', 'bb', 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true'])
    t.equal(r.exitCode, 0)
    t.match(r.stdout, /^67108864$/m, 'memory limit')
    t.match(r.stdout, /^50000( 100000)?$/m, 'cpu quota of half a core')
    t.match(r.stdout, /^50$/m, 'pids limit')
  })

  t.test('--shm-size, --ulimit, --sysctl, no-new-privileges, --cpu-shares, --cpuset-cpus, --memory-swap, --mount tmpfs', async t => {
    const r = await docker(d, ['run', '--rm', '--shm-size', '32m', '--ulimit', 'nofile=1024:2048', '--sysctl', 'net.ipv4.ip_forward=1',
      '--security-opt', 'no-new-privileges', '--cpu-shares', '512', '--cpuset-cpus', '0', '--memory', '64m', '--memory-swap', '128m',
      '--mount', 'type=tmpfs,destination=/t', 'bb', 'sh', '-c',
      'df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2; ulimit -n; ulimit -Hn; cat /proc/sys/net/ipv4/ip_forward; grep NoNewPrivs /proc/self/status | cut -f2;' +
      ' cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes; grep " /t " /proc/mounts | cut -d" " -f3'])
    t.equal(r.exitCode, 0, r.stderr)
    t.same(r.stdout.split('\n'), ['32768', '1024', '2048', '1', '1', '512', '0', '134217728', 'tmpfs'],
      'shm KiB, soft and hard nofile, the sysctl, NoNewPrivs, cpu shares, cpuset, memory+swap, the tmpfs mount')
  })

  t.test('--dns, --dns-search and --add-host shape /etc/resolv.conf and /etc/hosts', async t => {
    const r = await docker(d, ['run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'example.com', '--add-host', 'db:192.0.2.7', 'bb', 'sh', '-c', 'cat /etc/resolv.conf; grep -w db /etc/hosts'])
    t.equal(r.stdout, 'nameserver 192.0.2.53\nsearch example.com\n192.0.2.7\tdb')
  })

  t.test('an image in use cannot be removed without force', async t => {
    await docker(d, ['create', '--name', 'user', 'bb', 'true'])
    const rmi = await docker(d, ['rmi', 'bb'])
    t.not(rmi.exitCode, 0)
    t.match(rmi.stderr, /conflict|being used|in use/i)
    t.equal((await docker(d, ['image', 'inspect', 'bb'])).exitCode, 0, 'still there')
    await docker(d, ['rm', 'user'])
  })

  t.test('capabilities: default set, --cap-add, --cap-drop, --privileged', async t => {
    const capEff = async (args: string[]): Promise<bigint> => {
      const r = await docker(d, ['run', '--rm', ...args, 'bb', 'grep', 'CapEff', '/proc/self/status'])
      return BigInt(`0x${r.stdout.split(/\s+/)[1] ?? '0'}`)
    }
    const bit = (n: number): bigint => 1n << BigInt(n)
    const dflt = await capEff([])
    t.equal(dflt, 0xa80425fbn, 'Docker\'s default set')
    t.equal(await capEff(['--cap-add', 'SYS_ADMIN']), dflt | bit(21), 'SYS_ADMIN added')
    t.equal(await capEff(['--cap-drop', 'NET_RAW']), dflt & ~bit(13), 'NET_RAW dropped')
    t.ok((await capEff(['--privileged'])) > dflt, 'privileged has more')
  })

  t.test('--init runs a real init as pid 1; --network none and host', async t => {
    const init = await docker(d, ['run', '--rm', '--init', 'bb', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'])
    t.match(init.stdout, /^\/sbin\/docker-init -- sh/)
    const none = await docker(d, ['run', '--rm', '--network', 'none', 'bb', 'sh', '-c', 'ls /sys/class/net'])
    t.equal(none.stdout, 'lo')
    const dflt = await docker(d, ['run', '--rm', 'bb', 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "'])
    t.equal(dflt.stdout, 'eth0 lo ', 'default: the default bridge')
    const host = await docker(d, ['run', '--rm', '--network', 'host', 'bb', 'sh', '-c', 'ls /sys/class/net | wc -l'])
    t.ok(Number(host.stdout) >= 1)
    const bridge = await docker(d, ['run', '--rm', '--network', 'bridge', 'bb', 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "'])
    t.equal(bridge.stdout, 'eth0 lo ', bridge.stderr)
  })

  t.test('create errors: unknown image, name in use, unsupported fields', async t => {
    const missing = await d.req('POST', '/containers/create', { Image: 'nosuch', Cmd: ['true'] })
    t.equal(missing.status, 404)
    t.equal(missing.body.message, 'No such image: nosuch')
    // A registry on 127.0.0.1:1 is not there: the client's pull fails without reaching out of the machine.
    const cli = await docker(d, ['run', '--rm', '127.0.0.1:1/nosuch:1', 'true'])
    t.not(cli.exitCode, 0, 'the client tries a pull, which fails with a clear message')
    t.match(cli.stderr, /connection refused/)
    await docker(d, ['create', '--name', 'taken', 'bb', 'true'])
    const dup = await d.req('POST', '/containers/create?name=taken', { Image: 'bb', Cmd: ['true'] })
    t.equal(dup.status, 409)
    const ports = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } })
    t.equal(ports.status, 400)
    t.match(ports.body.message, 'invalid port specification: "99999"')
    const noCmd = await d.req('POST', '/containers/create', { Image: 'bb' })
    t.equal(noCmd.status, 400, 'an image with no Cmd and none asked for')
    t.same(((await d.req('GET', '/containers/json?all=1')).body as Array<{ Names: string[] }>).map(c => c.Names[0]), ['/taken'], 'nothing half-made')
    await docker(d, ['rm', 'taken'])
  })
})

dockerTest(t, 'image containers survive a SIGKILLed berthd with their rootfs', async t => {
  let d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const run = await docker(d, ['run', '-d', '--name', 'keep', 'bb', 'sh', '-c', 'echo data > /tmp/kept; sleep 1000'])
  t.equal(run.exitCode, 0)
  await until(async () => (await docker(d, ['exec', 'keep', 'cat', '/tmp/kept'])).stdout === 'data', 10_000, 'write')
  await d.stop('SIGKILL')
  d = await d.restart()
  const ins = await d.req('GET', '/containers/keep/json')
  t.equal(ins.body.State.Status, 'running')
  t.equal((await docker(d, ['exec', 'keep', 'cat', '/tmp/kept'])).stdout, 'data', 'rootfs intact')
  t.equal((await docker(d, ['rm', '-f', 'keep'])).exitCode, 0)
  await until(() => mountedUnder(d.root).length === 0, 10_000, 'its overlay unmounted')
})
