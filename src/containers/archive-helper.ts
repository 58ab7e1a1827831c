/**
 * The file work of docker cp, export and commit, as its own short-lived
 * program: it chroots into the container's rootfs (or, for commit, its overlay
 * upper dir) before it touches a path, so every path and every symlink met on
 * the way is resolved by the kernel inside that root. An absolute symlink
 * `/etc -> /` points at the container's root, `..` stops there, and a
 * container that swaps a dir for a symlink while a copy runs (the race of
 * CVE-2018-15664) still only reaches its own files. Docker does the same with
 * its chrootarchive re-exec. Everything it needs is imported before the
 * chroot: nothing can be loaded from the host's disk afterwards.
 *
 * For docker cp the container's bind mounts (its volumes, /etc/hostname,
 * hosts, resolv.conf) are mounted at their places first, so that cp sees
 * what the container sees. The daemon then starts the helper under
 * `unshare --mount --propagation private`: the mounts live in the helper's
 * own mount namespace and go when it exits; none reaches the host's.
 *
 * usage: node archive-helper.js <root> <request JSON>
 *   fd 3    one JSON line when the request is checked ({"stat": ...} or
 *           {"ready": true}), then one when it is done ({"ok": true}); or a
 *           line {"error": {"code", "message"}} and exit status 1
 *   stdout  the tar (get, export, diff)
 *   stdin   the tar (put)
 */
import { closeSync, fstatSync, statSync, writeSync } from 'node:fs'
import { lstat, readlink, realpath, stat } from 'node:fs/promises'
import { posix } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { BerthError, invalid, type ErrorCode } from '../errors.js'
import { packTree } from '../images/pack.js'
import { extractTar } from '../images/tar.js'
import { openInRoot } from '../sys/inroot.js'
import { chroot, fail, libc } from '../sys/libc.js'
import { goBase, withIdmap, type Bind, type HelperRequest, type RawStat } from './archive-paths.js'
import { mountPoints } from './mount-points.js'

const answer = (msg: unknown): void => { writeSync(3, `${JSON.stringify(msg)}\n`) }

const MS_RDONLY = 1
const MS_REMOUNT = 32
const MS_BIND = 4096
const MS_REC = 16384

/**
 * Mounts the container's binds at their places under `root`; one that cannot
 * be made (source or target gone) is left out. Each target is opened with
 * openat2 RESOLVE_IN_ROOT and mounted onto its `/proc/self/fd` link, as runc
 * does: resolved by the kernel inside the root, and a running container that
 * swaps a path component meanwhile cannot move the mount. The read-only
 * remount opens the target again and checks it is the bind just made, so it
 * can never miss (and leave a `:ro` bind writable to docker cp).
 */
function mountBinds (root: string, binds: Bind[]): void {
  for (const b of binds) {
    let fd: number
    try {
      fd = openInRoot(root, b.destination)
    } catch (err) {
      process.stderr.write(`bind mount ${b.source} on ${b.destination}: ${(err as Error).message}\n`)
      continue
    }
    try {
      if (libc().mount(b.source, `/proc/self/fd/${fd}`, '', MS_BIND | MS_REC, null) !== 0) {
        process.stderr.write(`${fail('bind mount', `${b.source} on ${b.destination}`).message}\n`)
        continue
      }
    } finally {
      closeSync(fd)
    }
    if (b.readOnly) remountReadOnly(root, b)
  }
}

function remountReadOnly (root: string, b: Bind): void {
  const fd = openInRoot(root, b.destination)
  try {
    const [at, src] = [fstatSync(fd), statSync(b.source)]
    if (at.dev !== src.dev || at.ino !== src.ino) throw Object.assign(new Error(`read-only remount of ${b.destination}: the path moved`), { code: 'EBUSY' })
    if (libc().mount('', `/proc/self/fd/${fd}`, '', MS_REMOUNT | MS_BIND | MS_RDONLY, null) !== 0) throw fail('read-only remount of', b.destination)
  } finally {
    closeSync(fd)
  }
}

/** A path's lstat as the daemon reports it; a symlink's target is resolved in the root. */
async function rawStat (path: string): Promise<RawStat> {
  const st = await lstat(path, { bigint: true })
  let linkTarget = ''
  if (st.isSymbolicLink()) {
    // A dangling link has no realpath: then its target is taken as written, made absolute.
    linkTarget = await realpath(path).catch(async () => posix.resolve(posix.dirname(path), await readlink(path)))
  }
  return { name: goBase(path), size: Number(st.size), mode: Number(st.mode), mtimeNs: st.mtimeNs.toString(), linkTarget }
}

async function run (req: HelperRequest): Promise<void> {
  switch (req.op) {
    case 'stat':
      answer({ stat: await rawStat(req.path) })
      break
    case 'get': {
      const raw = await rawStat(req.path)
      answer({ stat: raw })
      await pipeline(packTree(req.path, { base: raw.name, ...withIdmap(req.idmap) }), process.stdout)
      break
    }
    case 'put': {
      // Docker's extraction point: every symlink followed, the last one too, and it must be a dir.
      const st = await stat(req.path)
      if (!st.isDirectory()) throw invalid('extraction point is not a directory')
      const dest = await realpath(req.path)
      answer({ ready: true })
      await extractTar(process.stdin, dest, { noOverwriteDirNonDir: req.noOverwriteDirNonDir, ...(req.owner !== undefined ? { owner: req.owner } : {}), ...withIdmap(req.idmap) })
      break
    }
    case 'export':
    case 'diff': {
      answer({ ready: true })
      const skip = req.op === 'diff' ? mountPoints(req.exclude) : undefined
      await pipeline(packTree('/', { base: '', whiteouts: req.op === 'diff', ...(skip !== undefined ? { skip } : {}), ...withIdmap(req.idmap) }), process.stdout)
      break
    }
  }
  answer({ ok: true })
}

/** An error as the daemon re-raises it: berth's code, or one for the errno. */
function describe (err: unknown): { code: ErrorCode, message: string, errno?: string } {
  if (err instanceof BerthError) return { code: err.code, message: err.message }
  const e = err as NodeJS.ErrnoException
  if (e.code === 'ENOENT') return { code: 'NOT_FOUND', message: e.message, errno: e.code }
  if (e.code === 'ENOTDIR') return { code: 'INVALID_ARGUMENT', message: 'not a directory', errno: e.code }
  if (e.code === 'ELOOP') return { code: 'INVALID_ARGUMENT', message: 'too many levels of symbolic links', errno: e.code }
  if (e.code === 'ENAMETOOLONG') return { code: 'INVALID_ARGUMENT', message: 'file name too long', errno: e.code }
  if (e.code === 'EROFS') return { code: 'FORBIDDEN', message: 'the volume or container rootfs is marked read-only', errno: e.code }
  return { code: 'INTERNAL', message: e.message ?? String(err), ...(typeof e.code === 'string' ? { errno: e.code } : {}) }
}

try {
  const [root, json] = process.argv.slice(2)
  if (root === undefined || json === undefined) throw new Error('usage: archive-helper.js <root> <request JSON>')
  const req = JSON.parse(json) as HelperRequest
  if ('binds' in req && req.binds.length > 0) mountBinds(root, req.binds)
  chroot(root)
  await run(req)
  process.exit(0)
} catch (err) {
  try { answer({ error: describe(err) }) } catch {}
  process.exit(1)
}
