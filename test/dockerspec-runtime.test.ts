/**
 * The config.json dockerSpec writes is accepted by the real runtimes, and the
 * container sees what Docker's would: run `runc run` / `crun run` on a bundle
 * whose root is the busybox tree, read-only, with a shell script that checks
 * the settings from inside and exits non-zero naming the first that is wrong.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, rmdirSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { dockerSpec, specJson, type DockerCreateBody } from '../src/containers/dockerspec.js'
import { hostsFile, resolvConf } from '../src/containers/etc-files.js'
import { ROOTFS } from './helpers.js'
import { dockerCliBody } from './unit/fixtures.js'

const RUNTIMES = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' }
const TINI = '/usr/bin/tini-static'

// Mount points the runtime creates in the (shared) busybox tree; removed afterwards if they were not there.
const CREATED = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'sbin/docker-init'].map(p => join(ROOTFS, p))

/** Each check prints nothing and passes, or exits with its number. */
const CHECKS = [
  '[ "$(hostname)" = "$EXPECT_HOST" ]',
  '[ "$HOSTNAME" = "$EXPECT_HOST" ]',
  'grep -q "127.0.0.1.$EXPECT_HOST" /etc/hosts',
  'grep -q "^nameserver" /etc/resolv.conf',
  '! touch /probe 2>/dev/null',
  '! touch /var/probe 2>/dev/null',
  'touch /tmp/probe',
  '[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = 0 ]',
  '[ "$(ulimit -n)" = 1024 ] && [ "$(ulimit -c)" = unlimited ]',
  'grep -q "^NoNewPrivs:.*1" /proc/self/status',
  '[ -d /dev/shm ] && touch /dev/shm/probe',
  '[ "$(wc -c < /proc/timer_list)" = 0 ]',
  '! echo 1 2>/dev/null >/proc/sys/kernel/domainname',
  '[ "$(cat /proc/sys/kernel/domainname)" = example.com ]',
  'grep -q "^CapBnd:.*00000000a82405fb$" /proc/self/status',
  '[ "$(cat /proc/1/comm)" = docker-init ] || [ -z "$WITH_INIT" ]',
  '[ "$(ip -o link 2>/dev/null | wc -l)" = 1 ] || [ "$(ls /sys/class/net | wc -l)" = 1 ]'
]
const SCRIPT = CHECKS.map((c, i) => `{ ${c}; } || { echo "check ${i + 1} failed: ${c.replace(/["$`\\]/g, '\\$&')}" >&2; exit ${i + 10}; }`).join('\n')

for (const [name, path] of Object.entries(RUNTIMES)) {
  t.test(`${name} runs the spec dockerSpec builds`, { skip: existsSync(path) ? false : `${path} is not installed` }, async t => {
    const existed = CREATED.filter(p => existsSync(p))
    const dir = mkdtempSync(join(tmpdir(), 'berth-spec-'))
    const bundle = join(dir, 'bundle')
    const root = join(dir, 'root')
    const id = randomBytes(32).toString('hex')
    const withInit = existsSync(TINI)
    t.teardown(() => {
      spawnSync(path, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' })
      for (const p of CREATED) if (!existed.includes(p)) rmSync(p, { force: true })
      rmSync(dir, { recursive: true, force: true })
      for (const c of readdirSync('/sys/fs/cgroup')) try { rmdirSync(join('/sys/fs/cgroup', c, 'berth-test')) } catch {}
    })
    const b = dockerCliBody()
    const body = {
      ...b,
      Cmd: ['sh', '-c', SCRIPT],
      Env: [`EXPECT_HOST=${id.slice(0, 12)}`, ...(withInit ? ['WITH_INIT=1'] : [])],
      Domainname: 'example.com',
      HostConfig: {
        ...b.HostConfig,
        ReadonlyRootfs: true,
        Binds: [`${dir}:/var:ro`],
        Tmpfs: { '/tmp': 'size=1m' },
        Memory: 64 << 20,
        NanoCpus: 500_000_000,
        PidsLimit: 100,
        CpuShares: 512,
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }, { Name: 'core', Soft: -1, Hard: -1 }],
        CapAdd: ['SYS_ADMIN'],
        CapDrop: ['NET_RAW'],
        SecurityOpt: ['no-new-privileges'],
        Sysctls: { 'net.core.somaxconn': '1024', 'kernel.shmmni': '1024' },
        ShmSize: 8 << 20,
        Init: withInit
      }
    } as DockerCreateBody
    const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
    writeFileSync(files.hostname, `${id.slice(0, 12)}\n`)
    writeFileSync(files.hosts, hostsFile(id.slice(0, 12)))
    writeFileSync(files.resolvConf, resolvConf('nameserver 127.0.0.53\n'))
    const spec = dockerSpec({ id, body, image: {}, rootfs: ROOTFS, user: { uid: 0, gid: 0 }, files, init: withInit ? TINI : undefined, cgroupsPath: `/berth-test/${id}` })
    rmSync(bundle, { recursive: true, force: true })
    spawnSync('mkdir', ['-p', bundle])
    writeFileSync(join(bundle, 'config.json'), specJson(spec))

    const run = spawnSync(path, ['--root', root, 'run', '--bundle', bundle, id], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] })
    t.equal(run.status, 0, `${name} ran the container and every check passed: ${run.stderr.trim()}`)

    // The CLI's body as sent, read-only root, `true`: Docker's defaults alone.
    const plain = randomBytes(32).toString('hex')
    writeFileSync(join(bundle, 'config.json'), specJson(dockerSpec({
      id: plain, body: { ...b, Cmd: ['true'], HostConfig: { ...b.HostConfig, ReadonlyRootfs: true } } as DockerCreateBody,
      image: {}, rootfs: ROOTFS, user: { uid: 0, gid: 0 }, files, cgroupsPath: `/berth-test/${plain}`
    })))
    const r2 = spawnSync(path, ['--root', root, 'run', '--bundle', bundle, plain], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] })
    spawnSync(path, ['--root', root, 'delete', '--force', plain], { stdio: 'ignore' })
    t.equal(r2.status, 0, `${name} ran true with the defaults: ${r2.stderr.trim()}`)
  })
}
