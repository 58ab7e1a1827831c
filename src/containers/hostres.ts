/**
 * The parts of a Docker create that depend on this host rather than the
 * body: the device nodes behind HostConfig.Devices (moby
 * daemon/pkg/oci/devices_linux.go DevicesFromPath), the device numbers
 * behind the Blkio* lists (daemon_unix.go getBlkioWeightDevices and
 * getBlkioThrottleDevices), and what the cgroup v1 hierarchy can honour
 * (block I/O weight needs CFQ or BFQ; real-time CPU time needs a budget in
 * the parent cgroup). Everything is read synchronously at create.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { invalid } from '../errors.js'

/** An OCI `linux.devices` entry: a node the runtime makes in the container's /dev. */
export interface OciDevice { path: string, type: string, major: number, minor: number, fileMode: number, uid: number, gid: number }

const CGROUP_ROOT = '/sys/fs/cgroup'

// Linux's dev_t split (glibc's gnu_dev_major / gnu_dev_minor), on a number that fits in 53 bits.
const major = (rdev: number): number => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn)
const minor = (rdev: number): number => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn)

// Character and block devices only: the device cgroup has no rule type for a FIFO.
const deviceType = (st: Stats): string | undefined => st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined

/** How many entries a directory named in Devices may hold: the walk runs at create, so `/` must not stall the daemon. */
export const MAX_DEVICE_WALK = 10_000

/** A device node as the runtime should make it at `path` in the container, or undefined when `host` is not one. */
function deviceAt (host: string, path: string): OciDevice | undefined {
  let st: Stats
  try { st = statSync(host) } catch { return undefined }
  const type = deviceType(st)
  if (type === undefined) return undefined
  return { path, type, major: major(st.rdev), minor: minor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid }
}

/**
 * The nodes of one HostConfig.Devices entry: a device, or every device under
 * a directory (placed under `inContainer`, as Docker walks it). A symlink is
 * followed first, so `/dev/stdout`-like links name their target's device.
 */
export function devicesFromPath (onHost: string, inContainer: string): OciDevice[] {
  let resolved = onHost
  try { if (lstatSync(onHost).isSymbolicLink()) resolved = realpathSync(onHost) } catch {}
  const one = deviceAt(resolved, inContainer)
  if (one !== undefined) return [one]
  const out: OciDevice[] = []
  let seen = 0
  const walk = (dir: string): void => {
    let entries
    try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      if (++seen > MAX_DEVICE_WALK) throw invalid(`Devices: ${onHost} holds more than ${MAX_DEVICE_WALK} entries: name the devices instead`)
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else {
        const d = deviceAt(p, posix.join(inContainer, p.slice(resolved.length)))
        if (d !== undefined) out.push(d)
      }
    }
  }
  if (existsSync(resolved) && statSync(resolved).isDirectory()) walk(resolved)
  if (out.length === 0) {
    const why = existsSync(resolved) ? 'not a device node' : 'no such file or directory'
    throw invalid(`error gathering device information while adding custom device "${onHost}": ${why}`)
  }
  return out
}

/** The major:minor of the block device at `path` (a Blkio* list's Path), with Docker's message for a path that is not there. */
export function blockDevice (field: string, path: string): { major: number, minor: number } {
  let st: Stats
  try { st = statSync(path) } catch (err) { throw invalid(`stat ${path}: no such file or directory`, err) }
  if (!st.isBlockDevice()) throw invalid(`${field}: ${path} is not a block device`)
  return { major: major(st.rdev), minor: minor(st.rdev) }
}

/** The I/O scheduler a block device uses (the bracketed one in queue/scheduler; a partition's is its disk's). */
export function ioScheduler (dev: { major: number, minor: number }): string {
  const base = `/sys/dev/block/${dev.major}:${dev.minor}`
  for (const p of [join(base, 'queue', 'scheduler'), join(base, '..', 'queue', 'scheduler')]) {
    try { return /\[([^\]]+)\]/.exec(readFileSync(p, 'utf8'))?.[1] ?? 'none' } catch {}
  }
  return 'none'
}

/**
 * The blkio hierarchy's weight file: CFQ's blkio.weight, BFQ's
 * blkio.bfq.weight, or undefined when the kernel has neither. The root
 * cgroup has none under BFQ, so a child of it is looked at too.
 */
export function blkioWeightFile (root = CGROUP_ROOT): 'blkio.weight' | 'blkio.bfq.weight' | undefined {
  const dir = join(root, 'blkio')
  const file = (d: string): 'blkio.weight' | 'blkio.bfq.weight' | undefined =>
    existsSync(join(d, 'blkio.weight')) ? 'blkio.weight' : existsSync(join(d, 'blkio.bfq.weight')) ? 'blkio.bfq.weight' : undefined
  try {
    const child = readdirSync(dir, { withFileTypes: true }).find(e => e.isDirectory())
    return file(dir) ?? (child !== undefined ? file(join(dir, child.name)) : undefined)
  } catch { return undefined }
}

/**
 * The real-time CPU budget (cpu.rt_runtime_us) a container at cgroupsPath
 * can take from its parent, or undefined when the kernel has no real-time
 * group scheduling. A parent that does not exist yet is made by the runtime
 * with no budget, unless it is the root.
 */
export function realtimeBudget (cgroupsPath: string, root = CGROUP_ROOT): number | undefined {
  const cpu = join(root, 'cpu')
  if (!existsSync(join(cpu, 'cpu.rt_runtime_us'))) return undefined
  const parent = join(cpu, dirname(cgroupsPath))
  try { return Number(readFileSync(join(parent, 'cpu.rt_runtime_us'), 'utf8')) } catch { return 0 }
}
