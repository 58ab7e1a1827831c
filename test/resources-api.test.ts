/**
 * The issue 13 HostConfig fields through berthd, with runc and crun: inspect
 * shows what was given, CgroupParent places the container, GroupAdd names
 * are looked up in the image, PidMode container:<name> joins a running
 * container's PID namespace and refuses a stopped one with Docker's message,
 * and real-time time under /berth (which has no budget) is a 400 that says why.
 * The namespace modes are checked from inside: UTSMode host (the host's
 * hostname), PidMode host (the host's pids), and each IpcMode by the IPC
 * namespace the process is in, compared with the host's and a running
 * container's (none: no /dev/shm; container:<id> a 400 that names it).
 */
import t from 'tap'
import type { Test } from 'tap'
import { readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { deframe } from '../src/logs/logs.js'
import { execa } from 'execa'
import { DOCKER, RUNTIMES, dockerEnv, dockerTest, importBusybox, startDaemon, type Daemon } from './helpers.js'

const CGROUP = '/sys/fs/cgroup'

async function create (d: Daemon, name: string, body: Record<string, unknown>) {
  return await d.req('POST', `/containers/create?name=${name}`, { Image: 'bb', ...body })
}

/** Runs a created container to its end and gives its stdout. */
async function output (d: Daemon, id: string): Promise<string> {
  const start = await d.req('POST', `/containers/${id}/start`)
  if (start.status !== 204) throw new Error(`start: ${start.status} ${JSON.stringify(start.body)}`)
  await d.req('POST', `/containers/${id}/wait`)
  return deframe((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw).map(f => f.data.toString()).join('')
}

/** What a container sees of its namespaces: one `key=value` line each (TESTPID, SHM_PROBE in its env). */
const SEEN = [
  'echo ipc=$(readlink /proc/self/ns/ipc)',
  'echo uts=$(hostname)',
  'echo pid1=$(cat /proc/1/comm)',
  'echo testpid=$([ -d /proc/$TESTPID ] && echo seen || echo unseen)',
  'echo shm=$(grep -c " /dev/shm " /proc/mounts)',
  'echo probe=$([ -e /dev/shm/$SHM_PROBE ] && echo seen || echo unseen)'
].join('; ')

const parseSeen = (out: string): Record<string, string> => Object.fromEntries(out.trim().split('\n').map(l => l.split('=', 2) as [string, string]))

/** The host's side of what SEEN prints, and a file in the host's /dev/shm (removed in teardown). */
function hostSide (t: Test): { env: string[], host: Record<string, string> } {
  const probe = `berth-ns-${randomBytes(4).toString('hex')}`
  writeFileSync(join('/dev/shm', probe), '')
  t.teardown(() => rmSync(join('/dev/shm', probe), { force: true }))
  const host = { ipc: readlinkSync('/proc/self/ns/ipc'), uts: hostname(), pid1: readFileSync('/proc/1/comm', 'utf8').trim() }
  return { env: [`TESTPID=${process.pid}`, `SHM_PROBE=${probe}`], host }
}

for (const runtime of RUNTIMES) {
  t.test(`${runtime}: UTSMode host, PidMode host and each IpcMode, seen from inside`, async t => {
    const d = await startDaemon(t)
    t.teardown(async () => {
      for (const c of (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>) await d.req('DELETE', `/containers/${c.Id}?force=1`)
    })
    await importBusybox(d, 'bb')
    const { env, host } = hostSide(t)
    // A running container with its own IPC namespace: the one no other mode may share.
    const peer = await create(d, 'peer', { Cmd: ['sleep', '100'], HostConfig: { Runtime: runtime, IpcMode: 'shareable' } })
    t.equal((await d.req('POST', `/containers/${peer.body.Id}/start`)).status, 204)
    const peerIpc = readlinkSync(`/proc/${(await d.req('GET', '/containers/peer/json')).body.State.Pid as number}/ns/ipc`)
    t.not(peerIpc, host.ipc, 'the peer has an IPC namespace of its own')

    const seen = async (name: string, hc: Record<string, unknown>): Promise<Record<string, string>> => {
      const c = await create(d, name, { Cmd: ['sh', '-c', SEEN], Env: env, HostConfig: { Runtime: runtime, ...hc } })
      t.equal(c.status, 201, `${name}: ${JSON.stringify(c.body)}`)
      const ins = (await d.req('GET', `/containers/${c.body.Id}/json`)).body
      t.match(ins.HostConfig, hc, `${name}: inspect shows the modes given`)
      return parseSeen(await output(d, c.body.Id))
    }

    const hosts = await seen('hosts', { UTSMode: 'host', PidMode: 'host', IpcMode: 'host' })
    t.equal(hosts.uts, host.uts, 'UTSMode host: the host\'s hostname')
    t.equal(hosts.pid1, host.pid1, 'PidMode host: pid 1 is the host\'s init')
    t.equal(hosts.testpid, 'seen', 'PidMode host: the test\'s own pid is there')
    t.equal(hosts.ipc, host.ipc, 'IpcMode host: the host\'s IPC namespace')
    t.same([hosts.shm, hosts.probe], ['1', 'seen'], 'IpcMode host: the host\'s /dev/shm')

    for (const mode of ['private', 'shareable', 'none', '']) {
      const own = await seen(`ipc-${mode || 'default'}`, mode === '' ? {} : { IpcMode: mode })
      const what = `IpcMode ${JSON.stringify(mode)}`
      t.not(own.ipc, host.ipc, `${what}: not the host's IPC namespace`)
      t.not(own.ipc, peerIpc, `${what}: not the peer's either`)
      t.equal(own.probe, 'unseen', `${what}: not the host's /dev/shm`)
      // Docker's none: a private namespace and no /dev/shm mount at all.
      t.equal(own.shm, mode === 'none' ? '0' : '1', `${what}: ${mode === 'none' ? 'no' : 'its own'} /dev/shm mount`)
      // The same container is the control for the UTS and PID checks above: without host modes it sees neither.
      t.not(own.uts, host.uts, `${what}: its own hostname`)
      t.same([own.pid1, own.testpid], ['sh', 'unseen'], `${what}: its own PID namespace`)
    }

    const joiner = await create(d, 'ipc-joiner', { Cmd: ['true'], HostConfig: { Runtime: runtime, IpcMode: 'container:peer' } })
    t.equal(joiner.status, 400)
    t.match(joiner.body.message, /^IpcMode is not supported: .*container:<id>.*\(got "container:peer"\)$/, 'a 400 that names IpcMode and says why')
    t.equal((await d.req('GET', '/containers/ipc-joiner/json')).status, 404, 'nothing is left of the refused create')
  })

  t.test(`${runtime}: PidMode container:, CgroupParent, GroupAdd names, Devices, inspect`, async t => {
    const d = await startDaemon(t)
    const parent = `berth-api-${randomBytes(4).toString('hex')}`
    t.teardown(async () => {
      for (const c of (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>) await d.req('DELETE', `/containers/${c.Id}?force=1`)
      for (const c of readdirSync(CGROUP)) try { rmdirSync(join(CGROUP, c, parent)) } catch {}
    })
    await importBusybox(d, 'bb')
    const donor = await create(d, 'donor', { Cmd: ['sleep', '100'], HostConfig: { Runtime: runtime } })
    t.equal(donor.status, 201, JSON.stringify(donor.body))
    t.equal((await d.req('POST', `/containers/${donor.body.Id}/start`)).status, 204)

    const hc = {
      Runtime: runtime,
      PidMode: 'container:donor',
      CgroupParent: parent,
      GroupAdd: ['nogroup', '4321'],
      MemorySwappiness: 30,
      OomKillDisable: true,
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }]
    }
    const joiner = await create(d, 'joiner', {
      Cmd: ['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; grep memory /proc/self/cgroup; id -G; [ -c /dev/xnull ] && echo xnull; echo swappiness $(cat /sys/fs/cgroup/memory/memory.swappiness)'],
      HostConfig: hc
    })
    t.equal(joiner.status, 201, JSON.stringify(joiner.body))
    const ins = (await d.req('GET', `/containers/${joiner.body.Id}/json`)).body
    t.match(ins.HostConfig, hc, 'inspect shows what was given')
    const out = await output(d, joiner.body.Id)
    t.match(out, /^sleep 100 $/m, 'pid 1 is the donor\'s process')
    t.match(out, new RegExp(`^\\d+:memory:/${parent}/${joiner.body.Id}$`, 'm'), 'in the CgroupParent')
    t.match(out, /^0 4321 65534$/m, 'GroupAdd: a name from the image\'s /etc/group and a gid')
    t.match(out, /^xnull$/m, 'the device node')
    t.match(out, /^swappiness 30$/m, 'MemorySwappiness, read from inside')

    const unknown = await create(d, 'lost', { Cmd: ['true'], HostConfig: { Runtime: runtime, PidMode: 'container:nope' } })
    t.same([unknown.status, unknown.body], [400, { message: 'failed to join PID namespace: No such container: nope' }])
    t.equal((await d.req('POST', `/containers/${donor.body.Id}/kill`)).status, 204)
    await d.req('POST', `/containers/${donor.body.Id}/wait`)
    const stopped = await create(d, 'late', { Cmd: ['true'], HostConfig: { Runtime: runtime, PidMode: 'container:donor' } })
    t.same([stopped.status, stopped.body], [409, { message: 'failed to join PID namespace: container donor is not running' }], 'Docker\'s message for a stopped donor')
    t.equal((await d.req('GET', '/containers/late/json')).status, 404, 'nothing is left of the refused create')

    const budget = Number(readFileSync(join(CGROUP, 'cpu', 'berth', 'cpu.rt_runtime_us'), 'utf8'))
    const rt = await create(d, 'rt', { Cmd: ['true'], HostConfig: { Runtime: runtime, CpuRealtimeRuntime: budget + 1000 } })
    t.equal(rt.status, 400)
    t.equal(rt.body.message, `CpuRealtimeRuntime ${budget + 1000} is more than the parent cgroup /berth allows (cpu.rt_runtime_us ${budget}): give that cgroup a real-time budget or choose one with CgroupParent`)
  })
}

dockerTest(t, 'docker run --device, --device-cgroup-rule, --memory-swappiness, --oom-kill-disable, --group-add, --pid container:', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const docker = async (args: string[]) => await execa(DOCKER, args, { env: dockerEnv(d), reject: false, timeout: 30_000 })
  t.equal((await docker(['run', '-d', '--name', 'donor', 'bb', 'sleep', '100'])).exitCode, 0)
  t.teardown(async () => { await docker(['rm', '-f', 'donor']) })
  const r = await docker(['run', '--rm', '--device', '/dev/null:/dev/xnull:rwm', '--device-cgroup-rule', 'c 1:9 mr', '--memory', '64m',
    '--memory-swappiness', '10', '--oom-kill-disable', '--group-add', 'nogroup', '--pid', 'container:donor', 'bb', 'sh', '-c',
    'echo probe > /dev/xnull && cat /sys/fs/cgroup/memory/memory.swappiness && grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control && id -G && tr "\\0" " " < /proc/1/cmdline'])
  t.equal(r.exitCode, 0, r.stderr)
  t.same(r.stdout.split('\n'), ['10', 'oom_kill_disable 1', '0 65534', 'sleep 100 '])
  const bad = await docker(['run', '--rm', '--blkio-weight', '5', 'bb', 'true'])
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, /Range of blkio weight is from 10 to 1000|BlkioWeight is not supported/, 'a refusal that says why')
})

