/**
 * Docker's create body plus an image config → an OCI runtime-spec config.json,
 * the way dockerd builds it (moby daemon/oci_linux.go over oci/defaults.go,
 * daemon/create.go's merge of the image config, daemon_unix.go's checks).
 * Pure: the caller resolves the user, mounts the rootfs and writes the
 * /etc/hostname, /etc/hosts and /etc/resolv.conf files (etc-files.ts builds
 * their content). The mounts are mounts.ts's; the cgroup settings resources.ts's.
 *
 * What berth cannot honour is refused by checkCreateBody with a message naming
 * the field, unless the field holds its zero value: the docker CLI sends every
 * key, mostly zero.
 */
import { readFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { isIP } from 'node:net'
import { invalid } from '../errors.js'
import { isZero, list, num, str, type DockerCreateBody, type DockerHostConfig } from './createbody.js'
import { parseExtraHosts } from './etc-files.js'
import { allMounts, bindMount, cleanPath, rootfsPropagation, userMounts, type OciMount } from './mounts.js'
import { checkNoNul, checkPathLength } from './cstrings.js'
import { ALL_CAPS, KNOWN_CAPS, mergeEnv } from './exec.js'
import { checkAutoRemove, parseRestartPolicy } from './restart.js'
import { checkHealthConfig, type AskedHealth } from './health.js'
import type { OciDevice } from './hostres.js'
import { blockIO, checkRealtime, hostDevices, resources, type OciResources } from './resources.js'
import { logPolicy } from '../logs/config.js'
import { containerSeccomp, type DaemonSeccomp, type OciSeccomp } from '../security/seccomp.js'
import { securityOptions, type SecurityOptions } from '../security/options.js'

export type { DockerCreateBody, DockerHostConfig } from './createbody.js'
export type { OciMount } from './mounts.js'

/** The image config fields a container inherits (the OCI image config's `config`). */
export interface ImageConfigInput { Env?: string[], Cmd?: string[], Entrypoint?: string[], WorkingDir?: string, User?: string, Labels?: Record<string, string>, StopSignal?: string, Healthcheck?: AskedHealth }

/** Everything dockerSpec needs besides the body: resolved by the caller. */
export interface SpecInput {
  /** 64 hex container id. */
  id: string
  body: DockerCreateBody
  image: ImageConfigInput
  /** Absolute path of the container's mounted rootfs. */
  rootfs: string
  /** The body's (or image's) User, resolved in the rootfs with GroupAdd's names (users.ts). */
  user: { uid: number, gid: number, additionalGids?: number[] }
  /** Host files bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  files: { hostname: string, hosts: string, resolvConf: string }
  /** The binds of the container's volumes (volume-mounts.ts), which replace the body's mounts of type volume. */
  volumes?: OciMount[]
  /** Host path of the init binary (tini or catatonit), needed when HostConfig.Init is true. */
  init?: string
  cgroupsPath?: string
  /** The runtime binary's name (runc, crun): what the kernel offers is not written by every runtime. */
  runtime?: string
  /** The host's hostname, used with NetworkMode host; default os.hostname(). */
  hostHostname?: string
  /** What an empty CgroupnsMode means. Docker: `private` on cgroup v2 hosts, `host` on v1 (the default here). */
  defaultCgroupns?: 'private' | 'host'
  /** The daemon's seccomp profiles (read at start-up); absent: no filter, as with `--seccomp-profile unconfined`. */
  seccomp?: DaemonSeccomp
  /** net.ipv4.ping_group_range in a private network namespace; Docker's '0 2147483647' unless the user namespace maps fewer gids (rootless). */
  pingGroupRange?: string
}

/** RLIM_INFINITY (-1 in Docker's Ulimits) is 2^64-1, which a JS number cannot hold: see specJson. */
export interface OciRlimit { type: string, soft: number | bigint, hard: number | bigint }

export interface OciSpec {
  ociVersion: string
  root: { path: string, readonly: boolean }
  hostname?: string
  process: {
    terminal: boolean
    consoleSize?: { height: number, width: number }
    user: { uid: number, gid: number, additionalGids?: number[] }
    args: string[]
    env: string[]
    cwd: string
    capabilities: { bounding: string[], effective?: string[], permitted?: string[] }
    rlimits?: OciRlimit[]
    noNewPrivileges?: boolean
    oomScoreAdj: number
  }
  mounts: OciMount[]
  linux: {
    namespaces: Array<{ type: string }>
    maskedPaths?: string[]
    readonlyPaths?: string[]
    resources: OciResources
    devices?: OciDevice[]
    sysctl?: Record<string, string>
    cgroupsPath?: string
    rootfsPropagation?: string
    seccomp?: OciSeccomp
  }
  annotations?: Record<string, string>
}

/** Docker's PATH when neither the image nor the body sets one (moby oci/defaults.go). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP',
  'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'].map(c => `CAP_${c}`)

/**
 * Docker 28's masked paths (moby oci/defaults.go; /proc/interrupts since
 * moby#49560). Docker also masks /sys/devices/system/cpu/cpu*\/thermal_throttle,
 * found on the host at run time: that needs I/O and is left out.
 */
export const MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap']

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

/** Where Docker mounts the init binary in the container. */
export const INIT_PATH = '/sbin/docker-init'

const DEFAULT_SHM_SIZE = 64 * 1024 * 1024
// --------------------------------------------------------- unsupported fields

type Allowed = (v: any) => boolean
const zeroOr = (...ok: unknown[]): Allowed => v => isZero(v) || ok.includes(v)
/** A map's zero value is an empty one: a key counts even when its value is zero. */
const noKeys: Allowed = v => v === undefined || v === null || Object.keys(v).length === 0

/** Fields berth refuses unless zero (or one of the listed values): path, what is allowed, why. */
const UNSUPPORTED: Array<[string, Allowed, string]> = [
  ['MacAddress', isZero, 'netavark picks the address'],
  ['HostConfig.Links', isZero, 'legacy links: use a user-defined network, where names resolve'],
  ['HostConfig.VolumeDriver', zeroOr('local'), 'only the local volume driver exists'],
  ['HostConfig.DeviceRequests', isZero, 'device requests'],
  ['HostConfig.CpuCount', isZero, 'Windows only'],
  ['HostConfig.CpuPercent', isZero, 'Windows only'],
  ['HostConfig.IOMaximumIOps', isZero, 'Windows only'],
  ['HostConfig.IOMaximumBandwidth', isZero, 'Windows only'],
  ['HostConfig.KernelMemory', isZero, 'kernel memory limits'],
  ['HostConfig.KernelMemoryTCP', isZero, 'kernel memory limits'],
  ['HostConfig.Cgroup', isZero, 'joining another container\'s cgroup is not supported: use CgroupParent'],
  ['HostConfig.UsernsMode', zeroOr('host'), 'use host or leave it empty (berthd --userns-remap gives every container a user namespace)'],
  ['HostConfig.StorageOpt', noKeys, 'storage options'],
  ['HostConfig.Isolation', zeroOr('default'), 'Windows only'],
  ['HostConfig.IpcMode', zeroOr('private', 'shareable', 'none', 'host'),
    'use private, shareable, none or host (container:<id> would need the other container\'s /dev/shm, which lives in its own mount namespace)'],
  ['HostConfig.PidMode', v => zeroOr('host')(v) || /^container:./.test(v), 'use host, container:<name or id>, or leave it empty'],
  ['HostConfig.UTSMode', zeroOr('host'), 'use host or leave it empty'],
  ['HostConfig.CgroupnsMode', zeroOr('private', 'host'), 'use private or host']
]

const at = (obj: unknown, path: string): unknown => path.split('.').reduce<any>((o, k) => o?.[k], obj)
const shown = (v: unknown): string => { const s = JSON.stringify(v); return s.length > 80 ? `${s.slice(0, 77)}...` : s }

/** Refuses fields berth cannot honour; their zero values pass. */
function checkUnsupported (body: DockerCreateBody): void {
  // The log config, with Docker's messages (logs/config.ts).
  logPolicy(body.HostConfig?.LogConfig?.Type, body.HostConfig?.LogConfig?.Config)
  checkHealthConfig(body.Healthcheck)
  for (const [path, ok, why] of UNSUPPORTED) {
    const v = at(body, path)
    if (!ok(v)) throw invalid(`${path.replace(/^HostConfig\./, '')} is not supported: ${why} (got ${shown(v)})`)
  }
  networkMode(body)
  for (const [name, ep] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {})) {
    for (const [field, v] of Object.entries(ep ?? {})) {
      // An address of its own (`--ip`) is leased as asked; the rest of IPAMConfig is IPv6 and link-local.
      const ok = ['Aliases', 'NetworkID'].includes(field) || (field === 'IPAMConfig' && isZero({ ...(v as object), IPv4Address: undefined }))
      if (!isZero(v) && !ok) throw invalid(`NetworkingConfig.EndpointsConfig.${name}.${field} is not supported: berth leases the addresses (got ${shown(v)})`)
    }
  }
}

