/**
 * A container's mounts as dockerd makes them (moby daemon/oci_linux.go
 * WithMounts, volume/mounts/linux_parser.go): the defaults, the user's
 * Binds, Mounts and Tmpfs, and the /etc files and init the caller adds. A
 * volume comes out as a mount of type `volume` whose source is its name (''
 * for an anonymous one): volume-mounts.ts turns it into a bind of the
 * volume's dir. Pure.
 */
import { posix } from 'node:path'
import { invalid } from '../errors.js'
import { VOLUME_NAME } from '../volumes/store.js'
import { isZero, list, num, str, type DockerHostConfig, type DockerMount } from './createbody.js'

export interface OciMount { destination: string, type: string, source: string, options: string[] }

/** The bind propagation modes Docker accepts. */
export const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']

const DEFAULT_MOUNTS: readonly OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] }
]

export const cleanPath = (p: string): string => { const n = posix.normalize(p); return n.length > 1 ? n.replace(/\/+$/, '') : n }
const mountPathError = (type: string, p: string): Error => invalid(`invalid mount config for type "${type}": invalid mount path: '${p}' mount path must be absolute`)

export const bindMount = (source: string, destination: string, readOnly: boolean, propagation = 'rprivate', recursive = true): OciMount =>
  ({ destination, type: 'bind', source, options: [recursive ? 'rbind' : 'bind', ...(readOnly ? ['ro'] : []), propagation] })

/** A volume to be attached: `name` '' for an anonymous one; `nocopy` keeps the image's content out of a new one. */
const volumeMount = (name: string, destination: string, readOnly: boolean, noCopy: boolean): OciMount =>
  ({ destination, type: 'volume', source: name, options: [...(readOnly ? ['ro'] : []), ...(noCopy ? ['nocopy'] : [])] })

