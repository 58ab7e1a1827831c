/**
 * A container's cgroup, read the way Docker's stats and top read it: the
 * cgroup found from /proc/<pid>/cgroup of its init process (cgroup v1, v2 or
 * hybrid), raw counters turned into Docker's stats document, and `ps`
 * output cut down to the container's processes. Parsing is pure; the
 * readers take a root so tests can point them at a fake tree.
 */
import { readdir, readFile, readlink } from 'node:fs/promises'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { conflict, invalid } from '../errors.js'
import { isAlive } from '../proc.js'
import type { ContainerRecord } from '../store/records.js'
import { isRunning } from './state.js'

/** Where a process sits: v1 controller → path, and the v2 (unified) path if any. */
export interface CgroupPaths { v1: Map<string, string>, v2?: string }

/** Parses /proc/<pid>/cgroup (`id:controllers:path` lines). */
export function parseProcCgroup (text: string): CgroupPaths {
  const out: CgroupPaths = { v1: new Map() }
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim())
    if (m === null) continue
    if (m[1] === '0' && m[2] === '') { out.v2 = m[3]!; continue }
    for (const c of m[2]!.split(',')) if (c !== '') out.v1.set(c, m[3]!)
  }
  return out
}

/**
 * The dir of `controller` for a process: its v1 hierarchy when that
 * controller is mounted as v1, else the unified hierarchy.
 */
export function controllerDir (paths: CgroupPaths, controller: string, root = '/sys/fs/cgroup'): string | undefined {
  const v1 = paths.v1.get(controller)
  if (v1 !== undefined) return join(root, controller, v1)
  // Hybrid hosts mount the unified hierarchy at /sys/fs/cgroup/unified.
  if (paths.v2 !== undefined) return paths.v1.size > 0 ? join(root, 'unified', paths.v2) : join(root, paths.v2)
  return undefined
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) as numbers. */
export function parseKeyValues (text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/)
    if (k !== undefined && k !== '' && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v)
  }
  return out
}

/** A limit file: `max` (v2) or v1's huge "unlimited" value become undefined. */
export function parseLimit (text: string | undefined): number | undefined {
  const v = text?.trim()
  if (v === undefined || v === '' || v === 'max' || !/^\d+$/.test(v)) return undefined
  const n = Number(v)
  return n >= 2 ** 62 ? undefined : n
}

export interface BlkioEntry { major: number, minor: number, op: string, value: number }

/** v1 blkio.throttle.io_service_bytes(_recursive): `8:0 Read 4096` lines; totals dropped. */
export function parseBlkioV1 (text: string): BlkioEntry[] {
  const out: BlkioEntry[] = []
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim())
    if (m !== null) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) })
  }
  return out
}

/** v2 io.stat: `8:0 rbytes=1 wbytes=2 ...` → Docker's Read/Write entries. */
export function parseIoStatV2 (text: string): BlkioEntry[] {
  const out: BlkioEntry[] = []
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (.*)$/.exec(line.trim())
    if (m === null) continue
    const kv = Object.fromEntries(m[3]!.split(' ').map(p => p.split('=')))
    for (const [key, op] of [['rbytes', 'read'], ['wbytes', 'write']] as const) {
      out.push({ major: Number(m[1]), minor: Number(m[2]), op, value: Number(kv[key] ?? 0) })
    }
  }
  return out
}

/** /proc/stat: the host's total CPU time in ns (Docker's system_cpu_usage) and the online CPUs. */
export function parseProcStat (text: string, ticksPerSecond = 100): { systemNs: number, cpus: number } {
  const lines = text.split('\n')
  const total = lines.find(l => l.startsWith('cpu '))?.trim().split(/\s+/).slice(1, 8).reduce((a, v) => a + Number(v), 0) ?? 0
  return { systemNs: total * (1e9 / ticksPerSecond), cpus: lines.filter(l => /^cpu\d+ /.test(l)).length }
}

/** One raw sample of a container's cgroup counters. */
export interface RawSample {
  read: Date
  cpuTotalNs: number
  cpuUserNs: number
  cpuKernelNs: number
  percpuNs?: number[]
  throttling: { periods: number, throttledPeriods: number, throttledNs: number }
  systemNs: number
  onlineCpus: number
  memUsage: number
  memLimit?: number
  memStats: Record<string, number>
  pids: number
  pidsLimit?: number
  blkio: BlkioEntry[]
}

const ZERO_TIME = '0001-01-01T00:00:00Z'