// ------------------------------------------------------------ command and env

/** Docker's StrSlice: a string is a one-element list; null stays null (Go's nil). */
const strSlice = (v: string | string[] | null | undefined): string[] | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? [v] : v

/** The container Config after Docker merges the image config into it (moby daemon/commit.go merge). */
export interface MergedConfig { Entrypoint: string[] | null, Cmd: string[] | null, Env: string[], WorkingDir: string, User: string, Labels: Record<string, string>, StopSignal: string }

/**
 * Docker's merge of the image config into the body (pure): with no body
 * Entrypoint (null) the image's is kept; with no Entrypoint at all (null or
 * []) and no Cmd, the image's Cmd is kept; so a body Entrypoint drops the
 * image's Cmd. `[""]` then clears the entrypoint (daemon/create.go). Body Env
 * comes first, then image entries whose key the body does not set.
 */
export function mergeImageConfig (image: ImageConfigInput, body: DockerCreateBody): MergedConfig {
  let entrypoint = strSlice(body.Entrypoint)
  let cmd = strSlice(body.Cmd)
  if (entrypoint === null || entrypoint.length === 0) {
    if (cmd === null || cmd.length === 0) cmd = image.Cmd ?? null
    if (entrypoint === null) entrypoint = image.Entrypoint ?? null
  }
  if (entrypoint?.length === 1 && entrypoint[0] === '') entrypoint = null
  const key = (e: string): string => e.split('=', 1)[0]!
  // The docker client sends an empty entry for an empty -e list; Docker drops it.
  const env = list(body.Env).filter(e => e !== '')
  const keys = new Set(env.map(key))
  return {
    Entrypoint: entrypoint,
    Cmd: cmd,
    Env: [...env, ...list(image.Env).filter(e => !keys.has(key(e)))],
    WorkingDir: str(body.WorkingDir) !== '' ? str(body.WorkingDir) : (image.WorkingDir ?? ''),
    User: str(body.User) !== '' ? str(body.User) : (image.User ?? ''),
    Labels: { ...image.Labels, ...body.Labels },
    StopSignal: str(body.StopSignal) !== '' ? str(body.StopSignal) : (image.StopSignal ?? '')
  }
}

