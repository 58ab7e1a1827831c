/**
 * stats, top, rename, update and container prune through the real docker
 * client, and their API errors.
 */
import t from 'tap'
import { execa } from 'execa'
import { DOCKER, dockerEnv, dockerTest, ROOTFS, startDaemon, until, type Daemon } from './helpers.js'

function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, {
    env: dockerEnv(d),
    input: '', reject: false, timeout: 60_000, killSignal: 'SIGKILL'
  })
}

/** Imports the busybox rootfs as image `name` (as test/run.test.ts does). */
async function importBusybox (d: Daemon, name: string): Promise<void> {
  const tar = await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })
  const r = await execa(DOCKER, ['import', '-', name], {
    env: dockerEnv(d), input: tar.stdout, reject: false, timeout: 60_000
  })
  if (r.exitCode !== 0) throw new Error(`docker import failed: ${r.stderr}`)
}

dockerTest(t, 'stats, top, rename, update, prune', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')

  t.test('docker stats --no-stream: CPU %, memory usage and limit, pids', async t => {
    t.equal((await docker(d, ['run', '-d', '--name', 'st', '--memory', '64m', 'bb', 'sh', '-c', 'while :; do :; done'])).exitCode, 0)
    const r = await docker(d, ['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}', 'st'])
    t.equal(r.exitCode, 0, r.stderr)
    const [name, cpu, mem, pids] = r.stdout.split('|')
    t.equal(name, 'st')
    t.ok(Number(cpu!.replace('%', '')) > 10, `a busy loop shows CPU (${cpu!})`)
    t.match(mem, /^[\d.]+[KMG]?i?B \/ 64MiB$/, 'usage / the limit')
    t.equal(pids, '1')
    const plain = await docker(d, ['stats', '--no-stream', 'st'])
    t.match(plain.stdout, /CPU %.*MEM USAGE \/ LIMIT.*PIDS/)

    const raw = await d.req('GET', '/containers/st/stats?stream=0&one-shot=1')
    t.equal(raw.status, 200)
    t.equal(raw.body.name, '/st')
    t.equal(raw.body.precpu_stats.cpu_usage.total_usage, 0, 'one-shot: no previous sample')
    t.ok(raw.body.cpu_stats.system_cpu_usage > 0 && raw.body.cpu_stats.online_cpus > 0)
    t.equal(raw.body.memory_stats.limit, 64 * 1024 * 1024)

    // Streaming: one document per line, ending when the container stops.
    const open = await d.client.request({ method: 'GET', path: '/containers/st/stats' })
    t.equal(open.statusCode, 200)
    await new Promise(resolve => setTimeout(resolve, 2500))
    await docker(d, ['kill', 'st'])
    const lines = (await open.body.text()).trim().split('\n').map(l => JSON.parse(l))
    t.ok(lines.length >= 2, `${lines.length} documents`)
    t.ok(lines[1].precpu_stats.cpu_usage.total_usage > 0, 'the second carries the first as precpu')

    const stopped = await d.req('GET', '/containers/st/stats?stream=0')
    t.equal(stopped.status, 200)
    t.equal(stopped.body.read, '0001-01-01T00:00:00Z', 'zeroed for a stopped container')
    t.equal((await d.req('GET', '/containers/st/top')).status, 409)
    await docker(d, ['rm', '-f', 'st'])
  })

  t.test('docker top lists the container\'s processes', async t => {
    await docker(d, ['run', '-d', '--name', 'tp', 'bb', 'sleep', '1234'])
    const r = await docker(d, ['top', 'tp'])
    t.equal(r.exitCode, 0, r.stderr)
    t.match(r.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/)
    t.match(r.stdout, /sleep 1234/)
    t.equal(r.stdout.trim().split('\n').length, 2, 'only its own process')
    const aux = await d.req('GET', '/containers/tp/top?ps_args=aux')
    t.equal(aux.status, 200)
    t.equal(aux.body.Titles[1], 'PID')
    t.match(aux.body.Processes[0].at(-1), /sleep 1234/)
    await docker(d, ['rm', '-f', 'tp'])
  })

  t.test('docker rename', async t => {
    await docker(d, ['create', '--name', 'old', 'bb', 'true'])
    await docker(d, ['create', '--name', 'other', 'bb', 'true'])
    const r = await docker(d, ['rename', 'old', 'new'])
    t.equal(r.exitCode, 0, r.stderr)
    t.equal((await d.req('GET', '/containers/new/json')).body.Name, '/new')
    t.equal((await d.req('GET', '/containers/old/json')).status, 404)
    const taken = await d.req('POST', '/containers/new/rename?name=other')
    t.equal(taken.status, 409)
    t.match(taken.body.message, /^Conflict\. The container name "\/other" is already in use by container "[0-9a-f]{64}"/)
    t.equal((await d.req('POST', '/containers/new/rename?name=b%21d')).status, 400)
    t.equal((await d.req('POST', '/containers/new/rename?name=new')).status, 400)
    t.equal((await d.req('POST', '/containers/nope/rename?name=x')).status, 404)
    // The new name survives a daemon restart (the record was saved).
    await d.stop()
    const d2 = await d.restart()
    t.equal((await d2.req('GET', '/containers/new/json')).status, 200)
    Object.assign(d, d2)
    await docker(d, ['rm', '-f', 'new', 'other'])
  })

  t.test('docker update reaches the cgroup and inspect', async t => {
    await docker(d, ['run', '-d', '--name', 'up', '--memory', '64m', 'bb', 'sleep', '1000'])
    const r = await docker(d, ['update', '--memory', '128m', '--cpus', '1', '--pids-limit', '40', 'up'])
    t.equal(r.exitCode, 0, r.stderr)
    const seen = await docker(d, ['exec', 'up', 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true'])
    t.match(seen.stdout, /^134217728$/m, 'memory')
    t.match(seen.stdout, /^(100000|100000 100000)$/m, 'cpu quota')
    t.match(seen.stdout, /^40$/m, 'pids')
    const hc = (await d.req('GET', '/containers/up/json')).body.HostConfig
    t.equal(hc.Memory, 134217728)
    t.equal(hc.NanoCpus, 1e9)
    t.equal(hc.PidsLimit, 40)
    const bad = await d.req('POST', '/containers/up/update', { BlkioWeight: 300, KernelMemory: 0 })
    t.equal(bad.status, 400)
    t.match(bad.body.message, /BlkioWeight/)
    t.equal((await d.req('POST', '/containers/up/update', { CpuQuota: 50000 })).status, 400, 'conflicts with NanoCpus')
    t.equal((await d.req('POST', '/containers/nope/update', { Memory: 1 << 27 })).status, 404)
    // The next run keeps the limits.
    await docker(d, ['restart', '-t', '0', 'up'])
    const again = await docker(d, ['exec', 'up', 'sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true'])
    t.match(again.stdout, /^40$/m, 'after a restart')
    await docker(d, ['rm', '-f', 'up'])
  })

  t.test('docker container prune removes the stopped ones', async t => {
    await docker(d, ['run', '--name', 'done1', 'bb', 'sh', '-c', 'head -c 100000 /dev/zero > /big'])
    await docker(d, ['create', '--name', 'made', 'bb', 'true'])
    await docker(d, ['run', '-d', '--name', 'live', 'bb', 'sleep', '1000'])
    const ids = await Promise.all(['done1', 'made'].map(async n => (await d.req('GET', `/containers/${n}/json`)).body.Id))
    const raw = await d.req('POST', '/containers/prune?filters=%7B%22label%22%3A%7B%22nope%22%3Atrue%7D%7D')
    t.same(raw.body, { ContainersDeleted: [], SpaceReclaimed: 0 }, 'a label filter no container passes')
    const r = await docker(d, ['container', 'prune', '-f'])
    t.equal(r.exitCode, 0, r.stderr)
    for (const id of ids) t.match(r.stdout, id)
    t.match(r.stdout, /Total reclaimed space: 1\d\d(\.\d+)?kB/)
    await until(async () => (await d.req('GET', '/containers/json?all=1')).body.length === 1, 5000, 'pruned')
    t.equal((await d.req('GET', '/containers/live/json')).status, 200, 'running container kept')
    t.equal((await d.req('POST', '/containers/prune?filters=%7B%22bad%22%3A%7B%22x%22%3Atrue%7D%7D')).status, 400)
    await docker(d, ['rm', '-f', 'live'])
  })

  t.test('API errors', async t => {
    t.equal((await d.req('GET', '/containers/nope/stats?stream=0')).status, 404)
    t.equal((await d.req('GET', '/containers/nope/top')).status, 404)
  })
})