/** One `-v`, moby's linux parser's rules: `/ctr` (anonymous volume), `name:/ctr[:mode]` (volume), `/host:/ctr[:mode]` (bind). */
function parseBind (spec: string): OciMount {
  const parts = spec.split(':')
  if (parts.length > 3 || parts.some((p, i) => p === '' && i < 2)) throw invalid(`invalid volume specification: '${spec}'`)
  const [src = '', dst = '', mode = ''] = parts.length === 1 ? ['', spec] : parts
  const volume = !src.startsWith('/')
  if (volume && src !== '' && !VOLUME_NAME.test(src)) {
    throw invalid(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`)
  }
  if (!dst.startsWith('/')) throw invalid(`invalid volume specification: '${spec}': ${mountPathError(volume ? 'volume' : 'bind', dst).message}`)
  if (cleanPath(dst) === '/') throw invalid('invalid specification: destination can\'t be \'/\'')
  let readOnly: boolean | undefined; let propagation: string | undefined; let label = false; let noCopy: boolean | undefined
  for (const m of mode === '' ? [] : mode.split(',')) {
    if ((m === 'ro' || m === 'rw') && readOnly === undefined) readOnly = m === 'ro'
    else if (PROPAGATIONS.includes(m) && propagation === undefined && !volume) propagation = m
    else if ((m === 'z' || m === 'Z') && !label) label = true // SELinux relabelling: no SELinux here
    else if ((m === 'nocopy' || m === 'copy') && noCopy === undefined && volume) noCopy = m === 'nocopy'
    else if (!['consistent', 'cached', 'delegated'].includes(m)) throw invalid(`invalid volume specification: '${spec}': invalid mode: ${mode}`)
  }
  if (volume) return volumeMount(src, cleanPath(dst), readOnly === true, noCopy === true)
  return bindMount(src, cleanPath(dst), readOnly === true, propagation)
}

/** Mount flags that cancel each other share a key (moby/sys/mount's flag table). */
const FLAG_KEYS: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev', exec: 'noexec', noexec: 'noexec',
  sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand', nomand: 'mand', atime: 'noatime', noatime: 'noatime',
  diratime: 'nodiratime', nodiratime: 'nodiratime', bind: 'bind', rbind: 'rbind', relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  ...Object.fromEntries([...PROPAGATIONS, 'unbindable', 'runbindable'].map(p => [p, 'propagation']))
}
const TMPFS_DATA = ['', 'size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']
/** What the kernel's tmpfs accepts for an option (shmem_parse_one): checked here, or the runtime refuses it at start with EINVAL. */
const TMPFS_VALUES: Record<string, [RegExp, string]> = {
  size: [/^\d+[kmgtpe%]?$/i, 'a number of bytes with an optional k, m or g suffix, or a percentage'],
  nr_blocks: [/^\d+[kmgtpe]?$/i, 'a number with an optional k, m or g suffix'],
  nr_inodes: [/^\d+[kmgtpe%]?$/i, 'a number with an optional k, m or g suffix, or a percentage'],
  mode: [/^[0-7]{1,4}$/, 'an octal file mode'],
  uid: [/^\d+$/, 'a number'],
  gid: [/^\d+$/, 'a number']
}

/** moby/sys/mount MergeTmpfsOptions: the last of conflicting options wins, order kept. */
export function mergeTmpfsOptions (options: string[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const o of [...options].reverse()) {
    if (o === 'defaults') continue
    let key = FLAG_KEYS[o]
    if (key === undefined) {
      const eq = o.indexOf('=')
      if (eq < 0 || !TMPFS_DATA.includes(o.slice(0, eq))) throw invalid(`invalid tmpfs option ${JSON.stringify(eq < 0 ? [o] : [o.slice(0, eq), o.slice(eq + 1)])}`)
      key = `=${o.slice(0, eq)}`
      const [re, what] = TMPFS_VALUES[o.slice(0, eq)] ?? [/(?:)/, '']
      if (!re.test(o.slice(eq + 1))) throw invalid(`invalid tmpfs option ${JSON.stringify(o)}: ${o.slice(0, eq)} must be ${what}`)
    }
    if (!seen.has(key)) { seen.add(key); out.unshift(o) }
  }
  return out
}

const tmpfsMount = (destination: string, data: string): OciMount =>
  ({ destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(data === '' ? [] : data.split(','))]) })

/** moby ConvertTmpfsOptions: `ro`, `mode=<octal>`, `size=<n>[kmg]` with the largest unit that divides evenly. */
function tmpfsData (opts: NonNullable<DockerMount['TmpfsOptions']> | null | undefined, readOnly: boolean): string {
  const raw = readOnly ? ['ro'] : []
  if (num(opts?.Mode) !== 0) raw.push(`mode=${num(opts?.Mode).toString(8)}`)
  const size = num(opts?.SizeBytes)
  if (size < 0) throw invalid('invalid mount config for type "tmpfs": TmpfsOptions.SizeBytes must not be negative')
  if (size !== 0) {
    const unit = ([['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const).find(([, d]) => size % d === 0)
    raw.push(unit === undefined ? `size=${size}` : `size=${size / unit[1]}${unit[0]}`)
  }
  for (const o of list(opts?.Options)) raw.push(o.length > 1 ? `${o[0]}=${o[1]}` : str(o[0]))
  return raw.join(',')
}

/** One HostConfig.Mounts entry: bind, volume or tmpfs. */
function parseMount (m: DockerMount): OciMount {
  const type = str(m.Type)
  const bad = (why: string): Error => invalid(`invalid mount config for type "${type}": ${why}`)
  if (type !== 'bind' && type !== 'tmpfs' && type !== 'volume') throw invalid(`Mounts: type "${type}" is not supported: use bind, volume or tmpfs`)
  const target = str(m.Target)
  if (target === '') throw bad('field Target must not be empty')
  if (!target.startsWith('/')) throw mountPathError(type, target)
  if (type !== 'volume' && !isZero(m.VolumeOptions)) throw bad('field VolumeOptions must not be specified')
  if (!isZero(m.ImageOptions)) throw bad('field ImageOptions must not be specified')
  if (type === 'volume') {
    const name = str(m.Source)
    if (name !== '' && !VOLUME_NAME.test(name)) throw bad(`invalid volume name "${name}": only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`)
    if (!isZero(m.BindOptions)) throw bad('field BindOptions must not be specified')
    if (!isZero(m.TmpfsOptions)) throw bad('field TmpfsOptions must not be specified')
    if (str(m.VolumeOptions?.Subpath) !== '') throw bad('VolumeOptions.Subpath is not supported: mount the whole volume')
    const driver = str(m.VolumeOptions?.DriverConfig?.Name)
    if (driver !== '' && driver !== 'local') throw bad(`volume driver "${driver}" is not supported: use local`)
    return volumeMount(name, cleanPath(target), m.ReadOnly === true, m.VolumeOptions?.NoCopy === true)
  }
  if (type === 'tmpfs') {
    if (str(m.Source) !== '') throw bad('field Source must not be specified')
    if (!isZero(m.BindOptions)) throw bad('field BindOptions must not be specified')
    return tmpfsMount(cleanPath(target), tmpfsData(m.TmpfsOptions, m.ReadOnly === true))
  }
  const source = str(m.Source)
  if (source === '') throw bad('field Source must not be empty')
  if (!source.startsWith('/')) throw mountPathError(type, source)
  if (!isZero(m.TmpfsOptions)) throw bad('field TmpfsOptions must not be specified')
  const o = m.BindOptions ?? {}
  if (o.ReadOnlyForceRecursive === true) throw bad('BindOptions.ReadOnlyForceRecursive is not supported: the runtimes cannot make a mount recursively read-only')
  const propagation = str(o.Propagation) === '' ? 'rprivate' : str(o.Propagation)
  if (!PROPAGATIONS.includes(propagation)) throw bad(`invalid propagation mode: ${propagation}`)
  return bindMount(source, cleanPath(target), m.ReadOnly === true, propagation, o.NonRecursive !== true)
}

/** The user's mounts (Binds, Mounts, Tmpfs) in that order; a destination given twice is refused as Docker refuses it. */
export function userMounts (hc: DockerHostConfig): OciMount[] {
  const out = [
    ...list(hc.Binds).map(parseBind),
    ...list(hc.Mounts).map(parseMount),
    ...Object.entries(hc.Tmpfs ?? {}).map(([dst, data]) => {
      if (!dst.startsWith('/')) throw mountPathError('tmpfs', dst)
      return tmpfsMount(cleanPath(dst), data)
    })
  ]
  const seen = new Set<string>()
  for (const m of out) {
    if (seen.has(m.destination)) throw invalid(`Duplicate mount point: ${m.destination}`)
    seen.add(m.destination)
  }
  return out
}

/**
 * The rootfs propagation a shared or slave bind needs to reach the host
 * (moby daemon/oci_linux.go WithMounts): shared for a shared one, else
 * rslave for a slave one; none (the runtime's rslave default) otherwise.
 */
export function rootfsPropagation (mounts: OciMount[]): string | undefined {
  const modes = mounts.filter(m => m.type === 'bind').flatMap(m => m.options)
  if (modes.some(o => o === 'shared' || o === 'rshared')) return 'shared'
  if (modes.some(o => o === 'slave' || o === 'rslave')) return 'rslave'
  return undefined
}

/** A mountinfo path field: octal escapes (\\040 for a space) undone. */
const unescapeMountPath = (p: string): string => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))

/**
 * moby's ensureShared and ensureSharedOrSlave (daemon/oci_linux.go), pure
 * over /proc/self/mountinfo's text: a shared bind whose source (symlinks
 * resolved) lies on a mount that is not shared cannot propagate, nor a
 * slave one on a mount neither shared nor a slave. Docker's message, or
 * undefined when the bind's propagation can work.
 */
export function propagationProblem (mountinfo: string, source: string, propagation: string): string | undefined {
  const shared = propagation === 'shared' || propagation === 'rshared'
  if (!shared && propagation !== 'slave' && propagation !== 'rslave') return undefined
  let best: { point: string, tags: string[] } | undefined
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ')
    if (f.length < 7) continue
    const point = unescapeMountPath(f[4]!)
    const under = point === '/' || source === point || source.startsWith(`${point}/`)
    if (under && (best === undefined || point.length >= best.point.length)) best = { point, tags: f.slice(6, f.indexOf('-')) }
  }
  if (best === undefined) return undefined
  if (best.tags.some(t => t.startsWith('shared:'))) return undefined
  if (shared) return `path ${source} is mounted on ${best.point} but it is not a shared mount`
  if (best.tags.some(t => t.startsWith('master:'))) return undefined
  return `path ${source} is mounted on ${best.point} but it is not a shared or slave mount`
}

const depth = (p: string): number => p.split('/').length

/**
 * Docker's WithMounts: defaults first (less any a user mount replaces, every
 * /dev one if the user mounts /dev, /dev/shm without IPC or with the host's), then the user's,
 * the /etc files and the init, parents before children. A read-only rootfs
 * makes the defaults outside /proc and /dev read-only; Privileged makes /sys
 * and the cgroup mount writable.
 */
export function allMounts (user: OciMount[], extra: OciMount[], o: { shmSize: number, ipc: string, readonlyRoot: boolean, privileged: boolean }): OciMount[] {
  const taken = new Set(user.map(m => m.destination))
  const extras = extra.filter(m => !taken.has(m.destination))
  const defaults = DEFAULT_MOUNTS
    .filter(m => !taken.has(m.destination) && !(taken.has('/dev') && m.destination.startsWith('/dev/')) && !(['none', 'host'].includes(o.ipc) && m.destination === '/dev/shm'))
    .map(m => {
      let options = m.destination === '/dev/shm' ? [...m.options, `size=${o.shmSize}`] : [...m.options]
      if (o.readonlyRoot && !['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue'].includes(m.destination) && !options.includes('ro')) options.push('ro')
      if (o.privileged && (m.type === 'sysfs' || m.type === 'cgroup')) options = options.filter(x => x !== 'ro')
      return { ...m, options }
    })
  const rest = [...user, ...extras].sort((a, b) => depth(a.destination) - depth(b.destination))
  return [...defaults, ...rest]
}