/** The process's argv: Entrypoint then Cmd, after Docker's merge. Throws when there is none. */
export function mergeCommand (image: ImageConfigInput, body: DockerCreateBody): string[] {
  const { Entrypoint, Cmd } = mergeImageConfig(image, body)
  const argv = [...(Entrypoint ?? []), ...(Cmd ?? [])]
  if (argv.length === 0) throw invalid('No command specified')
  return argv
}

// ------------------------------------------------------------------- modes

type NetMode = 'private' | 'host'

/**
 * host → the host's network namespace; anything else a private one: none
 * (loopback only), a network (default, bridge or a name, set up at launch)
 * or container:<ref> (joined at launch). Whether the network exists is the
 * manager's check.
 */
function networkMode (body: DockerCreateBody): NetMode {
  const mode = str(body.HostConfig?.NetworkMode)
  if (mode === 'host') return 'host'
  if (mode === 'container:') throw invalid('invalid network mode: container: needs a container name or id')
  return 'private'
}

/** The container's hostname as Docker sets it: Hostname, else the host's with host networking, else the id's first 12 characters. */
export function containerHostname (id: string, body: DockerCreateBody, hostHostname = osHostname()): string {
  if (str(body.Hostname) !== '') return str(body.Hostname)
  return networkMode(body) === 'host' ? hostHostname : id.slice(0, 12)
}

