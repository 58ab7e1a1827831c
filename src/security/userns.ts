/**
 * `--userns-remap` (moby daemon_unix.go parseRemappedRoot, setupRemappedRoot
 * and pkg/idtools): image containers run in a user namespace whose root is
 * an unprivileged uid on the host, taken with the rest of the map from the
 * remap user's ranges in /etc/subuid and /etc/subgid. `default` is the user
 * `berth-remap`, made (with a free 65536-id range) when missing, as dockerd
 * makes `dockremap`. Per container `HostConfig.UsernsMode: host` opts out.
 */
import { readFileSync } from 'node:fs'
import { execa } from 'execa'
import { ConfigError } from '../config.js'
import { invalid } from '../errors.js'

/** One line of uid_map/gid_map: container ids [containerID, containerID+size) are host ids [hostID, hostID+size). */
export interface IdRange { containerID: number, hostID: number, size: number }

/** The daemon's remapping: who it is for, and the maps every remapped container gets. */
export interface Userns {
  /** `user:group` as resolved (shown in logs). */
  readonly name: string
  readonly uidMappings: readonly IdRange[]
  readonly gidMappings: readonly IdRange[]
  /** The host ids of the container's root. */
  readonly rootUid: number
  readonly rootGid: number
}

export const DEFAULT_REMAP_USER = 'berth-remap'
/** dockerd's default range size and first host id for its `dockremap` user (pkg/idtools). */
const RANGE_SIZE = 65536
const FIRST_ID = 100000

interface Entry { name: string, id: number }

/** Entries of /etc/passwd or /etc/group (pure): name and numeric id. */
export function parseIdFile (text: string): Entry[] {
  return text.split('\n').map(l => l.split(':')).filter(f => f.length >= 3 && f[0] !== '').map(f => ({ name: f[0]!, id: Number(f[2]) }))
}

/** The ranges of `name` (or its numeric id) in a subuid/subgid file's text (pure), as maps starting at container id 0. */
export function subRanges (text: string, name: string, id: number): IdRange[] {
  const out: IdRange[] = []
  let next = 0
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':')
    if (who !== name && who !== String(id)) continue
    const hostID = Number(start); const size = Number(count)
    if (!Number.isInteger(hostID) || !Number.isInteger(size) || size <= 0) continue
    out.push({ containerID: next, hostID, size })
    next += size
  }
  return out
}

/** The first FIRST_ID-aligned start of a free range of RANGE_SIZE ids past every range in a subuid/subgid file (pure). */
export function freeRangeStart (text: string): number {
  let end = FIRST_ID
  for (const line of text.split('\n')) {
    const [, start, count] = line.trim().split(':')
    const s = Number(start); const c = Number(count)
    if (Number.isInteger(s) && Number.isInteger(c)) end = Math.max(end, s + c)
  }
  return end
}

/** The host id of container id `id` under `map`; undefined when the map does not cover it (pure). */
export function toHost (map: readonly IdRange[], id: number): number | undefined {
  const r = map.find(r => id >= r.containerID && id < r.containerID + r.size)
  return r === undefined ? undefined : r.hostID + id - r.containerID
}

/** The container id of host id `id` under `map`; undefined when the map does not cover it (pure). */
export function toContainer (map: readonly IdRange[], id: number): number | undefined {
  const r = map.find(r => id >= r.hostID && id < r.hostID + r.size)
  return r === undefined ? undefined : r.containerID + id - r.hostID
}

/** A container's uid and gid maps (its spec's). */
export interface IdMap { uidMappings: readonly IdRange[], gidMappings: readonly IdRange[] }

/** The kernel's overflow id: what a process inside sees as owner of a file whose host id its map lacks. */
const OVERFLOW_ID = 65534

/** An owner as seen inside: host ids the map lacks show as nobody, as the kernel shows them (pure). */
export const ownerInside = (m: IdMap, uid: number, gid: number): { uid: number, gid: number } =>
  ({ uid: toContainer(m.uidMappings, uid) ?? OVERFLOW_ID, gid: toContainer(m.gidMappings, gid) ?? OVERFLOW_ID })

/** An owner inside as the host's ids; Docker's 400 for one the map lacks (moby idtools ToHost) (pure). */
export function hostOwner (m: IdMap, uid: number, gid: number): { uid: number, gid: number } {
  const u = toHost(m.uidMappings, uid); const g = toHost(m.gidMappings, gid)
  if (u === undefined) throw invalid(`Container ID ${uid} cannot be mapped to a host ID`)
  if (g === undefined) throw invalid(`Container ID ${gid} cannot be mapped to a host ID`)
  return { uid: u, gid: g }
}

const read = (path: string): string => { try { return readFileSync(path, 'utf8') } catch { return '' } }