const cpuStats = (s: RawSample | undefined) => ({
  cpu_usage: {
    total_usage: s?.cpuTotalNs ?? 0,
    ...(s?.percpuNs !== undefined ? { percpu_usage: s.percpuNs } : {}),
    usage_in_kernelmode: s?.cpuKernelNs ?? 0,
    usage_in_usermode: s?.cpuUserNs ?? 0
  },
  ...(s !== undefined ? { system_cpu_usage: s.systemNs, online_cpus: s.onlineCpus } : {}),
  throttling_data: { periods: s?.throttling.periods ?? 0, throttled_periods: s?.throttling.throttledPeriods ?? 0, throttled_time: s?.throttling.throttledNs ?? 0 }
})

/**
 * Docker's stats document (moby api/types/container.StatsResponse) from a
 * sample and the one before it; no sample gives the zeroed document Docker
 * sends for a stopped container.
 */
export function statsDocument (name: string, id: string, cur: RawSample | undefined, prev: RawSample | undefined) {
  return {
    name: `/${name}`,
    id,
    read: cur?.read.toISOString() ?? ZERO_TIME,
    preread: prev?.read.toISOString() ?? ZERO_TIME,
    pids_stats: cur !== undefined ? { current: cur.pids, ...(cur.pidsLimit !== undefined ? { limit: cur.pidsLimit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: cur?.blkio.map(b => ({ major: b.major, minor: b.minor, op: b.op, value: b.value })) ?? null
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: cur !== undefined ? { usage: cur.memUsage, stats: cur.memStats, limit: cur.memLimit ?? totalmem() } : {},
    networks: {}
  }
}

/** The CPU % `docker stats` prints (docker/cli calculateCPUPercentUnix), for tests and logs. */
export function cpuPercent (cur: RawSample, prev: RawSample | undefined): number {
  if (prev === undefined) return 0
  const cpuDelta = cur.cpuTotalNs - prev.cpuTotalNs
  const sysDelta = cur.systemNs - prev.systemNs
  return cpuDelta > 0 && sysDelta > 0 ? cpuDelta / sysDelta * cur.onlineCpus * 100 : 0
}

const readText = (path: string | undefined): Promise<string | undefined> =>
  path === undefined ? Promise.resolve(undefined) : readFile(path, 'utf8').catch(() => undefined)

/** The cgroup of process `pid`, or undefined when it is gone. */
export async function cgroupOf (pid: number): Promise<CgroupPaths | undefined> {
  const text = await readText(`/proc/${pid}/cgroup`)
  return text === undefined ? undefined : parseProcCgroup(text)
}

/** Pids in the container's cgroup (its pids, or memory, cgroup's procs). */
export async function cgroupPids (paths: CgroupPaths, root = '/sys/fs/cgroup'): Promise<Set<number>> {
  const dir = controllerDir(paths, 'pids', root) ?? controllerDir(paths, 'memory', root)
  const text = await readText(dir !== undefined ? join(dir, 'cgroup.procs') : undefined) ?? ''
  return new Set(text.split('\n').filter(l => /^\d+$/.test(l)).map(Number))
}

/** Reads one sample; v1 files first, the v2 names where v1's are absent. */
export async function readSample (paths: CgroupPaths, root = '/sys/fs/cgroup', procStat = '/proc/stat'): Promise<RawSample> {
  const dir = (c: string) => controllerDir(paths, c, root)
  const file = (c: string, name: string) => { const d = dir(c); return d === undefined ? undefined : join(d, name) }
  const v2 = (c: string) => !paths.v1.has(c) && paths.v2 !== undefined
  const [stat, cpuacct, percpu, acctStat, cpuStat, memUsage, memLimit, memStat, pids, pidsMax, blkio] = await Promise.all([
    readText(procStat),
    readText(file('cpuacct', 'cpuacct.usage')),
    readText(file('cpuacct', 'cpuacct.usage_percpu')),
    readText(file('cpuacct', 'cpuacct.stat')),
    readText(file('cpu', 'cpu.stat')),
    readText(file('memory', v2('memory') ? 'memory.current' : 'memory.usage_in_bytes')),
    readText(file('memory', v2('memory') ? 'memory.max' : 'memory.limit_in_bytes')),
    readText(file('memory', 'memory.stat')),
    readText(file('pids', 'pids.current')),
    readText(file('pids', 'pids.max')),
    readText(file('blkio', 'blkio.throttle.io_service_bytes_recursive')).then(async t => t ?? await readText(file('blkio', 'blkio.throttle.io_service_bytes')) ?? await readText(file('io', 'io.stat')))
  ])
  const host = parseProcStat(stat ?? '')
  const cs = parseKeyValues(cpuStat ?? '')
  const acct = parseKeyValues(acctStat ?? '')
  const unified = cs.usage_usec !== undefined
  return {
    read: new Date(),
    cpuTotalNs: unified ? cs.usage_usec! * 1000 : Number(cpuacct?.trim() ?? 0),
    cpuUserNs: unified ? (cs.user_usec ?? 0) * 1000 : (acct.user ?? 0) * 1e7,
    cpuKernelNs: unified ? (cs.system_usec ?? 0) * 1000 : (acct.system ?? 0) * 1e7,
    ...(percpu !== undefined ? { percpuNs: percpu.trim().split(/\s+/).filter(Boolean).map(Number) } : {}),
    throttling: { periods: cs.nr_periods ?? 0, throttledPeriods: cs.nr_throttled ?? 0, throttledNs: unified ? (cs.throttled_usec ?? 0) * 1000 : cs.throttled_time ?? 0 },
    systemNs: host.systemNs,
    onlineCpus: host.cpus,
    memUsage: Number(memUsage?.trim() ?? 0),
    ...withDefined('memLimit', parseLimit(memLimit)),
    memStats: parseKeyValues(memStat ?? ''),
    pids: Number(pids?.trim() ?? 0),
    ...withDefined('pidsLimit', parseLimit(pidsMax)),
    blkio: blkio === undefined ? [] : /=/.test(blkio) ? parseIoStatV2(blkio) : parseBlkioV1(blkio)
  }
}

const withDefined = <K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> =>
  (v === undefined ? {} : { [key]: v }) as Partial<Record<K, number>>

/**
 * `ps` output cut to the container's processes, as moby's parsePSOutput:
 * the titles split on blanks, the last column (the command) keeps its spaces.
 * Throws when there is no PID column.
 */
export function filterPs (output: string, pids: ReadonlySet<number>): { Titles: string[], Processes: string[][] } {
  const lines = output.split('\n')
  const titles = (lines[0] ?? '').trim().split(/\s+/)
  const at = titles.indexOf('PID')
  if (at < 0) throw new Error('Couldn\'t find PID field in ps output')
  const processes: string[][] = []
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (line.trim() === '' || fields.length < titles.length) continue
    if (!pids.has(Number(fields[at]))) continue
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')])
  }
  return { Titles: titles, Processes: processes }
}

/** The cgroup of a running (or paused) container's init process; undefined when it runs no more. */
async function cgroupOfRunning (rec: Pick<ContainerRecord, 'status' | 'pid' | 'pidStart'>): Promise<CgroupPaths | undefined> {
  if (!isRunning(rec.status) || !isAlive(rec.pid, rec.pidStart)) return undefined
  return await cgroupOf(rec.pid)
}

/** One sample of a container's cgroup counters; none when it is not running. */
export async function sampleOf (rec: Pick<ContainerRecord, 'status' | 'pid' | 'pidStart'>): Promise<{ sample?: RawSample }> {
  const paths = await cgroupOfRunning(rec)
  return paths === undefined ? {} : { sample: await readSample(paths) }
}

/**
 * The processes in `pid`'s pid namespace: a container's, when it has no
 * cgroup of its own (rootless berthd), whose cgroup would be berthd's.
 */
export async function pidnsPids (pid: number): Promise<Set<number>> {
  const ns = async (p: string): Promise<string | undefined> => { try { return await readlink(`/proc/${p}/ns/pid`) } catch { return undefined } }
  const own = await ns(String(pid))
  const out = new Set<number>()
  if (own === undefined) return out
  for (const p of await readdir('/proc')) if (/^\d+$/.test(p) && await ns(p) === own) out.add(Number(p))
  return out
}

/**
 * Docker's top: `ps <psArgs>` on the host, cut to the processes in the
 * container's cgroup, or its pid namespace with `byPidns`. 409 unless it runs.
 */
export async function topOf (rec: Pick<ContainerRecord, 'id' | 'status' | 'pid' | 'pidStart'>, psArgs: string, byPidns = false): Promise<{ Titles: string[], Processes: string[][] }> {
  const paths = await cgroupOfRunning(rec)
  if (paths === undefined) throw conflict(`container ${rec.id} is not running`)
  const pids = byPidns ? await pidnsPids(rec.pid) : await cgroupPids(paths)
  const r = await execa('ps', psArgs.split(/\s+/).filter(Boolean), { reject: false, timeout: 30_000, stdin: 'ignore' })
  if (r.exitCode !== 0) throw invalid(`Error running ps: ${r.stderr.trim() || `exit status ${String(r.exitCode)}`}`)
  try {
    return filterPs(r.stdout, pids)
  } catch (err) {
    // The client's ps_args decide the columns (`--help all` prints none).
    throw invalid(`${(err as Error).message}: ps_args must keep the PID column`)
  }
}
