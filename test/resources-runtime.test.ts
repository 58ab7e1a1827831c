/**
 * The cgroup v1 resources and namespace modes dockerSpec maps (issue 13) are
 * applied by both runtimes: `create` a container from the spec, read its
 * cgroup files on the host, then `start` it and let a script check from
 * inside (device node, OOM score, groups, IPC namespace) into a bound file.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { dockerSpec, specJson, type DockerCreateBody } from '../src/containers/dockerspec.js'
import { blkioWeightFile } from '../src/containers/hostres.js'
import { hostsFile, resolvConf } from '../src/containers/etc-files.js'
import { ROOTFS } from './helpers.js'
import { dockerCliBody } from './unit/fixtures.js'

const RUNTIMES = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' }
const CGROUP = '/sys/fs/cgroup'
// Mount points the runtime creates in the (shared) busybox tree; removed afterwards if they were not there.
const CREATED = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'].map(p => join(ROOTFS, p))

const CHECKS = [
  '[ -c /dev/xnull ] && echo probe > /dev/xnull',
  '[ "$(cat /proc/self/oom_score_adj)" = 123 ]',
  'grep "^Groups:" /proc/self/status | grep -qw 4321',
  '[ "$(readlink /proc/self/ns/ipc)" = "$HOST_IPC" ]',
  '[ -e /dev/shm/$SHM_PROBE ]'
]
const SCRIPT = CHECKS.map((c, i) => `{ ${c}; } || { echo "check ${i + 1} failed: ${c.replace(/["$`\\]/g, '\\$&')}" > /tmp/result; exit 1; }`).join('\n') + '\necho ok > /tmp/result'

const firstBlockDevice = (): string | undefined => readdirSync('/dev').map(n => `/dev/${n}`).find(p => { try { return statSync(p).isBlockDevice() } catch { return false } })
const rdev = (p: string): string => { const r = statSync(p).rdev; return `${Math.floor(r / 256) & 0xfff}:${r & 0xff}` }
const cgroupFile = (controller: string, path: string, file: string): string => readFileSync(join(CGROUP, controller, path, file), 'utf8').trim()

for (const [name, path] of Object.entries(RUNTIMES)) {
  t.test(`${name} applies swappiness, the OOM killer, real-time, block I/O, devices, GroupAdd and the host IPC`, { skip: existsSync(path) ? false : `${path} is not installed` }, async t => {
    const existed = CREATED.filter(p => existsSync(p))
    const dir = mkdtempSync(join(tmpdir(), 'berth-res-'))
    const bundle = join(dir, 'bundle')
    const root = join(dir, 'root')
    const out = join(dir, 'out')
    const id = randomBytes(32).toString('hex')
    // Our own parent cgroup with a real-time budget, as CgroupParent names it: /berth has none.
    const parent = `berth-rt-${id.slice(0, 8)}`
    const cgroupsPath = `/${parent}/${id}`
    const shmProbe = `berth-res-${id.slice(0, 8)}`
    t.teardown(() => {
      spawnSync(path, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' })
      for (const p of CREATED) if (!existed.includes(p)) rmSync(p, { force: true })
      rmSync(join('/dev/shm', shmProbe), { force: true })
      rmSync(dir, { recursive: true, force: true })
      for (const c of readdirSync(CGROUP)) {
        for (const p of [join(CGROUP, c, parent, id), join(CGROUP, c, parent)]) try { rmdirSync(p) } catch {}
      }
    })
    mkdirSync(out)
    mkdirSync(join(CGROUP, 'cpu', parent))
    writeFileSync(join(CGROUP, 'cpu', parent, 'cpu.rt_runtime_us'), '10000')
    writeFileSync(join('/dev/shm', shmProbe), '')
    const disk = firstBlockDevice()
    const weightFile = blkioWeightFile()
    // crun writes only CFQ's blkio.weight: on a BFQ-only kernel the weight is refused for it (below).
    const weight = weightFile !== undefined && !(weightFile === 'blkio.bfq.weight' && name === 'crun')
    const b = dockerCliBody()
    const body = {
      ...b,
      Cmd: ['sh', '-c', SCRIPT],
      Env: [`HOST_IPC=${readlinkSync('/proc/self/ns/ipc')}`, `SHM_PROBE=${shmProbe}`],
      HostConfig: {
        ...b.HostConfig,
        Binds: [`${out}:/tmp`],
        Memory: 64 << 20,
        MemorySwappiness: 17,
        OomKillDisable: true,
        OomScoreAdj: 123,
        CgroupParent: parent,
        CpuRealtimePeriod: 1_000_000,
        CpuRealtimeRuntime: 5000,
        ...(weight ? { BlkioWeight: 300 } : {}),
        ...(disk !== undefined ? { BlkioDeviceReadBps: [{ Path: disk, Rate: 1 << 20 }], BlkioDeviceWriteIOps: [{ Path: disk, Rate: 77 }] } : {}),
        Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }],
        DeviceCgroupRules: ['c 1:11 mr'],
        GroupAdd: ['4321'],
        IpcMode: 'host'
      }
    } as DockerCreateBody
    const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
    writeFileSync(files.hostname, `${id.slice(0, 12)}\n`)
    writeFileSync(files.hosts, hostsFile(id.slice(0, 12)))
    writeFileSync(files.resolvConf, resolvConf('nameserver 127.0.0.53\n'))
    const spec = dockerSpec({ id, body, image: {}, rootfs: ROOTFS, user: { uid: 0, gid: 0 }, files, cgroupsPath, runtime: name })
    if (weightFile === 'blkio.bfq.weight' && name === 'crun') {
      t.throws(() => dockerSpec({ id, body: { ...body, HostConfig: { ...body.HostConfig, BlkioWeight: 300 } }, image: {}, rootfs: ROOTFS, user: { uid: 0, gid: 0 }, files, cgroupsPath, runtime: name }),
        { message: /^BlkioWeight is not supported with the crun runtime here: / }, 'crun cannot write BFQ\'s weight: refused at create')
    }
    mkdirSync(bundle)
    writeFileSync(join(bundle, 'config.json'), specJson(spec))

    // The container's stdio is a file: a pipe would stay open (and spawnSync wait) until the container exits.
    const errFd = openSync(join(dir, 'stderr'), 'w')
    const create = spawnSync(path, ['--root', root, 'create', '--bundle', bundle, id], { timeout: 30_000, stdio: ['ignore', errFd, errFd] })
    closeSync(errFd)
    t.equal(create.status, 0, `${name} created the container: ${readFileSync(join(dir, 'stderr'), 'utf8').trim()}`)
    if (create.status !== 0) return

    // On the host: the container's cgroup files.
    t.equal(cgroupFile('memory', cgroupsPath, 'memory.swappiness'), '17', 'memory.swappiness')
    t.match(cgroupFile('memory', cgroupsPath, 'memory.oom_control'), /^oom_kill_disable 1$/m, 'memory.oom_control')
    t.equal(cgroupFile('cpu', cgroupsPath, 'cpu.rt_runtime_us'), '5000', 'cpu.rt_runtime_us')
    t.equal(cgroupFile('cpu', cgroupsPath, 'cpu.rt_period_us'), '1000000', 'cpu.rt_period_us')
    if (weight) t.match(cgroupFile('blkio', cgroupsPath, weightFile!), /(^|\s)300$/, weightFile)
    if (disk !== undefined) {
      t.match(cgroupFile('blkio', cgroupsPath, 'blkio.throttle.read_bps_device'), new RegExp(`^${rdev(disk)} ${1 << 20}$`, 'm'), `read bps on ${disk}`)
      t.match(cgroupFile('blkio', cgroupsPath, 'blkio.throttle.write_iops_device'), new RegExp(`^${rdev(disk)} 77$`, 'm'), `write iops on ${disk}`)
    }
    const devices = cgroupFile('devices', cgroupsPath, 'devices.list')
    t.match(devices, /^c 1:3 rwm$/m, 'the device\'s rule')
    t.match(devices, /^c 1:11 rm$/m, 'DeviceCgroupRules (the kernel writes the access as rwm in order)')

    // Inside: the script's checks.
    const start = spawnSync(path, ['--root', root, 'start', id], { encoding: 'utf8', timeout: 30_000 })
    t.equal(start.status, 0, `${name} started it: ${start.stderr.trim()}`)
    const result = join(out, 'result')
    for (let i = 0; i < 100 && !existsSync(result); i++) await sleep(100)
    t.equal(existsSync(result) ? readFileSync(result, 'utf8').trim() : 'no result', 'ok', 'every check inside passed')
  })
}
