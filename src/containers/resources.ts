/**
 * The container's cgroup: Docker's memory, CPU, pids, device and blkio
 * settings as the runtime-spec's linux.resources, with daemon_unix.go's
 * checks and Docker's wording, and the cgroup path it is made in. Shared by
 * create (dockerspec.ts) and update (update.ts); reads the host only for what
 * it can offer (CPU and memory nodes, devices, blkio files).
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { posix } from 'node:path'
import { invalid } from '../errors.js'
import { list, num, str, type DockerHostConfig } from './createbody.js'
import { cleanPath } from './mounts.js'
import { blkioWeightFile, blockDevice, devicesFromPath, ioScheduler, realtimeBudget, type OciDevice } from './hostres.js'

export interface OciDeviceRule { allow: boolean, type?: string, major?: number, minor?: number, access: string }
interface OciBlockDevice { major: number, minor: number }
/** The runtime-spec's linux.resources.blockIO (cgroup v1 blkio). */
export interface OciBlockIO {
  weight?: number
  weightDevice?: Array<OciBlockDevice & { weight: number }>
  throttleReadBpsDevice?: Array<OciBlockDevice & { rate: number }>
  throttleWriteBpsDevice?: Array<OciBlockDevice & { rate: number }>
  throttleReadIOPSDevice?: Array<OciBlockDevice & { rate: number }>
  throttleWriteIOPSDevice?: Array<OciBlockDevice & { rate: number }>
}

/** The runtime-spec's linux.resources. */
export interface OciResources {
  devices: OciDeviceRule[]
  memory?: { limit?: number, reservation?: number, swap?: number, swappiness?: number, disableOOMKiller?: boolean }
  cpu?: { shares?: number, quota?: number, period?: number, realtimeRuntime?: number, realtimePeriod?: number, cpus?: string, mems?: string }
  pids?: { limit: number }
  blockIO?: OciBlockIO
}

const MIN_MEMORY = 6 * 1024 * 1024

const dev = (allow: boolean, type: string, major: number | undefined, minor: number | undefined): OciDeviceRule =>
  ({ allow, type, ...(major !== undefined ? { major } : {}), ...(minor !== undefined ? { minor } : {}), access: allow && major === undefined && minor === undefined ? 'm' : 'rwm' })

/**
 * Docker's device cgroup rules (moby oci/defaults.go): deny all; allow zero,
 * null, urandom, random, tty, console; deny fuse. Then the rules runc appends
 * on its own (specconv.AllowedDevices: mknod of anything, full, ptmx, pts),
 * written out so that crun ends up with the same set.
 */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  dev(true, 'c', 1, 5), dev(true, 'c', 1, 3), dev(true, 'c', 1, 9), dev(true, 'c', 1, 8), dev(true, 'c', 5, 0), dev(true, 'c', 5, 1),
  dev(false, 'c', 10, 229),
  dev(true, 'c', undefined, undefined), dev(true, 'b', undefined, undefined),
  dev(true, 'c', 1, 7), dev(true, 'c', 5, 2), { allow: true, type: 'c', major: 136, access: 'rwm' }
]

const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/
/** The kernel's (and runc's) bounds on cpu.shares under cgroup v1; Docker clamps to them. */
const MAX_CPU_SHARES = 262_144

/** The host's online CPUs or memory nodes as a cpuset list ("0-3"); the kernel refuses any other in cpuset.cpus. */
function hostCpuset (field: 'cpus' | 'mems'): string {
  const path = field === 'cpus' ? '/sys/devices/system/cpu/online' : '/sys/devices/system/node/online'
  try { return readFileSync(path, 'utf8').trim() } catch { return field === 'cpus' ? `0-${availableParallelism() - 1}` : '0' }
}

const cpusetRanges = (list: string): Array<[number, number]> => list.split(',').filter(Boolean).map(r => {
  const [lo, hi = lo] = r.split('-').map(Number) as [number, number?]
  return [lo, hi]
})