/** Splits `USER[:GROUP]` or `UID[:GID]` as moby does, resolving names and ids in /etc/passwd and /etc/group. */
function parseSpec (spec: string, etc: string): { user: Entry, group: Entry } {
  const parts = spec.split(':')
  if (parts.length > 2 || parts.some(p => p === '')) throw new ConfigError(`Invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`)
  const users = parseIdFile(read(`${etc}/passwd`)); const groups = parseIdFile(read(`${etc}/group`))
  const numeric = (s: string): boolean => /^\d+$/.test(s)
  const [u, g] = parts as [string, string | undefined]
  const user = numeric(u) ? users.find(e => e.id === Number(u)) : users.find(e => e.name === u)
  if (user === undefined) throw new ConfigError(numeric(u) ? `Uid ${u} has no entry in /etc/passwd` : `Error during uid lookup for "${u}": no such user`)
  // Without a group: the uid as gid for a number, the user's name as group name for a name (moby).
  const want = g ?? u
  const group = numeric(want) ? groups.find(e => e.id === Number(want)) : groups.find(e => e.name === want)
  if (group === undefined) throw new ConfigError(numeric(want) ? `Gid ${want} has no entry in /etc/group` : `Error during gid lookup for "${want}": no such group`)
  return { user, group }
}

/** Makes berth-remap as dockerd makes dockremap (useradd -r, then usermod -v/-w with a free range), unless it exists. */
async function ensureDefaultUser (etc: string): Promise<void> {
  if (parseIdFile(read(`${etc}/passwd`)).some(e => e.name === DEFAULT_REMAP_USER)) return
  const run = async (cmd: string, args: string[]): Promise<void> => {
    const r = await execa(cmd, args, { reject: false, timeout: 30_000 })
    if (r.exitCode !== 0) throw new ConfigError(`--userns-remap default: ${cmd} ${args.join(' ')} failed: ${String(r.stderr ?? r.message).trim()}`)
  }
  await run('useradd', ['-r', '-s', '/bin/false', '-M', '-U', DEFAULT_REMAP_USER])
  const range = (file: string): string => { const start = freeRangeStart(read(file)); return `${start}-${start + RANGE_SIZE - 1}` }
  await run('usermod', ['-v', range(`${etc}/subuid`), '-w', range(`${etc}/subgid`), DEFAULT_REMAP_USER])
}

/** Resolves `--userns-remap` to the maps (creating berth-remap for `default`); a ConfigError that says what to do when ranges are missing. */
export async function setupUserns (spec: string, etc = '/etc'): Promise<Userns> {
  if (spec === 'default') await ensureDefaultUser(etc)
  const { user, group } = parseSpec(spec === 'default' ? DEFAULT_REMAP_USER : spec, etc)
  const uidMappings = subRanges(read(`${etc}/subuid`), user.name, user.id)
  const gidMappings = subRanges(read(`${etc}/subgid`), group.name, group.id)
  const hint = (file: string, who: string): string => `--userns-remap ${spec}: no ${file} ranges found for ${who} in ${etc}/${file} ` +
    `(add one, e.g. with: usermod ${file === 'subuid' ? '-v' : '-w'} ${FIRST_ID}-${FIRST_ID + RANGE_SIZE - 1} ${user.name}; the uidmap package provides the files' tools)`
  if (uidMappings.length === 0) throw new ConfigError(hint('subuid', `user "${user.name}"`))
  if (gidMappings.length === 0) throw new ConfigError(hint('subgid', `group "${group.name}"`))
  return Object.freeze({
    name: `${user.name}:${group.name}`,
    uidMappings: Object.freeze(uidMappings),
    gidMappings: Object.freeze(gidMappings),
    rootUid: uidMappings[0]!.hostID,
    rootGid: gidMappings[0]!.hostID
  })
}

/** Whether a container with this HostConfig runs remapped: remapping is on and it did not ask for the host's namespace. */
export function remapped (userns: Userns | undefined, hc: { UsernsMode?: unknown } | null | undefined): userns is Userns {
  return userns !== undefined && hc?.UsernsMode !== 'host'
}

/** Docker's refusals of what a user namespace cannot share (moby verifyPlatformContainerSettings), with its messages. */
export function checkRemapConflicts (hc: { Privileged?: unknown, NetworkMode?: unknown, PidMode?: unknown }): void {
  if (hc.Privileged === true) throw invalid('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode')
  if (hc.NetworkMode === 'host') throw invalid('cannot share the host\'s network namespace when user namespaces are enabled')
  if (hc.PidMode === 'host') throw invalid('cannot share the host PID namespace when user namespaces are enabled')
}

/** Docker's default ping range: every gid. The kernel takes only gids mapped in the namespace that owns the network. */
const ALL_GIDS = '0 2147483647'

/** `spec` with a new user namespace and the maps (pure); Docker's default ping range shrinks to the mapped gids. */
export function withUserns<S extends { linux: { namespaces: Array<{ type: string }>, sysctl?: Record<string, string> } }> (spec: S, userns: Userns): S {
  const sysctl = spec.linux.sysctl
  const gids = userns.gidMappings.reduce((n, r) => n + r.size, 0)
  return {
    ...spec,
    linux: {
      ...spec.linux,
      namespaces: [...spec.linux.namespaces.filter(n => n.type !== 'user'), { type: 'user' }],
      uidMappings: userns.uidMappings.map(r => ({ ...r })),
      gidMappings: userns.gidMappings.map(r => ({ ...r })),
      ...(sysctl?.['net.ipv4.ping_group_range'] === ALL_GIDS ? { sysctl: { ...sysctl, 'net.ipv4.ping_group_range': `0 ${gids - 1}` } } : {})
    }
  }
}

/** The maps as uid_map shows them, for inspect and logs: `0:100000:65536` per range. */
export const mapText = (map: readonly IdRange[]): string => map.map(r => `${r.containerID}:${r.hostID}:${r.size}`).join(',')
