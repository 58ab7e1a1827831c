/**
 * What a rootless berthd (src/rootless.ts) cannot give containers on this
 * kernel, refused plainly, and what /info says of it.
 */
import { readFileSync } from 'node:fs'
import { invalid } from '../errors.js'

/**
 * The HostConfig fields that need a cgroup of the container's own. A rootless
 * berthd on cgroup v1 has none to give (Docker rootless ignores these there
 * with a warning; berth refuses them, so that no limit is believed in that
 * is not there). -1 means unlimited where Docker allows it.
 */
const CGROUP_FIELDS = ['Memory', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'KernelMemory', 'KernelMemoryTCP', 'OomKillDisable',
  'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'PidsLimit',
  'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps',
  'CgroupParent', 'DeviceCgroupRules'] as const

/** Set to a limit: not absent, zero, empty or false, and not -1 (unlimited) where Docker takes -1; PidsLimit 0 is unlimited too. */
function limits (field: string, v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === '' || v === false) return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'number' && (field === 'MemorySwap' || field === 'MemorySwappiness' || field === 'PidsLimit')) return v > 0 || (v < -1)
  return true
}

/** Refuses cgroup limits (in a create's HostConfig or an update's body) with one 400 naming them. */
export function checkNoCgroupLimits (hc: object): void {
  const set = CGROUP_FIELDS.filter(k => limits(k, (hc as Record<string, unknown>)[k]))
  if (set.length > 0) {
    throw invalid(`rootless berthd cannot apply ${set.join(', ')}: on a cgroup v1 host an unprivileged user gets no cgroups, so its containers run without any. ` +
      'Leave the limits out, or run the container under a berthd started as root')
  }
}

/** What /info says of a rootless berthd, as dockerd does in rootless mode on cgroup v1. */
export const ROOTLESS_INFO = {
  securityOption: 'name=rootless',
  cgroupDriver: 'none',
  warning: 'WARNING: Running in rootless-mode without cgroups. To enable cgroups in rootless-mode, you need to boot the system in cgroup v2 mode.'
} as const

/**
 * The highest gid of the contiguous run from 0 that berthd's user namespace
 * maps (/proc/self/gid_map): the kernel refuses a ping_group_range naming
 * gids the namespace does not map, as Docker's 0-2147483647 does here.
 */
export function lastMappedGid (map = readFileSync('/proc/self/gid_map', 'utf8')): number {
  const ranges = map.trim().split('\n').map(l => l.trim().split(/\s+/).map(Number)).filter(r => r.length === 3) as Array<[number, number, number]>
  let next = 0
  for (let found = true; found;) {
    found = false
    for (const [inside, , count] of ranges) if (inside <= next && inside + count > next) { next = inside + count; found = true }
  }
  return Math.max(0, next - 1)
}
