/**
 * The issue 13 HostConfig fields through berthd, with runc and crun: inspect
 * shows what was given, CgroupParent places the container, GroupAdd names
 * are looked up in the image, PidMode container:<name> joins a running
 * container's PID namespace and refuses a stopped one with Docker's message,
 * and real-time time under /berth (which has no budget) is a 400 that says why.
 */
import t from 'tap'
import { readFileSync, readdirSync, rmdirSync } from 'node:fs'
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

for (const runtime of RUNTIMES) {
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