/** True when every id in cpuset list `asked` is in list `available` (both in "0-2,4" form). */
export function cpusetWithin (asked: string, available: string): boolean {
  const have = cpusetRanges(available)
  const top = Math.max(...have.map(([, b]) => b))
  return cpusetRanges(asked).every(([lo, hi]) => {
    // Past the largest id first, so that "0-99999" is refused without a walk.
    if (lo > hi || hi > top) return false
    for (let id = lo; id <= hi; id++) if (!have.some(([a, b]) => a <= id && id <= b)) return false
    return true
  })
}
const DEVICE_RULE = /^([acb]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/

/** Docker's device cgroup rule syntax, `c 1:3 rwm` (moby oci.AppendDevicePermissionsFromCgroupRules). */
function deviceRule (rule: string): OciDeviceRule {
  const m = DEVICE_RULE.exec(rule)
  if (m === null) throw invalid(`invalid device cgroup rule format: '${rule}'`)
  const [, type, major, minor, access] = m
  return { allow: true, type: type!, ...(major !== '*' ? { major: Number(major) } : {}), ...(minor !== '*' ? { minor: Number(minor) } : {}), access: access! }
}

const DEVICE_ACCESS = /^[rwm]{1,3}$/

/**
 * HostConfig.Devices: each entry's nodes and the cgroup rule that lets the
 * container use them (moby WithDevices; privileged containers get every
 * device anyway). The CLI fills PathInContainer and CgroupPermissions; an
 * SDK may leave them empty, which means the host path and rwm.
 */
export function hostDevices (hc: DockerHostConfig): Array<{ node: OciDevice, rule: OciDeviceRule }> {
  if (hc.Privileged === true) return []
  return list(hc.Devices).flatMap(d => {
    const onHost = str(d.PathOnHost)
    const inContainer = str(d.PathInContainer) !== '' ? str(d.PathInContainer) : onHost
    const access = str(d.CgroupPermissions) !== '' ? str(d.CgroupPermissions) : 'rwm'
    if (!onHost.startsWith('/')) throw invalid(`Devices: PathOnHost "${onHost}" is not an absolute path`)
    if (!inContainer.startsWith('/')) throw invalid(`Devices: PathInContainer "${inContainer}" is not an absolute path`)
    if (!DEVICE_ACCESS.test(access)) throw invalid(`invalid device mode: ${access}`)
    return devicesFromPath(onHost, cleanPath(inContainer)).map(node =>
      ({ node, rule: { allow: true, type: node.type, major: node.major, minor: node.minor, access } }))
  })
}

const MIN_BLKIO_WEIGHT = 10
const MAX_BLKIO_WEIGHT = 1000

/**
 * The Blkio* fields as the runtime-spec's blockIO (moby
 * getBlkioWeightDevices / getBlkioThrottleDevices), refused where this
 * kernel, or the runtime (its binary's name), cannot do them.
 */
export function blockIO (hc: DockerHostConfig, runtime?: string): OciBlockIO {
  const io: OciBlockIO = {}
  const weight = num(hc.BlkioWeight)
  const weightDevices = list(hc.BlkioWeightDevice)
  if (weight !== 0 || weightDevices.length > 0) {
    const field = weight !== 0 ? 'BlkioWeight' : 'BlkioWeightDevice'
    const file = blkioWeightFile()
    if (file === undefined) throw invalid(`${field} is not supported: the kernel's blkio cgroup has no weight file (CFQ or BFQ is needed)`)
    // crun (1.8) writes only CFQ's files and fails on a BFQ-only kernel; runc writes either.
    if (file === 'blkio.bfq.weight' && runtime === 'crun') {
      throw invalid(`${field} is not supported with the crun runtime here: this kernel has only BFQ's blkio.bfq.weight, which crun does not write (runc does)`)
    }
  }
  const checkWeight = (w: number): void => {
    if (w < MIN_BLKIO_WEIGHT || w > MAX_BLKIO_WEIGHT) throw invalid(`Range of blkio weight is from ${MIN_BLKIO_WEIGHT} to ${MAX_BLKIO_WEIGHT}`)
  }
  if (weight !== 0) { checkWeight(weight); io.weight = weight }
  if (weightDevices.length > 0) {
    io.weightDevice = weightDevices.map(d => {
      const w = num(d.Weight)
      checkWeight(w)
      const dev = blockDevice('BlkioWeightDevice', str(d.Path))
      // BFQ keeps per-device weights only for devices it schedules (the kernel answers EOPNOTSUPP).
      const sched = ioScheduler(dev)
      if (!['bfq', 'cfq'].includes(sched)) throw invalid(`BlkioWeightDevice is not supported for ${str(d.Path)}: its I/O scheduler is ${sched}, and only bfq or cfq honour a weight`)
      return { ...dev, weight: w }
    })
  }
  const throttles = [
    ['BlkioDeviceReadBps', 'throttleReadBpsDevice'], ['BlkioDeviceWriteBps', 'throttleWriteBpsDevice'],
    ['BlkioDeviceReadIOps', 'throttleReadIOPSDevice'], ['BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice']
  ] as const
  for (const [field, key] of throttles) {
    const devs = list(hc[field])
    if (devs.length === 0) continue
    io[key] = devs.map(d => {
      const rate = num(d.Rate)
      if (rate < 0) throw invalid(`invalid ${field} rate for ${str(d.Path)}: ${rate}: must not be negative`)
      return { ...blockDevice(field, str(d.Path)), rate }
    })
  }
  return io
}

/**
 * The cgroup the container is made in: `/berth/<id>`, or `<CgroupParent>/<id>`
 * (moby withCgroups with the cgroupfs driver; made absolute and cleaned, so
 * that `..` cannot climb above the hierarchy's root).
 */
export function cgroupsPathOf (id: string, hc: DockerHostConfig): string {
  const parent = str(hc.CgroupParent) !== '' ? str(hc.CgroupParent) : '/berth'
  return posix.join('/', parent, id)
}

/** Real-time CPU time needs a budget in the parent cgroup (cpu.rt_runtime_us): refused here rather than by the runtime's EINVAL. */
export function checkRealtime (hc: DockerHostConfig, cgroupsPath: string): void {
  const runtime = num(hc.CpuRealtimeRuntime)
  if (runtime === 0 && num(hc.CpuRealtimePeriod) === 0) return
  const budget = realtimeBudget(cgroupsPath)
  if (budget === undefined) throw invalid('CpuRealtimeRuntime is not supported: kernel does not support CPU real-time scheduler')
  if (runtime > budget) {
    throw invalid(`CpuRealtimeRuntime ${runtime} is more than the parent cgroup ${posix.dirname(cgroupsPath)} allows (cpu.rt_runtime_us ${budget}): give that cgroup a real-time budget or choose one with CgroupParent`)
  }
}

/**
 * Memory, CPU, pids and device rules with daemon_unix.go's checks and
 * Docker's wording; `deviceRules` are those of HostConfig.Devices. Reads
 * nothing of the host but the CPU and memory node lists, so that update can
 * use it on a stored HostConfig.
 */
export function resources (hc: DockerHostConfig, deviceRules: OciDeviceRule[] = []): OciResources {
  const memory: NonNullable<OciResources['memory']> = {}
  const mem = num(hc.Memory); const swap = num(hc.MemorySwap); const reservation = num(hc.MemoryReservation)
  if (mem !== 0 && mem < MIN_MEMORY) throw invalid('Minimum memory limit allowed is 6MB')
  if (mem > 0 && swap > 0 && swap < mem) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage')
  if (mem === 0 && swap > 0) throw invalid('You should always set the Memory limit when using Memoryswap limit, see usage')
  if (swap < -1) throw invalid(`invalid MemorySwap: ${swap}: use -1 for unlimited swap`)
  if (reservation !== 0 && reservation < MIN_MEMORY) throw invalid('Minimum memory reservation allowed is 6MB')
  if (mem > 0 && reservation > mem) throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage')
  if (mem > 0) memory.limit = mem
  if (reservation > 0) memory.reservation = reservation
  if (swap !== 0) memory.swap = swap
  else if (mem > 0) memory.swap = 2 * mem // Docker's default: as much swap as memory
  // The CLI sends -1 for "not set" (moby fixMemorySwappiness).
  const swappiness = hc.MemorySwappiness ?? -1
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw invalid(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`)
  if (swappiness !== -1) memory.swappiness = swappiness
  if (hc.OomKillDisable === true) memory.disableOOMKiller = true

  const cpu: NonNullable<OciResources['cpu']> = {}
  const nano = num(hc.NanoCpus); const period = num(hc.CpuPeriod); const quota = num(hc.CpuQuota); const shares = num(hc.CpuShares)
  if (nano > 0 && period > 0) throw invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set')
  if (nano > 0 && quota > 0) throw invalid('Conflicting options: Nano CPUs and CPU Quota cannot both be set')
  const ncpu = availableParallelism()
  if (nano < 0 || nano > ncpu * 1e9) throw invalid(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`)
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)')
  if (quota > 0 && quota < 1000) throw invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)')
  if (shares < 0) throw invalid(`invalid CpuShares: ${shares}: must not be negative`)
  if (shares > MAX_CPU_SHARES) throw invalid(`invalid CpuShares: ${shares}: the maximum allowed cpu-shares is ${MAX_CPU_SHARES}`)
  if (shares > 0) cpu.shares = shares
  if (nano > 0) { cpu.period = 100_000; cpu.quota = Math.floor(nano * 100_000 / 1e9) }
  if (period !== 0) cpu.period = period
  if (quota !== 0) cpu.quota = quota
  const rtPeriod = num(hc.CpuRealtimePeriod); const rtRuntime = num(hc.CpuRealtimeRuntime)
  if (rtPeriod < 0) throw invalid(`invalid CpuRealtimePeriod: ${rtPeriod}: must not be negative`)
  if (rtPeriod !== 0 && rtRuntime > rtPeriod) throw invalid('cpu real-time runtime cannot be higher than cpu real-time period')
  if (rtPeriod !== 0) cpu.realtimePeriod = rtPeriod
  if (rtRuntime !== 0) cpu.realtimeRuntime = rtRuntime
  for (const [field, key, v] of [['cpus', 'CpusetCpus', str(hc.CpusetCpus)], ['mems', 'CpusetMems', str(hc.CpusetMems)]] as const) {
    if (v === '') continue
    if (!CPUSET.test(v)) throw invalid(`Invalid value ${v} for ${key === 'CpusetCpus' ? 'cpuset cpus' : 'cpuset mems'}`)
    const available = hostCpuset(field)
    if (!cpusetWithin(v, available)) {
      throw invalid(`Requested ${field === 'cpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${v}, available: ${available}`)
    }
    cpu[field] = v
  }

  const devices = hc.Privileged === true
    ? [{ allow: true, access: 'rwm' }]
    : [...DEFAULT_DEVICE_RULES, ...deviceRules, ...list(hc.DeviceCgroupRules).map(deviceRule)]
  const out: OciResources = { devices }
  if (Object.keys(memory).length > 0) out.memory = memory
  if (Object.keys(cpu).length > 0) out.cpu = cpu
  // Docker writes -1 for 0 or -1; a new cgroup has no limit, so nothing is written.
  if (num(hc.PidsLimit) > 0) out.pids = { limit: num(hc.PidsLimit) }
  return out
}
