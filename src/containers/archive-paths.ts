/**
 * docker cp's shapes, shared by the daemon and archive-helper.js: paths as
 * Docker reads them, the helper's requests, and the stat Docker sends in the
 * X-Docker-Container-Path-Stat header. Pure.
 */
import { posix } from 'node:path'
import type { IdMap } from '../security/userns.js'

/** One of the container's bind mounts (its spec's), which docker cp sees as the container does. */
export interface Bind { source: string, destination: string, readOnly: boolean }

/**
 * What the daemon asks archive-helper.js to do, inside the root it chroots
 * into. `idmap`: the root is a remapped container's, whose tars hold the ids
 * as seen inside it.
 */
export type HelperRequest =
  | { op: 'stat', path: string, binds: Bind[] }
  | { op: 'get', path: string, binds: Bind[], idmap?: IdMap }
  | { op: 'put', path: string, binds: Bind[], noOverwriteDirNonDir: boolean, owner?: { uid: number, gid: number }, idmap?: IdMap }
  | { op: 'export', idmap?: IdMap }
  | { op: 'diff', exclude: string[], idmap?: IdMap }

/** The `idmap` part of a request (pure). */
export const withIdmap = (idmap: IdMap | undefined): { idmap?: IdMap } => idmap !== undefined ? { idmap } : {}

/** The bind mounts of an OCI spec's `mounts`, in mount order (pure). */
export function bindsOf (mounts: unknown): Bind[] {
  if (!Array.isArray(mounts)) return []
  return mounts.flatMap((m: { type?: unknown, source?: unknown, destination?: unknown, options?: unknown }) => {
    const options = Array.isArray(m.options) ? m.options.map(String) : []
    const bind = m.type === 'bind' || options.includes('bind') || options.includes('rbind')
    if (!bind || typeof m.source !== 'string' || typeof m.destination !== 'string') return []
    return [{ source: m.source, destination: m.destination, readOnly: options.includes('ro') }]
  })
}

/** An lstat as the helper reports it: the Unix mode, nanosecond mtime. */
export interface RawStat { name: string, size: number, mode: number, mtimeNs: string, linkTarget: string }

/** Docker's ContainerPathStat: `mode` is a Go os.FileMode, `mtime` RFC 3339 with nanoseconds. */
export interface PathStat { name: string, size: number, mode: number, mtime: string, linkTarget: string }

/**
 * A path in the container as Docker takes it (moby's ResolvePath): made
 * absolute and cleaned, keeping a trailing `/` or `/.`, which mean "a dir"
 * and "the dir's contents".
 */
export function containerPath (path: string): string {
  const clean = posix.normalize(`/${path}`).replace(/(.)\/+$/, '$1')
  if (/(^|\/)\.$/.test(path)) return clean === '/' ? '/.' : `${clean}/.`
  if (path.endsWith('/') && clean !== '/') return `${clean}/`
  return clean
}

/** Go's filepath.Base: the last element, trailing slashes ignored; "/" for the root. */
export function goBase (path: string): string {
  const p = path.replace(/\/+$/, '')
  if (p === '') return path === '' ? '.' : '/'
  return p.slice(p.lastIndexOf('/') + 1)
}

// Go's os.FileMode bits (io/fs.FileMode): the type in the top bits, permissions in the low nine.
const MODE_DIR = 2 ** 31
const MODE_SYMLINK = 2 ** 27
const MODE_DEVICE = 2 ** 26
const MODE_NAMED_PIPE = 2 ** 25
const MODE_SOCKET = 2 ** 24
const MODE_SETUID = 2 ** 23
const MODE_SETGID = 2 ** 22
const MODE_CHAR_DEVICE = 2 ** 21
const MODE_STICKY = 2 ** 20

const TYPE_BITS: Record<number, number> = {
  0o040000: MODE_DIR,
  0o120000: MODE_SYMLINK,
  0o060000: MODE_DEVICE,
  0o020000: MODE_DEVICE + MODE_CHAR_DEVICE,
  0o010000: MODE_NAMED_PIPE,
  0o140000: MODE_SOCKET,
  0o100000: 0
}

/** A Unix st_mode as Go's os.FileMode (what os.Lstat gives Docker), as an unsigned number. */
export function goFileMode (mode: number): number {
  let out = (mode & 0o777) + (TYPE_BITS[mode & 0o170000] ?? 0)
  if ((mode & 0o4000) !== 0) out += MODE_SETUID
  if ((mode & 0o2000) !== 0) out += MODE_SETGID
  if ((mode & 0o1000) !== 0) out += MODE_STICKY
  return out
}

/** Nanoseconds since the epoch as Go's time.Time marshals to JSON (RFC 3339, UTC, trailing zeros of the fraction dropped). */
export function rfc3339Nano (ns: bigint): string {
  const sec = ns / 1_000_000_000n
  const frac = ns % 1_000_000_000n
  const whole = new Date(Number(sec) * 1000).toISOString().replace(/\.\d+Z$/, '')
  const digits = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`
  return `${whole}${digits}Z`
}

/** The helper's stat in Docker's shape. */
export const pathStat = (raw: RawStat): PathStat =>
  ({ name: raw.name, size: raw.size, mode: goFileMode(raw.mode), mtime: rfc3339Nano(BigInt(raw.mtimeNs)), linkTarget: raw.linkTarget })

/** The X-Docker-Container-Path-Stat header: the stat as base64 JSON, as the docker client decodes it. */
export const statHeader = (stat: PathStat): string => Buffer.from(JSON.stringify(stat)).toString('base64')
