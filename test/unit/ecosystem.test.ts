import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  controllerDir, cpuPercent, filterPs, parseBlkioV1, parseIoStatV2, parseKeyValues, parseLimit, parseProcCgroup,
  parseProcStat, readSample, statsDocument, type RawSample
} from '../../src/containers/cgroupstats.js'
import { applyUpdate } from '../../src/containers/update.js'
import { untilMs } from '../../src/api/routes/ecosystem.js'
import { argv } from '../../src/runtime/runtime.js'

const HYBRID = `12:pids:/berth/abc
4:memory:/berth/abc
2:cpu,cpuacct:/berth/abc
1:name=systemd:/user.slice
0::/user.slice/x
`

t.test('parseProcCgroup and controllerDir: v1, hybrid and v2', async t => {
  const h = parseProcCgroup(HYBRID)
  t.equal(h.v1.get('cpuacct'), '/berth/abc', 'joined controllers split')
  t.equal(h.v2, '/user.slice/x')
  t.equal(controllerDir(h, 'memory', '/c'), '/c/memory/berth/abc')
  t.equal(controllerDir(h, 'io', '/c'), '/c/unified/user.slice/x', 'hybrid: the unified mount')
  const v2 = parseProcCgroup('0::/berth/abc\n')
  t.equal(v2.v1.size, 0)
  t.equal(controllerDir(v2, 'memory', '/c'), '/c/berth/abc')
  t.equal(controllerDir(parseProcCgroup(''), 'memory'), undefined)
})

