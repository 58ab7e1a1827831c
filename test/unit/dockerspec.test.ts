import t, { type Test } from 'tap'
import { availableParallelism, tmpdir } from 'node:os'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import {
  anonymousVolumePaths, checkCreateBody, dockerSpec, parseVolumesFrom, pidContainer, mergeCommand, parseSpecJson, mergeImageConfig, capabilities, containerHostname, specJson,
  DEFAULT_CAPS, DEFAULT_PATH, MASKED_PATHS, READONLY_PATHS, INIT_PATH,
  type DockerCreateBody, type ImageConfigInput, type SpecInput, type OciSpec
} from '../../src/containers/dockerspec.js'
import { cgroupsPathOf, cpusetWithin, DEFAULT_DEVICE_RULES } from '../../src/containers/resources.js'
import { isZero } from '../../src/containers/createbody.js'
import { hostsFile, resolvConf } from '../../src/containers/etc-files.js'
import { bindMount, mergeTmpfsOptions, propagationProblem, rootfsPropagation, userMounts } from '../../src/containers/mounts.js'
import { DockerCreateBody as Schema } from '../../src/api/schemas.js'
import { ALL_CAPS } from '../../src/containers/exec.js'
import { BerthError } from '../../src/errors.js'
import { dockerCliBody } from './fixtures.js'

const ID = '4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2'
const FILES = { hostname: '/run/berth/c/hostname', hosts: '/run/berth/c/hosts', resolvConf: '/run/berth/c/resolv.conf' }
const IMAGE: ImageConfigInput = { Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8'], Cmd: ['sh'] }

/** The CLI's body with HostConfig (and top-level) fields replaced. */
const cli = (hc: Record<string, unknown> = {}, top: Record<string, unknown> = {}): DockerCreateBody => {
  const b = dockerCliBody()
  return { ...b, ...top, HostConfig: { ...b.HostConfig, ...hc } } as DockerCreateBody
}
const input = (body: DockerCreateBody, over: Partial<SpecInput> = {}): SpecInput =>
  ({ id: ID, body, image: IMAGE, rootfs: '/var/lib/berth/overlay/c/merged', user: { uid: 0, gid: 0 }, files: FILES, ...over })
const spec = (hc: Record<string, unknown> = {}, top: Record<string, unknown> = {}, over: Partial<SpecInput> = {}): OciSpec => dockerSpec(input(cli(hc, top), over))
const mount = (s: OciSpec, dst: string) => s.mounts.find(m => m.destination === dst)
const refuses = (t: Test, fn: () => unknown, message: string | RegExp, what = 'refused'): void => {
  t.throws(fn, { code: 'INVALID_ARGUMENT', message }, what)
}

t.test('the docker CLI body validates against the schema, which lets unknown fields through', async t => {
  const body = dockerCliBody()
  t.equal(Object.keys(body.HostConfig).length, 62, 'the CLI sends 62 HostConfig keys')
  // Fastify's defaults: what the route will validate with.
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, strict: false })
  const check = ajv.compile(Schema)
  t.ok(check(body), ajv.errorsText(check.errors))
  t.ok(check({ Image: 'bb', Cmd: 'echo hi', Entrypoint: '', SomethingNew: { x: 1 }, HostConfig: { FutureKey: true, Memory: 1 } }))
  t.ok(check({}), 'every field is optional')
  t.notOk(check({ HostConfig: { Memory: 'lots' } }), 'types are still checked')
})

t.test('the CLI body gives Docker\'s defaults', async t => {
  const s = dockerSpec(input(dockerCliBody() as DockerCreateBody))
  const rbind = (src: string, dst: string) => ({ destination: dst, type: 'bind', source: src, options: ['rbind', 'rprivate'] })
  t.same(s, {
    ociVersion: '1.0.2',
    root: { path: '/var/lib/berth/overlay/c/merged', readonly: false },
    hostname: ID.slice(0, 12),
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['echo', 'hi'],
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'LANG=C.UTF-8'],
      cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      oomScoreAdj: 0
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
      rbind(FILES.resolvConf, '/etc/resolv.conf'),
      rbind(FILES.hostname, '/etc/hostname'),
      rbind(FILES.hosts, '/etc/hosts')
    ],
    linux: {
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }],
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      resources: { devices: DEFAULT_DEVICE_RULES },
      sysctl: { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' }
    }
  })
  t.equal(DEFAULT_CAPS.length, 14)
  t.same(DEFAULT_DEVICE_RULES.slice(0, 8).map(r => `${r.allow ? 'a' : 'd'} ${r.type ?? 'a'} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`), [
    'd a *:* rwm', 'a c 1:5 rwm', 'a c 1:3 rwm', 'a c 1:9 rwm', 'a c 1:8 rwm', 'a c 5:0 rwm', 'a c 5:1 rwm', 'd c 10:229 rwm'
  ], 'moby oci/defaults.go\'s rules, in its order')
  t.same(DEFAULT_DEVICE_RULES.slice(8).map(r => `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`), ['c *:* m', 'b *:* m', 'c 1:7 rwm', 'c 5:2 rwm', 'c 136:* rwm'])
  t.doesNotThrow(() => checkCreateBody(dockerCliBody() as DockerCreateBody))
  t.doesNotThrow(() => checkCreateBody({}), 'an SDK\'s minimal body')
  t.equal(dockerSpec(input({ Image: 'bb' }, { image: { Cmd: ['sh'] } })).process.env[0], `PATH=${DEFAULT_PATH}`, 'Docker\'s PATH when nobody sets one')
})