// ------------------------------------------------------------ capabilities

function normalizeCaps (caps: string[]): string[] {
  return caps.map(c => {
    let u = c.toUpperCase()
    if (u === 'ALL') return u
    if (!u.startsWith('CAP_')) u = `CAP_${u}`
    if (!KNOWN_CAPS.includes(u)) throw invalid(`unknown capability: "${u}"`)
    return u
  })
}

/** Docker's caps.TweakCapabilities (pure): privileged → all; ALL in CapAdd → all but the dropped; ALL in CapDrop → only the added. */
export function capabilities (capAdd: string[], capDrop: string[], privileged: boolean): string[] {
  if (privileged) return [...ALL_CAPS]
  const add = normalizeCaps(capAdd)
  const drop = normalizeCaps(capDrop)
  let caps: string[]
  if (add.includes('ALL')) caps = ALL_CAPS.filter(c => !drop.includes(c))
  else if (drop.includes('ALL')) caps = add
  else caps = [...DEFAULT_CAPS.filter(c => !drop.includes(c)), ...add]
  return [...new Set(caps)]
}

// ------------------------------------------------------- process settings

const ULIMITS = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']
const RLIM_INFINITY = 2n ** 64n - 1n
const nrOpen = (): number => { try { return Number(readFileSync('/proc/sys/fs/nr_open', 'utf8')) } catch { return 1_048_576 } }

/** Ulimits → OCI rlimits (go-units' names and checks); -1 is unlimited. */
function rlimits (ulimits: NonNullable<DockerHostConfig['Ulimits']>): OciRlimit[] {
  return ulimits.map(u => {
    if (!ULIMITS.includes(u.Name)) throw invalid(`invalid ulimit type: ${u.Name}`)
    const value = (n: number): number | bigint => n < 0 ? RLIM_INFINITY : n
    // Compared as the kernel's unsigned values: a negative soft limit is unlimited, above any finite hard one.
    if (value(u.Soft) > value(u.Hard)) throw invalid(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`)
    // setrlimit refuses more open files than fs.nr_open (EPERM), so unlimited nofile never works.
    if (u.Name === 'nofile' && value(u.Hard) > nrOpen()) {
      throw invalid(`ulimit nofile: hard limit ${u.Hard < 0 ? 'unlimited' : u.Hard} is above the kernel's maximum of ${nrOpen()} open files (fs.nr_open)`)
    }
    return { type: `RLIMIT_${u.Name.toUpperCase()}`, soft: value(u.Soft), hard: value(u.Hard) }
  })
}

const IPC_SYSCTLS = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\..+)$/

/** Namespaced sysctls only, net.* only in a private network namespace (runc's rules). */
function checkSysctls (sysctls: Record<string, string>, net: NetMode): void {
  for (const k of Object.keys(sysctls)) {
    if (k.startsWith('net.')) {
      if (net === 'host') throw invalid(`sysctl "${k}" not allowed in host network namespace`)
    } else if (!IPC_SYSCTLS.test(k)) {
      throw invalid(`Sysctls: sysctl '${k}' is not allowed: only namespaced ones (net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) can be set`)
    }
  }
}

/** GroupAdd's numeric gids; names are the caller's to resolve in the image's group file (SpecInput.user). */
function groupAdd (groups: string[]): number[] {
  for (const g of groups) if (g === '' || /[:\n]/.test(g)) throw invalid(`GroupAdd: invalid group "${g}"`)
  return groups.filter(g => /^\d+$/.test(g)).map(Number)
}

// ------------------------------------------------------------------ the plan

/**
 * PidMode `container:<ref>`: the container whose PID namespace this one
 * joins (moby PidMode.Container()). The spec keeps a private one: the
 * namespace's path is the other container's pid, which the manager fills in
 * at each run.
 */
