/**
 * Docker's `User` field: `uid`, `uid:gid`, `name`, `name:group`, resolved the
 * way Docker resolves it, through the container's own /etc/passwd and
 * /etc/group (never the host's).
 */
import { invalid } from '../errors.js'
import { readFileInRoot } from '../sys/inroot.js'

export interface ProcessUser { uid: number, gid: number, additionalGids?: number[] }

const ID = /^\d+$/
const MAX_ID = 2 ** 32 - 2

interface PasswdEntry { name: string, uid: number, gid: number }
interface GroupEntry { name: string, gid: number, members: string[] }

/** Parses /etc/passwd text (pure). Malformed lines are skipped. */
export function parsePasswd (text: string): PasswdEntry[] {
  const out: PasswdEntry[] = []
  for (const line of text.split('\n')) {
    const f = line.trimEnd().split(':')
    if (f.length < 4 || line.startsWith('#')) continue
    if (!ID.test(f[2]!) || !ID.test(f[3]!) || f[0] === '') continue
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) })
  }
  return out
}

/** Parses /etc/group text (pure). */
export function parseGroup (text: string): GroupEntry[] {
  const out: GroupEntry[] = []
  for (const line of text.split('\n')) {
    const f = line.trimEnd().split(':')
    if (f.length < 3 || line.startsWith('#')) continue
    if (!ID.test(f[2]!) || f[0] === '') continue
    out.push({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').map(s => s.trim()).filter(Boolean) })
  }
  return out
}


/**
 * Resolves `spec` against the passwd and group entries (pure). Numeric ids
 * need no entry; names must exist. As Docker does, the user's supplementary
 * groups come along only when no group is given.
 */
export function resolveUser (spec: string, passwd: PasswdEntry[], groups: GroupEntry[], groupAdd: string[] = []): ProcessUser {
  const [userPart = '', groupPart, ...rest] = spec.split(':')
  if (rest.length > 0 || userPart === '') throw invalid(`invalid user: ${JSON.stringify(spec)}: use uid, uid:gid, name or name:group`)
  let uid: number; let gid: number; let name: string | undefined
  if (ID.test(userPart)) {
    uid = Number(userPart)
    if (uid > MAX_ID) throw invalid(`invalid user: uid ${userPart} is out of range`)
    const entry = passwd.find(p => p.uid === uid)
    gid = entry?.gid ?? 0
    name = entry?.name
  } else {
    const entry = passwd.find(p => p.name === userPart)
    if (entry === undefined) throw invalid(`unable to find user ${userPart}: no matching entries in passwd file`)
    uid = entry.uid; gid = entry.gid; name = entry.name
  }
  const explicitGroup = groupPart !== undefined && groupPart !== ''
  if (explicitGroup) {
    if (ID.test(groupPart)) {
      gid = Number(groupPart)
      if (gid > MAX_ID) throw invalid(`invalid group: gid ${groupPart} is out of range`)
    } else {
      const g = groups.find(x => x.name === groupPart)
      if (g === undefined) throw invalid(`unable to find group ${groupPart}: no matching entries in group file`)
      gid = g.gid
    }
  }
  const extra = name === undefined || explicitGroup ? [] : groups.filter(g => g.members.includes(name) && g.gid !== gid).map(g => g.gid)
  // HostConfig.GroupAdd: gids, or names from the container's group file (libcontainer GetAdditionalGroups).
  for (const g of groupAdd) {
    if (ID.test(g)) { extra.push(Number(g)); continue }
    const entry = groups.find(x => x.name === g)
    if (entry === undefined) throw invalid(`Unable to find group ${g}: no matching entries in group file`)
    extra.push(entry.gid)
  }
  const all = [...new Set(extra)]
  return all.length > 0 ? { uid, gid, additionalGids: all } : { uid, gid }
}

/** The most of a passwd or group file berth reads: far more than any real one, and a bound on what an image can make it hold. */
export const MAX_USER_FILE = 4 * 1024 * 1024

/**
 * Reads the rootfs's passwd and group files, resolved inside the rootfs
 * (a symlink to a host file leads to the container's own file of that name),
 * and resolves `spec`. A missing file counts as empty; a file that is not a
 * regular file (a FIFO, a device) or is over MAX_USER_FILE is refused.
 */
export async function resolveUserIn (rootfs: string, spec: string, groupAdd: string[] = []): Promise<ProcessUser> {
  const read = async (path: string): Promise<string> => {
    try {
      return (await readFileInRoot(rootfs, path, MAX_USER_FILE))?.toString('utf8') ?? ''
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOTREG') throw invalid(`unable to find user ${spec}: ${path} in the container is not a regular file`)
      if (code === 'EFBIG') throw invalid(`unable to find user ${spec}: ${path} in the container is larger than ${MAX_USER_FILE / 1024 / 1024} MiB`)
      throw invalid(`unable to find user ${spec}: cannot read ${path} in the container: ${(err as Error).message}`, err)
    }
  }
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')])
  return resolveUser(spec, parsePasswd(passwd), parseGroup(group), groupAdd)
}