t.test('Config fields', async t => {
  const s = spec({ ConsoleSize: [24, 80] }, { Tty: true, Hostname: 'web', Domainname: 'example.com', WorkingDir: '/srv//app/', Env: ['LANG=en', 'X=1'] }, { cgroupsPath: '/berth/x' })
  t.equal(s.hostname, 'web')
  t.equal(s.process.terminal, true)
  t.same(s.process.consoleSize, { height: 24, width: 80 })
  t.same(s.process.env, ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOSTNAME=web', 'TERM=xterm', 'LANG=en', 'X=1'])
  t.equal(s.process.cwd, '/srv/app')
  t.equal(s.linux.sysctl?.['kernel.domainname'], 'example.com', 'Docker sets the NIS domain name by sysctl')
  t.equal(s.linux.cgroupsPath, '/berth/x')
  t.notOk(spec({ ConsoleSize: [24, 80] }).process.consoleSize, 'a console size only with a TTY')
  t.equal(spec({}, {}, { image: { ...IMAGE, WorkingDir: '/app' } }).process.cwd, '/app', 'the image\'s WorkingDir')
  t.same(spec({}, {}, { user: { uid: 1000, gid: 100, additionalGids: [10] } }).process.user, { uid: 1000, gid: 100, additionalGids: [10] })
  refuses(t, () => spec({}, { WorkingDir: 'srv' }), 'the working directory \'srv\' is invalid, it needs to be an absolute path')
  refuses(t, () => spec({}, { Env: ['=x'] }), 'invalid environment variable: =x')
  refuses(t, () => spec({}, { Hostname: 'x'.repeat(65) }), /invalid hostname/)
  for (const ignored of [{ ExposedPorts: { '80/tcp': {} } }, { OnBuild: ['RUN x'] }, { Shell: ['/bin/bash', '-c'] }, { ArgsEscaped: true }, { StopSignal: 'SIGINT', StopTimeout: 5 }, { Labels: { a: 'b' } }]) {
    t.doesNotThrow(() => spec({}, ignored), `${Object.keys(ignored)[0]} is metadata`)
  }
  t.notOk(spec({}, { Labels: { a: 'b' } }).annotations, 'labels are not annotations')
})

t.test('Entrypoint and Cmd: Docker\'s merge', async t => {
  const img = { Entrypoint: ['/entry'], Cmd: ['default'] }
  const cases: Array<[string, ImageConfigInput, Partial<DockerCreateBody>, string[] | string]> = [
    ['image only', img, {}, ['/entry', 'default']],
    ['null fields', img, { Entrypoint: null, Cmd: null }, ['/entry', 'default']],
    ['empty Cmd keeps the image\'s', img, { Cmd: [] }, ['/entry', 'default']],
    ['body Cmd replaces the image\'s', img, { Cmd: ['x', 'y'] }, ['/entry', 'x', 'y']],
    ['Cmd as a string', img, { Cmd: 'x' }, ['/entry', 'x']],
    ['body Entrypoint drops the image Cmd', img, { Entrypoint: ['/other'] }, ['/other']],
    ['Entrypoint as a string', img, { Entrypoint: '/other' }, ['/other']],
    ['body Entrypoint and Cmd', img, { Entrypoint: ['/other'], Cmd: ['a'] }, ['/other', 'a']],
    ['[""] clears the entrypoint and the Cmd', img, { Entrypoint: [''], Cmd: ['a'] }, ['a']],
    ['[""] alone leaves nothing', img, { Entrypoint: [''] }, 'No command specified'],
    ['"" is [""]', img, { Entrypoint: '', Cmd: ['a'] }, ['a']],
    ['[] clears the entrypoint but keeps the image Cmd', img, { Entrypoint: [] }, ['default']],
    ['[] with a body Cmd', img, { Entrypoint: [], Cmd: ['a'] }, ['a']],
    ['image without entrypoint', { Cmd: ['sh'] }, {}, ['sh']],
    ['image without entrypoint, body Cmd', { Cmd: ['sh'] }, { Cmd: ['ls'] }, ['ls']],
    ['image without Cmd, body Entrypoint', { Entrypoint: ['/e'] }, { Entrypoint: ['/f', '-x'] }, ['/f', '-x']],
    ['nothing at all', {}, {}, 'No command specified'],
    ['empty lists', { Cmd: [] }, { Cmd: [], Entrypoint: null }, 'No command specified']
  ]
  for (const [name, image, body, want] of cases) {
    if (typeof want === 'string') refuses(t, () => mergeCommand(image, body), want, name)
    else t.same(mergeCommand(image, body), want, name)
  }
  const m = mergeImageConfig({ ...img, Env: ['A=image', 'B=image'], WorkingDir: '/w', User: 'nobody', Labels: { a: '1', b: '1' }, StopSignal: 'SIGQUIT' },
    { Env: ['B=body', 'C=body'], Labels: { b: '2' } })
  t.same(m, { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['B=body', 'C=body', 'A=image'], WorkingDir: '/w', User: 'nobody', Labels: { a: '1', b: '2' }, StopSignal: 'SIGQUIT' })
  t.same(mergeImageConfig({ User: 'nobody', StopSignal: 'SIGQUIT' }, { User: '1000', StopSignal: 'SIGINT' }).User, '1000')
})

t.test('env: Docker\'s defaults, then the body\'s, then the image\'s', async t => {
  const env = (body: string[] | null, image: string[] | undefined, tty = false): string[] =>
    dockerSpec(input(cli({}, { Env: body, Tty: tty, Hostname: 'h' }), { image: { Cmd: ['sh'], Env: image } })).process.env
  t.same(env(null, undefined), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h'])
  t.same(env(null, undefined, true), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'TERM=xterm'])
  t.same(env(['PATH=/mine'], ['PATH=/img', 'A=1']), ['PATH=/mine', 'HOSTNAME=h', 'A=1'], 'the body\'s PATH wins, in PATH\'s place')
  t.same(env(null, ['A=1', 'PATH=/img']), ['PATH=/img', 'HOSTNAME=h', 'A=1'], 'the image\'s PATH replaces the default in place')
  t.same(env(['A=2', 'B=2'], ['A=1', 'C=1']), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'A=2', 'B=2', 'C=1'])
  t.same(env(['A'], ['A=1', 'C=1']), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'C=1'], 'a bare key unsets the image\'s')
  t.same(env(['HOSTNAME=x', 'TERM=vt100'], undefined, true), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=x', 'TERM=vt100'], 'the body may override HOSTNAME and TERM')
})