export function pidContainer (hc: DockerHostConfig | null | undefined): string | undefined {
  const mode = str(hc?.PidMode)
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined
}

/** Everything that follows from the body alone, checked. */
interface Plan {
  hc: DockerHostConfig
  net: NetMode
  caps: string[]
  mounts: OciMount[]
  resources: OciSpec['linux']['resources']
  devices: OciDevice[]
  rlimits: OciRlimit[]
  security: SecurityOptions
  groups: number[]
}

/**
 * The Volumes key docker-py before 6.0.1 sends for a bind: its
 * `rstrip(':ro').rstrip(':rw')` eats a path's trailing r, o and w, so that
 * `/host:/ctr` comes with Volumes `/ct` (docker-py#3073; Debian 12 ships
 * 5.0.3). Docker makes an empty anonymous volume there, which nobody asked for.
 */
const dockerPyVolumeKey = (bind: string): string => cleanPath(bind.slice(bind.indexOf(':') + 1).replace(/[:ro]+$/, '').replace(/[:rw]+$/, ''))

/**
 * The Volumes paths that get an anonymous volume: those no mount covers
 * (moby daemon/create_unix.go); a covered one is skipped, the mount wins.
 * docker-py sends both for every `volumes=["/host:/ctr"]`.
 */
export function anonymousVolumePaths (body: DockerCreateBody, mounts: OciMount[]): string[] {
  const covered = new Set([...mounts.map(m => m.destination), ...list(body.HostConfig?.Binds).map(dockerPyVolumeKey)])
  return Object.keys(body.Volumes ?? {}).filter(p => !covered.has(cleanPath(p)))
}

/** VolumesFrom entries: `container[:ro|:rw]` (moby volume/mounts ParseVolumesFrom). */
export function parseVolumesFrom (spec: string): { ref: string, mode: '' | 'ro' | 'rw' } {
  const [ref = '', mode = '', ...rest] = spec.split(':')
  if (ref === '' || rest.length > 0) throw invalid(`invalid volumes-from: '${spec}'`)
  if (mode !== '' && mode !== 'ro' && mode !== 'rw') throw invalid(`invalid mode for volumes-from: ${mode}`)
  return { ref, mode }
}