dockerTest(t, 'docker run --uts host, --pid host, --ipc host/private/shareable/none, and --ipc container: refused', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const { env, host } = hostSide(t)
  const docker = async (args: string[]) => await execa(DOCKER, args, { env: dockerEnv(d), reject: false, timeout: 30_000 })
  const run = async (flags: string[]): Promise<Record<string, string>> => {
    const r = await docker(['run', '--rm', ...env.flatMap(e => ['-e', e]), ...flags, 'bb', 'sh', '-c', SEEN])
    t.equal(r.exitCode, 0, `${flags.join(' ')}: ${r.stderr}`)
    return parseSeen(r.stdout)
  }
  t.same(await run(['--uts', 'host', '--pid', 'host', '--ipc', 'host']), { ...host, testpid: 'seen', shm: '1', probe: 'seen' }, 'the host\'s hostname, pids, IPC namespace and /dev/shm')
  t.equal((await docker(['run', '-d', '--name', 'peer', '--ipc', 'shareable', 'bb', 'sleep', '100'])).exitCode, 0)
  t.teardown(async () => { await docker(['rm', '-f', 'peer']) })
  const peerIpc = (await docker(['exec', 'peer', 'readlink', '/proc/self/ns/ipc'])).stdout
  t.match(peerIpc, /^ipc:\[\d+\]$/)
  for (const mode of ['private', 'shareable', 'none']) {
    const own = await run(['--ipc', mode])
    t.not(own.ipc, host.ipc, `--ipc ${mode}: not the host's IPC namespace`)
    t.not(own.ipc, peerIpc, `--ipc ${mode}: not the peer's`)
    t.same([own.shm, own.probe, own.uts === host.uts, own.testpid], [mode === 'none' ? '0' : '1', 'unseen', false, 'unseen'], `--ipc ${mode}: its own /dev/shm (none: none), hostname and pids`)
  }
  const joined = await docker(['run', '--rm', '--ipc', 'container:peer', 'bb', 'true'])
  t.equal(joined.exitCode, 125)
  t.match(joined.stderr, /IpcMode is not supported: .*container:<id>/, 'the client shows the 400 that names IpcMode')
})