t.test('counter file parsers', async t => {
  t.same(parseKeyValues('cache 10\ntotal_inactive_file 4096\nbad x\n'), { cache: 10, total_inactive_file: 4096 })
  t.equal(parseLimit('max\n'), undefined)
  t.equal(parseLimit('9223372036854771712\n'), undefined, 'v1 unlimited')
  t.equal(parseLimit('67108864\n'), 67108864)
  t.same(parseBlkioV1('8:0 Read 4096\n8:0 Write 512\nTotal 4608\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }])
  t.same(parseIoStatV2('8:0 rbytes=10 wbytes=20 rios=1 wios=2\n'), [
    { major: 8, minor: 0, op: 'read', value: 10 }, { major: 8, minor: 0, op: 'write', value: 20 }])
  t.same(parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\nintr 5\n'),
    { systemNs: 1000 * 1e7, cpus: 2 })
})

const sample = (over: Partial<RawSample> = {}): RawSample => ({
  read: new Date('2026-01-01T00:00:01Z'), cpuTotalNs: 2e9, cpuUserNs: 1e9, cpuKernelNs: 1e9,
  throttling: { periods: 0, throttledPeriods: 0, throttledNs: 0 }, systemNs: 20e9, onlineCpus: 2,
  memUsage: 1000, memLimit: 4096, memStats: { inactive_file: 100 }, pids: 3, pidsLimit: 40, blkio: [], ...over
})

t.test('statsDocument and the CLI\'s CPU %', async t => {
  const prev = sample({ read: new Date('2026-01-01T00:00:00Z'), cpuTotalNs: 1e9, systemNs: 18e9 })
  const cur = sample()
  const doc = statsDocument('x', 'id1', cur, prev)
  t.equal(doc.name, '/x')
  t.equal(doc.preread, '2026-01-01T00:00:00.000Z')
  t.equal(doc.precpu_stats.cpu_usage.total_usage, 1e9)
  t.same(doc.memory_stats, { usage: 1000, stats: { inactive_file: 100 }, limit: 4096 })
  t.same(doc.pids_stats, { current: 3, limit: 40 })
  t.equal(cpuPercent(cur, prev), 100, '1 s of 2 s of host time on 2 CPUs')
  t.equal(cpuPercent(cur, undefined), 0)
  const one = statsDocument('x', 'id1', cur, undefined)
  t.equal(one.precpu_stats.cpu_usage.total_usage, 0, 'no previous sample: zero precpu')
  t.equal(one.preread, '0001-01-01T00:00:00Z')
  const stopped = statsDocument('x', 'id1', undefined, undefined)
  t.equal(stopped.read, '0001-01-01T00:00:00Z')
  t.same(stopped.memory_stats, {})
  t.ok(statsDocument('x', 'id1', sample({ memLimit: undefined }), undefined).memory_stats.limit! > 0, 'no limit: the host\'s memory')
})

t.test('readSample from a fake v1 and v2 tree', async t => {
  const root = await mkdtemp(join(tmpdir(), 'cg-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const put = async (path: string, text: string) => { await mkdir(join(root, path, '..'), { recursive: true }); await writeFile(join(root, path), text) }
  await put('stat', 'cpu  1 1 1 1 0 0 0\ncpu0 1 1 1 1 0 0 0\n')
  await put('cpuacct/b/cpuacct.usage', '5000\n')
  await put('cpuacct/b/cpuacct.usage_percpu', '5000 0 \n')
  await put('cpuacct/b/cpuacct.stat', 'user 2\nsystem 1\n')
  await put('cpu/b/cpu.stat', 'nr_periods 3\nnr_throttled 1\nthrottled_time 7\n')
  await put('memory/b/memory.usage_in_bytes', '300\n')
  await put('memory/b/memory.limit_in_bytes', '9223372036854771712\n')
  await put('memory/b/memory.stat', 'total_inactive_file 5\n')
  await put('pids/b/pids.current', '2\n')
  await put('pids/b/pids.max', 'max\n')
  await put('blkio/b/blkio.throttle.io_service_bytes_recursive', '8:0 Read 9\nTotal 9\n')
  const v1 = await readSample(parseProcCgroup('5:cpu,cpuacct:/b\n4:memory:/b\n3:pids:/b\n2:blkio:/b\n'), root, join(root, 'stat'))
  t.match(v1, { cpuTotalNs: 5000, cpuUserNs: 2e7, cpuKernelNs: 1e7, percpuNs: [5000, 0], throttling: { periods: 3, throttledPeriods: 1, throttledNs: 7 },
    systemNs: 4e7, onlineCpus: 1, memUsage: 300, memStats: { total_inactive_file: 5 }, pids: 2, blkio: [{ op: 'Read', value: 9 }] })
  t.equal(v1.memLimit, undefined)
  t.equal(v1.pidsLimit, undefined)

  await put('u/cpu.stat', 'usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n')
  await put('u/memory.current', '400\n')
  await put('u/memory.max', '1000\n')
  await put('u/memory.stat', 'inactive_file 5\n')
  await put('u/pids.current', '1\n')
  await put('u/pids.max', '40\n')
  await put('u/io.stat', '8:0 rbytes=1 wbytes=2\n')
  const v2 = await readSample(parseProcCgroup('0::/u\n'), root, join(root, 'stat'))
  t.match(v2, { cpuTotalNs: 10_000, cpuUserNs: 6000, cpuKernelNs: 4000, memUsage: 400, memLimit: 1000, pids: 1, pidsLimit: 40, blkio: [{ op: 'read', value: 1 }, { op: 'write', value: 2 }] })
})

t.test('filterPs keeps the container\'s rows, commands whole', async t => {
  const out = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root         200       1  0 10:01 ?        00:00:00 sleep 1000 --x
root         201     200  0 10:01 ?        00:00:00 sh -c echo hi
`
  t.same(filterPs(out, new Set([200, 201])), {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: [
      ['root', '200', '1', '0', '10:01', '?', '00:00:00', 'sleep 1000 --x'],
      ['root', '201', '200', '0', '10:01', '?', '00:00:00', 'sh -c echo hi']]
  })
  t.throws(() => filterPs('USER COMMAND\nroot x\n', new Set([1])), /Couldn't find PID field/)
})

t.test('applyUpdate: merge, conflicts, unsupported fields', async t => {
  const { hostConfig, resources } = applyUpdate({ Memory: 64 << 20, NanoCpus: 0, CpusetCpus: '' },
    { Memory: 128 << 20, MemorySwap: 0, NanoCpus: 1e9, PidsLimit: 40, BlkioWeight: 0, RestartPolicy: { Name: '', MaximumRetryCount: 0 }, Devices: null })
  t.match(hostConfig, { Memory: 128 << 20, NanoCpus: 1e9, PidsLimit: 40, CpusetCpus: '' })
  t.same(resources, { memory: { limit: 128 << 20, swap: 256 << 20 }, cpu: { period: 100_000, quota: 100_000 }, pids: { limit: 40 } })
  t.match(applyUpdate({ Memory: 64 << 20 }, { CpuShares: 512 }).hostConfig, { Memory: 64 << 20, CpuShares: 512 }, 'zero values leave the rest')
  t.same(applyUpdate({}, { PidsLimit: 0 }).resources.pids, { limit: -1 }, 'PidsLimit 0: unlimited')
  t.throws(() => applyUpdate({}, { BlkioWeight: 300, KernelMemory: 5 }), /BlkioWeight, KernelMemory/)
  t.throws(() => applyUpdate({ NanoCpus: 1e9 }, { CpuQuota: 50_000 }), /Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/)
  t.throws(() => applyUpdate({ CpuPeriod: 50_000 }, { NanoCpus: 1e9 }), /CPU Period cannot be updated/)
  t.throws(() => applyUpdate({ Memory: 64 << 20, MemorySwap: 100 << 20 }, { Memory: 200 << 20 }), /update the memoryswap at the same time/)
  t.throws(() => applyUpdate({}, { Memory: 1000 }), /Minimum memory limit allowed is 6MB/, 'create\'s checks apply')
  t.equal(applyUpdate({}, { Memory: 128 << 20, RestartPolicy: { Name: '', MaximumRetryCount: 0 } }).restartPolicy, undefined, 'an empty name leaves the policy')
  const policy = applyUpdate({ RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } }, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } })
  t.same(policy.restartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 })
  t.same(policy.hostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 }, 'inspect\'s HostConfig follows')
  t.same(policy.resources, {}, 'nothing for the runtime')
  t.throws(() => applyUpdate({}, { RestartPolicy: { Name: 'sometimes' } }), /unknown policy 'sometimes'/)
  t.throws(() => applyUpdate({ AutoRemove: true }, { RestartPolicy: { Name: 'always' } }), /Restart policy cannot be updated because AutoRemove is enabled for the container/)
  t.doesNotThrow(() => applyUpdate({ AutoRemove: true }, { RestartPolicy: { Name: 'no' } }), 'no is fine with AutoRemove')
  t.same(argv.update('c1', '/tmp/r.json'), ['update', '--resources', '/tmp/r.json', 'c1'])
})

t.test('untilMs: timestamps and durations', async t => {
  t.equal(untilMs('1700000000'), 1700000000_000)
  t.equal(untilMs('2024-01-01T00:00:00Z'), Date.parse('2024-01-01T00:00:00Z'))
  t.equal(untilMs('1h30m', 10_000_000), 10_000_000 - 5_400_000)
  t.throws(() => untilMs('soon'), /failed to parse value as time or duration/)
})