function plan (body: DockerCreateBody, runtime?: string): Plan {
  checkNoNul(body)
  checkUnsupported(body)
  const hc = body.HostConfig ?? {}
  const mounts = userMounts(hc)
  for (const p of anonymousVolumePaths(body, mounts)) if (!p.startsWith('/')) throw invalid(`invalid mount config for type "volume": invalid mount path: '${p}' mount path must be absolute`)
  list(hc.VolumesFrom).forEach(parseVolumesFrom)
  checkAutoRemove(parseRestartPolicy(hc.RestartPolicy), hc.AutoRemove === true)
  const net = networkMode(body)
  for (const e of list(body.Env)) if (e.startsWith('=')) throw invalid(`invalid environment variable: ${e}`)
  const wd = str(body.WorkingDir)
  if (wd !== '' && !wd.startsWith('/')) throw invalid(`the working directory '${wd}' is invalid, it needs to be an absolute path`)
  const hostname = str(body.Hostname)
  if (hostname.length > 64 || /[\s/]/.test(hostname)) throw invalid(`invalid hostname: "${hostname}"`)
  if (hc.UTSMode === 'host' && (hostname !== '' || str(body.Domainname) !== '')) throw invalid('Conflicting options: hostname and the UTS mode')
  const shm = num(hc.ShmSize)
  if (shm < 0) throw invalid('SHM size can not be less than 0')
  const oom = num(hc.OomScoreAdj)
  if (oom < -1000 || oom > 1000) throw invalid(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`)
  for (const field of ['MaskedPaths', 'ReadonlyPaths'] as const) {
    for (const p of list(hc[field])) if (!p.startsWith('/')) throw invalid(`${field}: "${p}" is not an absolute path`)
  }
  for (const s of list(hc.Dns)) if (isIP(s) === 0) throw invalid(`Dns: ${s} is not an ip address`)
  parseExtraHosts(list(hc.ExtraHosts))
  checkSysctls(hc.Sysctls ?? {}, net)
  const devices = hostDevices(hc)
  const io = blockIO(hc, runtime)
  return {
    hc,
    net,
    caps: capabilities(strSlice(hc.CapAdd) ?? [], strSlice(hc.CapDrop) ?? [], hc.Privileged === true),
    mounts,
    resources: { ...resources(hc, devices.map(d => d.rule)), ...(Object.keys(io).length > 0 ? { blockIO: io } : {}) },
    devices: devices.map(d => d.node),
    rlimits: rlimits(list(hc.Ulimits)),
    security: securityOptions(list(hc.SecurityOpt)),
    groups: groupAdd(list(hc.GroupAdd))
  }
}

/**
 * Checks a create body without an image (pure): every field set to a value
 * berth does not support is refused naming it, and every value berth does
 * support is checked as Docker checks it. Zero values always pass.
 */
export function checkCreateBody (body: DockerCreateBody, runtime?: string): void {
  plan(body, runtime)
}

/** The user's mounts with each volume replaced by its bind, and the binds of volumes that come from elsewhere (VolumesFrom, Volumes, the image). */
function withVolumes (mounts: OciMount[], volumes: OciMount[] | undefined): OciMount[] {
  const own = mounts.filter(m => m.type !== 'volume')
  if (volumes === undefined && own.length < mounts.length) throw new Error('volume mounts without their binds')
  return [...own, ...(volumes ?? [])]
}

/** The OCI config.json for a Docker create body (pure but for os.hostname() with host networking, and the host's arch and kernel, which the seccomp filter depends on). */
export function dockerSpec (input: SpecInput): OciSpec {
  const { id, body, image } = input
  const p = plan(body, input.runtime)
  const { hc } = p
  if (input.cgroupsPath !== undefined) checkRealtime(hc, input.cgroupsPath)
  const config = mergeImageConfig(image, body)
  let args = mergeCommand(image, body)
  const pidHost = hc.PidMode === 'host'
  const pidPrivate = str(hc.PidMode) === ''
  const utsHost = hc.UTSMode === 'host'
  const ipc = str(hc.IpcMode) === 'none' || str(hc.IpcMode) === 'host' ? str(hc.IpcMode) : 'private'
  const cgroupns = str(hc.CgroupnsMode) !== '' ? str(hc.CgroupnsMode) : (input.defaultCgroupns ?? 'host')
  const hostname = containerHostname(id, body, input.hostHostname)
  const readonlyRoot = hc.ReadonlyRootfs === true
  const privileged = hc.Privileged === true
  const tty = body.Tty === true

  const extra = [
    bindMount(input.files.resolvConf, '/etc/resolv.conf', readonlyRoot),
    bindMount(input.files.hostname, '/etc/hostname', readonlyRoot),
    bindMount(input.files.hosts, '/etc/hosts', readonlyRoot)
  ]
  // The host's IPC namespace comes with the host's /dev/shm (moby setupIPCDirs).
  if (ipc === 'host') extra.push(bindMount('/dev/shm', '/dev/shm', false))
  // Docker adds the init only in a private pid namespace: elsewhere there is one already.
  if (hc.Init === true && pidPrivate) {
    if (input.init === undefined) throw invalid('Init is not supported: no init binary (tini or catatonit) is installed')
    args = [INIT_PATH, '--', ...args]
    extra.push({ destination: INIT_PATH, type: 'bind', source: input.init, options: ['bind', 'ro'] })
  }

  const additionalGids = [...new Set([...(input.user.additionalGids ?? []), ...p.groups])]
  const user = { uid: input.user.uid, gid: input.user.gid, ...(additionalGids.length > 0 ? { additionalGids } : {}) }
  const [height = 0, width = 0] = list(hc.ConsoleSize)

  const sysctl: Record<string, string> = {}
  if (str(body.Domainname) !== '') sysctl['kernel.domainname'] = str(body.Domainname)
  if (p.net === 'private') {
    // Docker's defaults in a private network namespace: ping and low ports without capabilities.
    sysctl['net.ipv4.ping_group_range'] = input.pingGroupRange ?? '0 2147483647'
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0'
  }
  Object.assign(sysctl, hc.Sysctls)

  const namespaces = [
    { type: 'mount' },
    ...(p.net === 'private' ? [{ type: 'network' }] : []),
    ...(utsHost ? [] : [{ type: 'uts' }]),
    ...(pidHost ? [] : [{ type: 'pid' }]),
    ...(ipc === 'host' ? [] : [{ type: 'ipc' }]),
    ...(cgroupns === 'private' ? [{ type: 'cgroup' }] : [])
  ]

  const propagation = rootfsPropagation(p.mounts)
  const seccomp = containerSeccomp(p.security.seccomp, input.seccomp, privileged, p.caps)
  const spec: OciSpec = {
    ociVersion: '1.0.2',
    root: { path: input.rootfs, readonly: readonlyRoot },
    ...(utsHost ? {} : { hostname }),
    process: {
      terminal: tty,
      ...(tty && height > 0 && width > 0 ? { consoleSize: { height, width } } : {}),
      user,
      args,
      env: mergeEnv([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])], config.Env),
      cwd: config.WorkingDir !== '' ? cleanPath(config.WorkingDir) : '/',
      // Docker gives a non-root user only the bounding set, as execve would (oci.SetCapabilities).
      capabilities: user.uid === 0 ? { bounding: p.caps, effective: p.caps, permitted: p.caps } : { bounding: p.caps },
      ...(p.rlimits.length > 0 ? { rlimits: p.rlimits } : {}),
      ...(p.security.noNewPrivileges ? { noNewPrivileges: true } : {}),
      oomScoreAdj: num(hc.OomScoreAdj)
    },
    mounts: allMounts(withVolumes(p.mounts, input.volumes), extra, { shmSize: num(hc.ShmSize) > 0 ? num(hc.ShmSize) : DEFAULT_SHM_SIZE, ipc, readonlyRoot, privileged }),
    linux: {
      namespaces,
      ...(privileged ? {} : { maskedPaths: hc.MaskedPaths ?? MASKED_PATHS, readonlyPaths: hc.ReadonlyPaths ?? READONLY_PATHS }),
      resources: p.resources,
      ...(p.devices.length > 0 ? { devices: p.devices } : {}),
      ...(Object.keys(sysctl).length > 0 ? { sysctl } : {}),
      ...(input.cgroupsPath !== undefined ? { cgroupsPath: input.cgroupsPath } : {}),
      ...(propagation !== undefined ? { rootfsPropagation: propagation } : {}),
      ...(seccomp !== undefined ? { seccomp } : {})
    },
    ...(isZero(hc.Annotations) ? {} : { annotations: { ...hc.Annotations } })
  }
  checkSpecPaths(spec)
  return spec
}

/** The executable, the working dir and every mount point of `spec` within PATH_MAX. */
export function checkSpecPaths (spec: { process?: { args?: string[], cwd?: string }, mounts?: Array<{ destination: string }> }): void {
  checkPathLength('the command\'s executable', spec.process?.args?.[0] ?? '')
  checkPathLength('the working directory', spec.process?.cwd ?? '')
  for (const m of spec.mounts ?? []) checkPathLength('a mount point', m.destination)
}

/** Parses config.json text; an rlimit a JS number cannot hold (RLIM_INFINITY) comes back as a bigint that specJson writes exactly. */
export function parseSpecJson (text: string): unknown {
  return JSON.parse(text, (k, v: unknown) => (k === 'soft' || k === 'hard') && typeof v === 'number' && v > Number.MAX_SAFE_INTEGER ? RLIM_INFINITY : v)
}

/** config.json text: like JSON.stringify, but writes 64-bit rlimits (RLIM_INFINITY) exactly. */
export function specJson (spec: object): string {
  return JSON.stringify(spec, (_k, v) => typeof v === 'bigint' ? `\u0000${v}\u0000` : v, 2).replace(/"\\u0000(\d+)\\u0000"/g, '$1') + '\n'
}