t.test('capabilities: CapAdd, CapDrop, ALL, Privileged', async t => {
  const caps = (hc: Record<string, unknown>) => spec(hc).process.capabilities
  t.same(caps({ CapAdd: ['NET_ADMIN'] }).bounding, [...DEFAULT_CAPS, 'CAP_NET_ADMIN'])
  t.same(caps({ CapAdd: ['cap_sys_admin', 'Sys_Ptrace'] }).bounding, [...DEFAULT_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'case-insensitive, with or without CAP_')
  t.same(caps({ CapAdd: 'NET_ADMIN' }).bounding, [...DEFAULT_CAPS, 'CAP_NET_ADMIN'], 'a StrSlice string')
  t.same(caps({ CapDrop: ['CHOWN', 'CAP_KILL'] }).bounding, DEFAULT_CAPS.filter(c => c !== 'CAP_CHOWN' && c !== 'CAP_KILL'))
  t.same(caps({ CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'] }).bounding, ['CAP_NET_BIND_SERVICE'])
  t.same(caps({ CapDrop: ['all'] }).bounding, [])
  t.same(caps({ CapAdd: ['ALL'], CapDrop: ['SYS_ADMIN'] }).bounding, ALL_CAPS.filter(c => c !== 'CAP_SYS_ADMIN'))
  t.same(caps({ CapAdd: ['CHOWN'] }).bounding, DEFAULT_CAPS, 'no duplicates')
  t.same(caps({ Privileged: true, CapDrop: ['ALL'] }).bounding, ALL_CAPS, 'privileged gets everything')
  const c = caps({})
  t.same([c.effective, c.permitted], [DEFAULT_CAPS, DEFAULT_CAPS])
  t.same(spec({}, {}, { user: { uid: 1000, gid: 1000 } }).process.capabilities, { bounding: DEFAULT_CAPS }, 'a non-root user gets only the bounding set')
  refuses(t, () => spec({ CapAdd: ['NET_MAGIC'] }), 'unknown capability: "CAP_NET_MAGIC"')
  refuses(t, () => checkCreateBody(cli({ CapDrop: ['bogus'] })), 'unknown capability: "CAP_BOGUS"')
  t.same(capabilities([], [], false), DEFAULT_CAPS)
})

t.test('Privileged', async t => {
  const s = spec({ Privileged: true })
  t.notOk(s.linux.maskedPaths)
  t.notOk(s.linux.readonlyPaths)
  t.same(s.linux.resources.devices, [{ allow: true, access: 'rwm' }])
  t.same(mount(s, '/sys')?.options, ['nosuid', 'noexec', 'nodev'])
  t.same(mount(s, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev'])
})

t.test('resources', async t => {
  const r = (hc: Record<string, unknown>) => spec(hc).linux.resources
  t.same(r({ Memory: 64 << 20 }).memory, { limit: 64 << 20, swap: 128 << 20 }, 'swap defaults to twice the memory')
  t.same(r({ Memory: 64 << 20, MemorySwap: -1 }).memory, { limit: 64 << 20, swap: -1 })
  t.same(r({ Memory: 64 << 20, MemorySwap: 96 << 20, MemoryReservation: 32 << 20 }).memory, { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 })
  refuses(t, () => r({ Memory: 1024 }), 'Minimum memory limit allowed is 6MB')
  refuses(t, () => r({ Memory: 64 << 20, MemorySwap: 32 << 20 }), 'Minimum memoryswap limit should be larger than memory limit, see usage')
  refuses(t, () => r({ MemorySwap: 32 << 20 }), 'You should always set the Memory limit when using Memoryswap limit, see usage')
  refuses(t, () => r({ MemoryReservation: 1024 }), 'Minimum memory reservation allowed is 6MB')
  refuses(t, () => r({ Memory: 16 << 20, MemoryReservation: 32 << 20 }), 'Minimum memory limit can not be less than memory reservation limit, see usage')
  t.same(r({ NanoCpus: 500_000_000 }).cpu, { period: 100000, quota: 50000 })
  t.same(r({ NanoCpus: 1_000_000_000 }).cpu, { period: 100000, quota: 100000 })
  t.same(r({ CpuQuota: 20000, CpuPeriod: 50000, CpuShares: 512, CpusetCpus: '0', CpusetMems: '0' }).cpu, { shares: 512, period: 50000, quota: 20000, cpus: '0', mems: '0' })
  refuses(t, () => r({ NanoCpus: 500_000_000, CpuQuota: 20000 }), 'Conflicting options: Nano CPUs and CPU Quota cannot both be set')
  refuses(t, () => r({ NanoCpus: 500_000_000, CpuPeriod: 50000 }), 'Conflicting options: Nano CPUs and CPU Period cannot both be set')
  refuses(t, () => r({ NanoCpus: (availableParallelism() + 1) * 1e9 }), /^Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available$/)
  refuses(t, () => r({ CpuPeriod: 10 }), /CPU cfs period can not be less than 1ms/)
  refuses(t, () => r({ CpuQuota: 10 }), 'CPU cfs quota can not be less than 1ms (i.e. 1000)')
  refuses(t, () => r({ CpusetCpus: '0-' }), 'Invalid value 0- for cpuset cpus')
  refuses(t, () => r({ CpusetMems: 'x' }), 'Invalid value x for cpuset mems')
  // Refused here, or the kernel refuses the cgroup write (ERANGE) and the runtime fails with a 500.
  refuses(t, () => r({ CpusetCpus: '0-99999' }), /^Requested CPUs are not available - requested 0-99999, available: \d/)
  refuses(t, () => r({ CpusetMems: '7' }), /^Requested memory nodes are not available - requested 7, available: \d/)
  refuses(t, () => r({ CpuShares: 262_145 }), 'invalid CpuShares: 262145: the maximum allowed cpu-shares is 262144')
  t.same(r({ PidsLimit: 100 }).pids, { limit: 100 })
  t.notOk(r({ PidsLimit: 0 }).pids, '0 is unlimited')
  t.notOk(r({ PidsLimit: -1 }).pids, '-1 is unlimited')
  t.same(r({ DeviceCgroupRules: ['c 10:200 rwm', 'b *:* r'] }).devices.slice(-2), [
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, { allow: true, type: 'b', access: 'r' }
  ])
  refuses(t, () => r({ DeviceCgroupRules: ['c 10 rwm'] }), 'invalid device cgroup rule format: \'c 10 rwm\'')
})

t.test('resources that cgroup v1 honours: swappiness, OOM killer, real-time, block I/O, devices, CgroupParent', async t => {
  const r = (hc: Record<string, unknown>) => spec(hc).linux.resources
  t.same(r({ MemorySwappiness: 0, OomKillDisable: true }).memory, { swappiness: 0, disableOOMKiller: true })
  t.notOk(r({ MemorySwappiness: -1, OomKillDisable: false }).memory, '-1 is the CLI\'s "not set"')
  refuses(t, () => r({ MemorySwappiness: 101 }), 'Invalid value: 101, valid memory swappiness range is 0-100')
  t.same(r({ CpuRealtimePeriod: 1_000_000, CpuRealtimeRuntime: 0 }).cpu, { realtimePeriod: 1_000_000 })
  refuses(t, () => r({ CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }), 'cpu real-time runtime cannot be higher than cpu real-time period')
  refuses(t, () => spec({ CpuRealtimeRuntime: 1000 }, {}, { cgroupsPath: `/berth-none-${ID}/${ID}` }),
    /^CpuRealtimeRuntime 1000 is more than the parent cgroup \/berth-none-\w+ allows \(cpu.rt_runtime_us 0\)|kernel does not support CPU real-time scheduler/,
    'a parent the runtime would make has no real-time budget')
  t.equal(cgroupsPathOf(ID, {}), `/berth/${ID}`)
  t.equal(cgroupsPathOf(ID, { CgroupParent: 'mine/sub' }), `/mine/sub/${ID}`)
  t.equal(cgroupsPathOf(ID, { CgroupParent: '/../../etc' }), `/etc/${ID}`, '.. cannot climb above the root')

  // Block devices: the host's first one, by major:minor.
  const disk = readdirSync('/dev').map(n => `/dev/${n}`).find(p => { try { return statSync(p).isBlockDevice() } catch { return false } })
  if (disk !== undefined) {
    const st = statSync(disk)
    const io = r({ BlkioDeviceReadBps: [{ Path: disk, Rate: 1 << 20 }], BlkioDeviceWriteIOps: [{ Path: disk, Rate: 100 }] }).blockIO
    t.same(io, {
      throttleReadBpsDevice: [{ major: Math.floor(st.rdev / 256) & 0xfff, minor: st.rdev & 0xff, rate: 1 << 20 }],
      throttleWriteIOPSDevice: [{ major: Math.floor(st.rdev / 256) & 0xfff, minor: st.rdev & 0xff, rate: 100 }]
    }, `throttles on ${disk}`)
  }
  refuses(t, () => r({ BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1 }] }), 'BlkioDeviceReadBps: /dev/null is not a block device')
  refuses(t, () => r({ BlkioDeviceWriteBps: [{ Path: '/nonexistent', Rate: 1 }] }), 'stat /nonexistent: no such file or directory')
  refuses(t, () => r({ BlkioWeight: 5 }), /^Range of blkio weight is from 10 to 1000$|^BlkioWeight is not supported: /)

  // Devices: the node and its cgroup rule; a directory gives every device under it.
  const s = spec({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rw' }] })
  t.same(s.linux.devices, [{ path: '/dev/xnull', type: 'c', major: 1, minor: 3, fileMode: statSync('/dev/null').mode & 0o7777, uid: 0, gid: 0 }])
  t.same(s.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' })
  t.same(spec({ Devices: [{ PathOnHost: '/dev/zero' }] }).linux.devices?.map(d => [d.path, d.major, d.minor]), [['/dev/zero', 1, 5]], 'SDK defaults: same path, rwm')
  t.equal(spec({ Devices: [{ PathOnHost: '/dev/zero' }] }).linux.resources.devices.at(-1)?.access, 'rwm')
  const dir = mkdtempSync(join(tmpdir(), 'berth-devs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'sub'))
  t.equal(spawnSync('mknod', [join(dir, 'sub', 'n'), 'c', '1', '3']).status, 0, 'mknod')
  writeFileSync(join(dir, 'plain'), '')
  t.same(spec({ Devices: [{ PathOnHost: dir, PathInContainer: '/dev/mine', CgroupPermissions: 'r' }] }).linux.devices?.map(d => d.path), ['/dev/mine/sub/n'])
  refuses(t, () => spec({ Devices: [{ PathOnHost: join(dir, 'plain') }] }), `error gathering device information while adding custom device "${join(dir, 'plain')}": not a device node`)
  refuses(t, () => spec({ Devices: [{ PathOnHost: '/dev/nonexistent' }] }), 'error gathering device information while adding custom device "/dev/nonexistent": no such file or directory')
  refuses(t, () => spec({ Devices: [{ PathOnHost: '/dev/null', CgroupPermissions: 'rwx' }] }), 'invalid device mode: rwx')
  refuses(t, () => spec({ Devices: [{ PathOnHost: 'dev/null' }] }), 'Devices: PathOnHost "dev/null" is not an absolute path')
  t.notOk(spec({ Privileged: true, Devices: [{ PathOnHost: '/dev/null' }] }).linux.devices, 'privileged containers get every device by their rules')
  refuses(t, () => spec({ Devices: [{ PathOnHost: '/usr' }] }), /^Devices: \/usr holds more than 10000 entries: name the devices instead$|not a device node$/, 'a huge directory is not walked whole')

  // IpcMode host: no IPC namespace, the host's /dev/shm.
  const ipc = spec({ IpcMode: 'host' })
  t.notOk(ipc.linux.namespaces.some(n => n.type === 'ipc'))
  t.same(mount(ipc, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] })
})

t.test('process settings: Ulimits, SecurityOpt, OomScoreAdj, GroupAdd', async t => {
  const s = spec({ Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'memlock', Soft: -1, Hard: -1 }], OomScoreAdj: 500, GroupAdd: ['10', '20'] },
    {}, { user: { uid: 0, gid: 0, additionalGids: [10] } })
  t.same(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }, { type: 'RLIMIT_MEMLOCK', soft: 2n ** 64n - 1n, hard: 2n ** 64n - 1n }])
  t.match(specJson(s), /"soft": 18446744073709551615,\n\s+"hard": 18446744073709551615/, 'RLIM_INFINITY written exactly')
  t.equal(JSON.parse(specJson(spec())).ociVersion, '1.0.2')
  t.equal(s.process.oomScoreAdj, 500)
  t.same(s.process.user.additionalGids, [10, 20])
  refuses(t, () => spec({ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }), 'invalid ulimit type: bogus')
  refuses(t, () => spec({ Ulimits: [{ Name: 'nofile', Soft: 2, Hard: 1 }] }), 'ulimit soft limit must be less than or equal to hard limit: 2 > 1')
  // Negative is unlimited, so above any hard limit (runc failed on the float 2^64 it was handed).
  refuses(t, () => spec({ Ulimits: [{ Name: 'core', Soft: -5, Hard: 10 }] }), 'ulimit soft limit must be less than or equal to hard limit: -5 > 10')
  refuses(t, () => spec({ Ulimits: [{ Name: 'nofile', Soft: -1, Hard: -1 }] }), /^ulimit nofile: hard limit unlimited is above the kernel's maximum of \d+ open files \(fs.nr_open\)$/)
  t.same(parseSpecJson(specJson(s)), s, 'config.json read back keeps RLIM_INFINITY exact')
  refuses(t, () => spec({ OomScoreAdj: 1001 }), 'Invalid value 1001, range for oom score adj is [-1000, 1000]')
  t.same(spec({ GroupAdd: ['audio', '30'] }).process.user, { uid: 0, gid: 0, additionalGids: [30] }, 'names are the caller\'s to resolve in the image')
  refuses(t, () => spec({ GroupAdd: ['a:b'] }), 'GroupAdd: invalid group "a:b"')
  for (const o of ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true', 'no-new-privileges=1']) {
    t.equal(spec({ SecurityOpt: [o] }).process.noNewPrivileges, true, o)
  }
  t.notOk(spec({ SecurityOpt: ['no-new-privileges:false'] }).process.noNewPrivileges)
  for (const o of ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'label:disable']) t.doesNotThrow(() => spec({ SecurityOpt: [o] }), o)
  refuses(t, () => spec({ SecurityOpt: ['seccomp=/etc/profile.json'] }), /^Decoding seccomp profile failed: .*not its path\)$/)
  refuses(t, () => spec({ SecurityOpt: ['no-new-privileges:maybe'] }), 'invalid --security-opt 2: "no-new-privileges:maybe"')
})

t.test('sysctls and annotations', async t => {
  const s = spec({ Sysctls: { 'net.core.somaxconn': '1024', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '20', 'net.ipv4.ip_unprivileged_port_start': '1024' }, Annotations: { 'org.x': 'y' } })
  t.same(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '1024', 'net.core.somaxconn': '1024', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '20' })
  t.same(s.annotations, { 'org.x': 'y' })
  refuses(t, () => spec({ Sysctls: { 'kernel.pid_max': '1' } }), /^Sysctls: sysctl 'kernel.pid_max' is not allowed/)
  refuses(t, () => spec({ Sysctls: { 'vm.swappiness': '1' } }), /is not allowed/)
  refuses(t, () => spec({ NetworkMode: 'host', Sysctls: { 'net.core.somaxconn': '1' } }), 'sysctl "net.core.somaxconn" not allowed in host network namespace')
  t.same(spec({ NetworkMode: 'host', Sysctls: { 'kernel.sem': '1 2 3 4' } }).linux.sysctl, { 'kernel.sem': '1 2 3 4' })
})

t.test('network modes', async t => {
  const ns = (s: OciSpec) => s.linux.namespaces.map(n => n.type)
  // The namespace of a network or container: mode gets its path at launch (containers/networking.ts).
  for (const mode of ['', 'default', 'none', 'bridge', 'mynet', 'container:abc']) {
    const s = spec({ NetworkMode: mode })
    t.same(ns(s), ['mount', 'network', 'uts', 'pid', 'ipc'], `"${mode}" is a private network namespace`)
    t.equal(s.hostname, ID.slice(0, 12))
  }
  t.same(ns(spec({}, { NetworkDisabled: true })), ['mount', 'network', 'uts', 'pid', 'ipc'])
  const host = spec({ NetworkMode: 'host' }, {}, { hostHostname: 'buildbox' })
  t.same(ns(host), ['mount', 'uts', 'pid', 'ipc'], 'host: no network namespace')
  t.equal(host.hostname, 'buildbox', 'host: the host\'s hostname, in a private UTS namespace (as Docker does)')
  t.ok(host.process.env.includes('HOSTNAME=buildbox'))
  t.notOk(host.linux.sysctl, 'no network sysctls in the host\'s namespace')
  t.equal(spec({ NetworkMode: 'host' }, { Hostname: 'mine' }).hostname, 'mine')
  t.equal(containerHostname(ID, cli({ NetworkMode: 'host' }), 'h'), 'h')
  t.equal(containerHostname(ID, cli(), 'h'), ID.slice(0, 12))
  refuses(t, () => checkCreateBody(cli({ NetworkMode: 'container:' })), 'invalid network mode: container: needs a container name or id')
  t.doesNotThrow(() => checkCreateBody(cli({ NetworkMode: 'host' }, { NetworkingConfig: { EndpointsConfig: { host: {} } } })))
  t.doesNotThrow(() => checkCreateBody(cli({}, { NetworkingConfig: { EndpointsConfig: { mynet: { Aliases: ['db'] } } } })))
  refuses(t, () => checkCreateBody(cli({ LogConfig: { Type: 'asdf', Config: {} } })), 'logger: no log driver named \'asdf\' is registered')
  refuses(t, () => checkCreateBody(cli({ LogConfig: { Type: 'syslog', Config: {} } })), /^LogConfig.Type is not supported: /)
  refuses(t, () => checkCreateBody(cli({}, { NetworkingConfig: { EndpointsConfig: { mynet: { IPAddress: '10.0.0.9' } } } })), /^NetworkingConfig.EndpointsConfig.mynet.IPAddress is not supported/)
})

t.test('namespace modes', async t => {
  const ns = (hc: Record<string, unknown>, over: Partial<SpecInput> = {}) => spec(hc, {}, over).linux.namespaces.map(n => n.type)
  t.same(ns({ PidMode: 'host' }), ['mount', 'network', 'uts', 'ipc'])
  t.same(ns({ CgroupnsMode: 'private' }), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup'])
  t.same(ns({}, { defaultCgroupns: 'private' }), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup'], 'Docker\'s default on cgroup v2')
  t.same(ns({ CgroupnsMode: 'host' }, { defaultCgroupns: 'private' }), ['mount', 'network', 'uts', 'pid', 'ipc'])
  const uts = spec({ UTSMode: 'host' })
  t.same(uts.linux.namespaces.map(n => n.type), ['mount', 'network', 'pid', 'ipc'])
  t.notOk(uts.hostname, 'no hostname without a UTS namespace')
  refuses(t, () => spec({ UTSMode: 'host' }, { Hostname: 'x' }), 'Conflicting options: hostname and the UTS mode')
  t.notOk(mount(spec({ IpcMode: 'none' }), '/dev/shm'), 'IpcMode none: no /dev/shm')
  t.ok(mount(spec({ IpcMode: 'shareable' }), '/dev/shm'))
})

t.test('Init wraps the command', async t => {
  const s = spec({ Init: true }, {}, { init: '/usr/bin/catatonit' })
  t.same(s.process.args, [INIT_PATH, '--', 'echo', 'hi'])
  t.same(mount(s, INIT_PATH), { destination: INIT_PATH, type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro'] })
  t.same(spec({ Init: true, PidMode: 'host' }, {}, { init: '/usr/bin/tini' }).process.args, ['echo', 'hi'], 'not in the host\'s pid namespace')
  t.same(spec({ Init: true, PidMode: 'container:web' }, {}, { init: '/usr/bin/tini' }).process.args, ['echo', 'hi'], 'nor in another container\'s')
  t.equal(pidContainer({ PidMode: 'container:web' }), 'web')
  t.equal(pidContainer({ PidMode: 'host' }), undefined)
  t.ok(spec({ PidMode: 'container:web' }).linux.namespaces.some(n => n.type === 'pid'), 'a pid namespace whose path the manager fills in at each run')
  t.same(spec({ Init: false }, {}, { init: '/usr/bin/tini' }).process.args, ['echo', 'hi'])
  refuses(t, () => spec({ Init: true }), /^Init is not supported/)
})

t.test('Binds', async t => {
  const s = spec({ Binds: ['/srv/data:/data', '/srv/conf:/etc/app:ro', '/a:/b:rw,rslave', '/c:/d:z', '/e:/f/:ro,Z,shared'] })
  t.same(s.mounts.slice(7).map(m => [m.source, m.destination, m.type, m.options.join(',')]), [
    ['/srv/data', '/data', 'bind', 'rbind,rprivate'],
    ['/a', '/b', 'bind', 'rbind,rslave'],
    ['/c', '/d', 'bind', 'rbind,rprivate'],
    ['/e', '/f', 'bind', 'rbind,ro,shared'],
    ['/srv/conf', '/etc/app', 'bind', 'rbind,ro,rprivate'],
    [FILES.resolvConf, '/etc/resolv.conf', 'bind', 'rbind,rprivate'],
    [FILES.hostname, '/etc/hostname', 'bind', 'rbind,rprivate'],
    [FILES.hosts, '/etc/hosts', 'bind', 'rbind,rprivate']
  ], 'after the defaults, parents before children')
  refuses(t, () => spec({ Binds: ['./data:/data'] }), /^create \.\/data: "\.\/data" includes invalid characters for a local volume name/)
  refuses(t, () => spec({ Binds: ['data:/data:rslave'] }), /invalid mode: rslave/, 'no propagation for a volume')
  refuses(t, () => spec({ Binds: ['/h:/data:nocopy'] }), /invalid mode: nocopy/, 'no nocopy for a bind')
  refuses(t, () => spec({ Binds: ['/srv:data'] }), 'invalid volume specification: \'/srv:data\': invalid mount config for type "bind": invalid mount path: \'data\' mount path must be absolute')
  refuses(t, () => spec({ Binds: ['/srv:/'] }), 'invalid specification: destination can\'t be \'/\'')
  refuses(t, () => spec({ Binds: ['/a:/b:c:d'] }), 'invalid volume specification: \'/a:/b:c:d\'')
  refuses(t, () => spec({ Binds: ['/a:/b:rx'] }), 'invalid volume specification: \'/a:/b:rx\': invalid mode: rx')
  refuses(t, () => spec({ Binds: ['/a:/b:ro,rw'] }), /invalid mode: ro,rw/)
  refuses(t, () => spec({ Binds: [':/b'] }), 'invalid volume specification: \':/b\'')
})

t.test('Mounts and Tmpfs', async t => {
  const s = spec({
    Mounts: [
      { Type: 'bind', Source: '/srv/x', Target: '/x', ReadOnly: true },
      { Type: 'bind', Source: '/srv/y', Target: '/y', BindOptions: { Propagation: 'rshared', NonRecursive: true } },
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 64 << 20, Mode: 0o1777 } },
      { Type: 'tmpfs', Target: '/ro', ReadOnly: true, TmpfsOptions: { SizeBytes: 1000, Options: [['exec'], ['uid', '1000']] } }
    ],
    Tmpfs: { '/run': 'size=10m,exec', '/cache': '' }
  })
  t.same(mount(s, '/x'), { destination: '/x', type: 'bind', source: '/srv/x', options: ['rbind', 'ro', 'rprivate'] })
  t.same(mount(s, '/y'), { destination: '/y', type: 'bind', source: '/srv/y', options: ['bind', 'rshared'] })
  t.same(mount(s, '/scratch'), { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=1777', 'size=64m'] })
  t.same(mount(s, '/ro')?.options, ['nosuid', 'nodev', 'rprivate', 'ro', 'size=1000', 'exec', 'uid=1000'])
  t.same(mount(s, '/run')?.options, ['nosuid', 'nodev', 'rprivate', 'size=10m', 'exec'], 'the last of exec/noexec wins')
  t.same(mount(s, '/cache')?.options, ['noexec', 'nosuid', 'nodev', 'rprivate'])
  t.same(mergeTmpfsOptions(['noexec', 'size=1m', 'defaults', 'size=2m', 'private', 'rshared']), ['noexec', 'size=2m', 'rshared'])
  refuses(t, () => mergeTmpfsOptions(['bogus']), 'invalid tmpfs option ["bogus"]')
  refuses(t, () => spec({ Tmpfs: { '/t': 'size=1m,color=red' } }), 'invalid tmpfs option ["color","red"]')
  refuses(t, () => spec({ Tmpfs: { '/t': 'size=-1' } }), 'invalid tmpfs option "size=-1": size must be a number of bytes with an optional k, m or g suffix, or a percentage')
  refuses(t, () => spec({ Tmpfs: { '/t': 'mode=999' } }), 'invalid tmpfs option "mode=999": mode must be an octal file mode')
  t.same(mount(spec({ Tmpfs: { '/t': 'size=50%,nr_inodes=1k,mode=700,uid=1' } }), '/t')?.options.slice(-4), ['size=50%', 'nr_inodes=1k', 'mode=700', 'uid=1'])
  refuses(t, () => spec({ Tmpfs: { run: '' } }), /invalid mount path: 'run' mount path must be absolute/)
  refuses(t, () => spec({ Mounts: [{ Type: 'volume', Source: '../v', Target: '/v' }] }), /invalid volume name "\.\.\/v"/)
  refuses(t, () => spec({ Mounts: [{ Type: 'volume', Target: '/v', BindOptions: { Propagation: 'shared' } }] }), /field BindOptions must not be specified/)
  refuses(t, () => spec({ Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { Subpath: 'a' } }] }), /Subpath is not supported/)
  refuses(t, () => spec({ Mounts: [{ Type: 'npipe', Source: 'v', Target: '/v' }] }), /^Mounts: type "npipe" is not supported/)
  refuses(t, () => spec({ Mounts: [{ Type: 'bind', Target: '/v' }] }), 'invalid mount config for type "bind": field Source must not be empty')
  refuses(t, () => spec({ Mounts: [{ Type: 'bind', Source: 'rel', Target: '/v' }] }), /invalid mount path: 'rel' mount path must be absolute/)
  refuses(t, () => spec({ Mounts: [{ Type: 'bind', Source: '/s' }] }), 'invalid mount config for type "bind": field Target must not be empty')
  refuses(t, () => spec({ Mounts: [{ Type: 'tmpfs', Source: '/s', Target: '/t' }] }), 'invalid mount config for type "tmpfs": field Source must not be specified')
  refuses(t, () => spec({ Mounts: [{ Type: 'tmpfs', Target: '/t', BindOptions: { Propagation: 'shared' } }] }), /field BindOptions must not be specified/)
  refuses(t, () => spec({ Mounts: [{ Type: 'bind', Source: '/s', Target: '/t', BindOptions: { Propagation: 'sideways' } }] }), /invalid propagation mode: sideways/)
})

t.test('mount destinations: duplicates, replacing defaults, read-only rootfs', async t => {
  refuses(t, () => spec({ Binds: ['/a:/data', '/b:/data/'] }), 'Duplicate mount point: /data')
  refuses(t, () => spec({ Binds: ['/a:/data'], Tmpfs: { '/data': '' } }), 'Duplicate mount point: /data')
  refuses(t, () => spec({ Binds: ['/a:/data'], Mounts: [{ Type: 'tmpfs', Target: '/data' }] }), 'Duplicate mount point: /data')
  const shm = spec({ ShmSize: 1 << 20, Tmpfs: { '/dev/mqueue': '' }, Binds: ['/my/hosts:/etc/hosts:ro'] })
  t.same(mount(shm, '/dev/shm')?.options.at(-1), 'size=1048576')
  t.equal(shm.mounts.filter(m => m.destination === '/dev/mqueue').length, 1, 'a user mount replaces a default one')
  t.equal(mount(shm, '/dev/mqueue')?.type, 'tmpfs')
  t.same(mount(shm, '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/my/hosts', options: ['rbind', 'ro', 'rprivate'] }, 'and the /etc files')
  const devs = spec({ Binds: ['/dev:/dev'] })
  t.same(devs.mounts.filter(m => m.destination.startsWith('/dev')).map(m => m.destination), ['/dev'], 'a user /dev drops every default under it')
  refuses(t, () => spec({ ShmSize: -1 }), 'SHM size can not be less than 0')
  const ro = spec({ ReadonlyRootfs: true, Binds: ['/a:/data'] })
  t.equal(ro.root.readonly, true)
  t.same(ro.mounts.filter(m => m.options.includes('ro')).map(m => m.destination), ['/sys', '/sys/fs/cgroup', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts'])
  t.same(mount(ro, '/etc/hosts')?.options, ['rbind', 'ro', 'rprivate'])
  t.same(mount(ro, '/data')?.options, ['rbind', 'rprivate'], 'user mounts keep their own mode')
  t.same(spec({ MaskedPaths: [], ReadonlyPaths: ['/proc/sys'] }).linux, { ...spec().linux, maskedPaths: [], readonlyPaths: ['/proc/sys'] }, 'the lists replace the defaults')
  refuses(t, () => spec({ MaskedPaths: ['proc'] }), 'MaskedPaths: "proc" is not an absolute path')
})

t.test('restart policies are checked as Docker checks them', async t => {
  refuses(t, () => checkCreateBody(cli({ RestartPolicy: { Name: 'sometimes', MaximumRetryCount: 0 } })),
    'invalid restart policy: unknown policy \'sometimes\'; use one of \'no\', \'always\', \'on-failure\', or \'unless-stopped\'')
  refuses(t, () => checkCreateBody(cli({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } })), /can only be used with 'on-failure'$/)
  refuses(t, () => checkCreateBody(cli({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } })), /cannot be negative/)
  refuses(t, () => checkCreateBody(cli({ RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, AutoRemove: true })),
    'can\'t create \'AutoRemove\' container with restart policy')
  refuses(t, () => dockerSpec(input(cli({ RestartPolicy: { Name: 'always' }, AutoRemove: true }))), /AutoRemove/, 'dockerSpec checks too')
})

t.test('unsupported fields are refused naming them; their zero values pass', async t => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
    ['Links', { Links: ['db:db'] }],
    ['VolumeDriver', { VolumeDriver: 'nfs' }],
    ['DeviceRequests', { DeviceRequests: [{ Driver: 'nvidia', Count: -1 }] }],
    ['CpuCount', { CpuCount: 2 }],
    ['CpuPercent', { CpuPercent: 50 }],
    ['IOMaximumIOps', { IOMaximumIOps: 1 }],
    ['IOMaximumBandwidth', { IOMaximumBandwidth: 1 }],
    ['KernelMemory', { KernelMemory: 1 << 24 }],
    ['KernelMemoryTCP', { KernelMemoryTCP: 1 << 24 }],
    ['Cgroup', { Cgroup: 'container:x' }],
    ['UsernsMode', { UsernsMode: 'private' }],
    ['StorageOpt', { StorageOpt: { size: '1G' } }],
    ['Isolation', { Isolation: 'hyperv' }],
    ['LogConfig.Type', { LogConfig: { Type: 'syslog', Config: {} } }],
    ['IpcMode', { IpcMode: 'container:x' }],
    ['PidMode', { PidMode: 'container:' }],
    ['PidMode', { PidMode: 'other' }],
    ['UTSMode', { UTSMode: 'container:x' }],
    ['CgroupnsMode', { CgroupnsMode: 'other' }],
    ['MacAddress', {}, { MacAddress: '02:42:ac:11:00:02' }]
  ]
  for (const [name, hc, top] of cases) {
    refuses(t, () => checkCreateBody(cli(hc, top)), new RegExp(`^${name.replace('.', '\\.')} is not supported: `), name)
    refuses(t, () => dockerSpec(input(cli(hc, top))), new RegExp(`^${name.replace('.', '\\.')} is not supported: `), `${name} (dockerSpec checks too)`)
  }
  const accepted: Array<Record<string, unknown>> = [
    { RestartPolicy: { Name: '', MaximumRetryCount: 0 } }, { RestartPolicy: null }, { RestartPolicy: { Name: '', MaximumRetryCount: 3 } },
    { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
    { RestartPolicy: { Name: 'no' }, AutoRemove: true }, { LogConfig: { Type: 'json-file', Config: null } },
    { LogConfig: { Type: 'k8s-file' } }, { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } },
    { LogConfig: { Type: 'local', Config: {} } }, { LogConfig: { Type: 'none', Config: { anything: 'x' } } }, { IpcMode: 'private' }, { IpcMode: 'shareable' }, { Isolation: 'default' }, { MemorySwappiness: -1 },
    { OomKillDisable: null }, { PortBindings: null }, { Devices: null }, { BlkioWeightDevice: null }, { Runtime: 'crun' }, { AutoRemove: true },
    { ContainerIDFile: '/tmp/cid' }, { KernelMemory: 0 }, { StorageOpt: {} }, { Annotations: {} }, { UsernsMode: 'host' }
  ]
  for (const hc of accepted) t.doesNotThrow(() => checkCreateBody(cli(hc)), JSON.stringify(hc))
  for (const hc of [{ Test: [] }, { Test: ['NONE'] }, { Test: null, Interval: 0 }, null, {}, { Test: ['CMD', 'true'], Interval: 1e9 }]) t.doesNotThrow(() => checkCreateBody(cli({}, { Healthcheck: hc })), `Healthcheck ${JSON.stringify(hc)}`)
  refuses(t, () => checkCreateBody(cli({}, { Healthcheck: { Test: ['CMD', 'true'], Interval: 1000 } })), /^Interval in Healthcheck cannot be less than 1ms$/, 'Docker\'s check of a health interval')
  // Every HostConfig key at its zero value, in every zero form.
  const zeros = Object.fromEntries(Object.keys(dockerCliBody().HostConfig).map(k => [k, null]))
  t.doesNotThrow(() => checkCreateBody(cli(zeros)), 'all null')
  t.doesNotThrow(() => checkCreateBody({ HostConfig: {} }))
  t.ok([undefined, null, '', 0, false, [], {}, [0, 0], { a: { b: [''] } }].every(isZero))
  t.notOk([1, 'x', true, [1], { a: 1 }, -1].some(isZero))
})

t.test('/etc/hosts and /etc/resolv.conf', async t => {
  t.equal(hostsFile('web'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n' +
    'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.0.1\tweb\n')
  t.match(hostsFile('web', ['db:10.0.0.5', 'v6:[::2]', 'eq=10.0.0.6']), /ip6-allrouters\n10\.0\.0\.5\tdb\n::2\tv6\n10\.0\.0\.6\teq\n127\.0\.0\.1\tweb\n$/)
  t.equal(hostsFile('web', ['db:10.0.0.5'], '127.0.0.1 localhost\n192.168.1.2 vm\n\n'), '127.0.0.1 localhost\n192.168.1.2 vm\n10.0.0.5\tdb\n', 'host networking: the host\'s file plus ExtraHosts')
  refuses(t, () => hostsFile('web', ['db:nope']), 'invalid IP address in add-host: "nope"')
  refuses(t, () => checkCreateBody(cli({ ExtraHosts: ['db'] })), 'invalid IP address in add-host: ""')
  refuses(t, () => checkCreateBody(cli({ ExtraHosts: ['gw:host-gateway'] })), /^ExtraHosts is not supported: "gw:host-gateway"/)
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\nsearch lan example.com\noptions edns0 trust-ad\n'
  t.equal(resolvConf(host), 'nameserver 10.0.0.1\nsearch lan example.com\noptions edns0 trust-ad\n', 'localhost nameservers dropped')
  t.equal(resolvConf('nameserver 127.0.0.53\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n', 'Google\'s when none remain')
  t.equal(resolvConf(host, { hostNetwork: true }), host, 'host networking copies the host\'s')
  t.equal(resolvConf(host, { dns: ['1.1.1.1'], dnsSearch: ['.'], dnsOptions: ['ndots:2'] }), 'nameserver 1.1.1.1\noptions ndots:2\n')
  t.equal(resolvConf(host, { dnsSearch: ['corp'] }), 'nameserver 10.0.0.1\nsearch corp\noptions edns0 trust-ad\n')
  refuses(t, () => checkCreateBody(cli({ Dns: ['dns.example'] })), 'Dns: dns.example is not an ip address')
  t.doesNotThrow(() => checkCreateBody(cli({ Dns: ['1.1.1.1', '2606:4700::1111'], DnsSearch: ['x'], DnsOptions: ['ndots:1'] })), 'honoured through resolvConf')
})

t.test('errors are BerthErrors', async t => {
  refuses(t, () => checkCreateBody(cli({ StorageOpt: { size: '1G' } })), /^StorageOpt is not supported/, 'a map\'s keys count')
  try { checkCreateBody(cli({ Links: ['a:b'] })); t.fail('accepted') } catch (err) { t.ok(err instanceof BerthError) }
})

t.test('cpusetWithin', async t => {
  const rows: Array<[string, string, boolean]> = [
    ['0', '0-1', true], ['0-1', '0-1', true], ['1,0', '0-1', true], ['2', '0-1', false], ['0-99999', '0-1', false],
    ['0-3', '0-1,2-3', true], ['0-3', '0-1,3', false], ['3-1', '0-3', false], ['5', '0-3,5', true]
  ]
  for (const [asked, available, want] of rows) t.equal(cpusetWithin(asked, available), want, `${asked} of ${available}`)
})

t.test('C strings: no NUL byte, paths within PATH_MAX', async t => {
  refuses(t, () => checkCreateBody(cli({}, { Hostname: 'a\u0000b' })), 'Hostname must not contain a NUL byte')
  refuses(t, () => checkCreateBody(cli({}, { Env: ['A=1', 'B=x\u0000y'] })), 'Env.1 must not contain a NUL byte')
  refuses(t, () => checkCreateBody(cli({ Binds: ['/a:/b\u0000'] })), 'HostConfig.Binds.0 must not contain a NUL byte')
  refuses(t, () => spec({}, { Cmd: ['x'.repeat(4096)] }), 'the command\'s executable is 4096 bytes long: the kernel\'s limit for a path is 4095 bytes')
  t.doesNotThrow(() => spec({}, { Cmd: ['x'.repeat(4095), 'y'.repeat(100_000)] }), 'a long argument is the kernel\'s to judge, not a path')
  refuses(t, () => spec({}, { WorkingDir: `/${'w'.repeat(5000)}` }), /^the working directory is 5001 bytes long/)
  refuses(t, () => spec({ Tmpfs: { [`/${'m'.repeat(5000)}`]: '' } }), /^a mount point is 5001 bytes long/)
})

t.test('Volumes: a path a mount covers gets no volume (the bind wins), any other an anonymous one', async t => {
  const covered: Array<[Record<string, unknown>, Record<string, object>, string]> = [
    [{ Binds: ['/h:/data'] }, { '/data/': {} }, 'a bind, the key cleaned'],
    [{ Mounts: [{ Type: 'bind', Source: '/h', Target: '/m/./x' }] }, { '/m//x': {} }, 'a Mounts bind'],
    [{ Tmpfs: { '/run': '' } }, { '/run': {} }, 'a tmpfs'],
    [{ Binds: ['vol:/data'] }, { '/data': {} }, 'a named volume'],
    // docker-py 5's rstrip(':ro').rstrip(':rw') (docker-py#3073): /ctr comes as /ct, /var/www:rw as /var/.
    [{ Binds: ['/h:/ctr'] }, { '/ct': {} }, 'docker-py 5\'s key for /ctr'],
    [{ Binds: ['/h:/var/www:rw'] }, { '/var/': {} }, 'docker-py 5\'s key for /var/www:rw'],
    [{ Binds: ['/h:/foo:ro'] }, { '/f': {}, '/foo': {} }, 'either key']
  ]
  const anonymous = (hc: Record<string, unknown>, Volumes: Record<string, object>): string[] => {
    const body = cli(hc, { Volumes })
    return anonymousVolumePaths(body, userMounts(body.HostConfig ?? {}))
  }
  for (const [hc, Volumes, what] of covered) t.strictSame(anonymous(hc, Volumes), [], what)
  t.strictSame(anonymous({ Binds: ['/h:/data'] }, { '/data': {}, '/logs': {} }), ['/logs'])
  t.strictSame(anonymous({ Binds: ['/h:/data'] }, { '/dat': {} }), ['/dat'], 'only docker-py\'s own mangling counts')
  refuses(t, () => checkCreateBody(cli({}, { Volumes: { data: {} } })), /invalid mount path: 'data' mount path must be absolute/)
})

t.test('volumes in Binds, Mounts and VolumesFrom (pure parsing); the spec takes the volumes\' binds in their place', async t => {
  t.strictSame(userMounts({ Binds: ['data:/data', '/anon', 'v2:/v2:ro,nocopy'], Mounts: [{ Type: 'volume', Target: '/m/', ReadOnly: true, VolumeOptions: { NoCopy: true } }] }), [
    { destination: '/data', type: 'volume', source: 'data', options: [] },
    { destination: '/anon', type: 'volume', source: '', options: [] },
    { destination: '/v2', type: 'volume', source: 'v2', options: ['ro', 'nocopy'] },
    { destination: '/m', type: 'volume', source: '', options: ['ro', 'nocopy'] }
  ])
  t.strictSame(parseVolumesFrom('web'), { ref: 'web', mode: '' })
  t.strictSame(parseVolumesFrom('web:ro'), { ref: 'web', mode: 'ro' })
  refuses(t, () => checkCreateBody(cli({ VolumesFrom: ['web:rx'] })), 'invalid mode for volumes-from: rx')
  refuses(t, () => checkCreateBody(cli({ VolumesFrom: [':ro'] })), 'invalid volumes-from: \':ro\'')
  const s = spec({ Binds: ['data:/data', '/h:/h'] }, {}, { volumes: [bindMount('/root/volumes/data/_data', '/data', false), bindMount('/root/volumes/x/_data', '/from', true)] })
  t.strictSame(mount(s, '/data'), { destination: '/data', type: 'bind', source: '/root/volumes/data/_data', options: ['rbind', 'rprivate'] })
  t.strictSame(mount(s, '/from')?.options, ['rbind', 'ro', 'rprivate'])
  t.notOk(s.mounts.some(m => m.type === 'volume'))
  t.throws(() => spec({ Binds: ['data:/data'] }), /volume mounts without their binds/, 'a volume never reaches the runtime unresolved')
})

t.test('rootfsPropagation: shared for a shared bind, else rslave for a slave one (moby WithMounts)', async t => {
  const propagation = (binds: string[]) => spec({ Binds: binds }).linux.rootfsPropagation
  t.equal(propagation([]), undefined)
  t.equal(propagation(['/h:/a', '/h:/b:rprivate']), undefined)
  t.equal(propagation(['/h:/a:rslave']), 'rslave')
  t.equal(propagation(['/h:/a:slave', '/h:/b:rshared']), 'shared')
  t.equal(propagation(['/h:/a:shared']), 'shared')
  t.equal(rootfsPropagation([{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['rshared'] }]), undefined, 'only binds count')
})

t.test('propagationProblem: moby\'s ensureShared and ensureSharedOrSlave over a mount table', async t => {
  const info = [
    '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '40 27 0:40 / /srv rw,relatime - tmpfs tmpfs rw',
    '41 40 0:41 / /srv/slave rw,relatime master:7 - tmpfs tmpfs rw',
    '42 27 0:42 / /my\\040dir rw,relatime - tmpfs tmpfs rw',
    '43 27 0:43 / /srv2 rw,relatime shared:9 master:3 - tmpfs tmpfs rw'
  ].join('\n')
  const rows: Array<[string, string, string | undefined]> = [
    ['/home/x', 'rshared', undefined],
    ['/home/x', 'rprivate', undefined],
    ['/srv/x', 'rprivate', undefined],
    ['/srv/x', 'rshared', 'path /srv/x is mounted on /srv but it is not a shared mount'],
    ['/srv', 'shared', 'path /srv is mounted on /srv but it is not a shared mount'],
    ['/srv/x', 'rslave', 'path /srv/x is mounted on /srv but it is not a shared or slave mount'],
    ['/srv/slave/x', 'rslave', undefined],
    ['/srv/slave/x', 'rshared', 'path /srv/slave/x is mounted on /srv/slave but it is not a shared mount'],
    ['/srvx', 'rshared', undefined],
    ['/my dir/a', 'slave', 'path /my dir/a is mounted on /my dir but it is not a shared or slave mount'],
    ['/srv2/a', 'rshared', undefined]
  ]
  for (const [source, propagation, want] of rows) t.equal(propagationProblem(info, source, propagation), want, `${source} ${propagation}`)
  const stacked = `${info}\n44 27 0:44 / /srv rw,relatime shared:12 - tmpfs tmpfs rw`
  t.equal(propagationProblem(stacked, '/srv/x', 'rshared'), undefined, 'the last mount on a point is the one seen')
})
