/**
 * docker cp, export and commit's diff, from the daemon's side. The file work
 * runs in archive-helper.js, a child process chrooted into the root it works
 * on (see there for why); this module is the one place that starts it. cp
 * sees the container's rootfs and bind mounts; export and commit only its
 * rootfs, as in Docker. It
 * waits for the helper's first answer (the path checked, or why not) with a
 * time limit; after that the helper runs as long as its tar stream is read,
 * and is killed when the reader goes away.
 */
import { execa } from 'execa'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { withCode, type ErrorCode } from '../errors.js'
import type { IdMap } from '../security/userns.js'
import { resolveUserIn } from './users.js'
import { containerPath, pathStat, withIdmap, type Bind, type HelperRequest, type PathStat, type RawStat } from './archive-paths.js'

const HELPER = fileURLToPath(new URL('./archive-helper.js', import.meta.url))
/** How long the helper may take to check a request and give its first answer. */
const FIRST_ANSWER_MS = 30_000

/** One line the helper writes on fd 3. */
interface Answer { stat?: RawStat, ready?: boolean, ok?: boolean, error?: { code: ErrorCode, message: string, errno?: string } }

/** A running helper: its first answer, its stdout, and how it ended. */
interface Helper {
  first: Answer
  stdout: Readable
  /** The last answer once the helper has exited (an error when it died without one). */
  done: Promise<Answer>
  kill: () => void
}

/** What the helper's error becomes: `notFound` words Docker's 404 for the caller. */
function raise (a: Answer, notFound: (message: string) => string): never {
  const err = a.error ?? { code: 'INTERNAL' as const, message: 'archive helper ended without an answer' }
  throw withCode(err.code, err.code === 'NOT_FOUND' ? notFound(err.message) : err.message)
}

/** The helper's argv: under `unshare` when it mounts binds, so that they stay in its own mount namespace. */
export function helperArgv (root: string, req: HelperRequest): string[] {
  const argv = [process.execPath, HELPER, root, JSON.stringify(req)]
  return 'binds' in req && req.binds.length > 0 ? ['unshare', '--mount', '--propagation', 'private', '--', ...argv] : argv
}

/** Starts the helper chrooted into `root`; resolves at its first answer. `input` becomes its stdin. */
async function startHelper (root: string, req: HelperRequest, input?: Readable): Promise<Helper> {
  const [file, ...args] = helperArgv(root, req)
  const child = execa(file!, args, {
    stdio: [input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    buffer: { stdout: false, stderr: true, fd3: false },
    extendEnv: false,
    env: {},
    reject: false,
    stripFinalNewline: false
  })
  const kill = (): void => { child.kill('SIGKILL') }
  const lines: Answer[] = []
  let seen: (a: Answer) => void = () => {}
  const firstP = new Promise<Answer>(resolve => { seen = resolve })
  const answers = child.stdio[3] as Readable
  let text = ''
  answers.on('data', (c: Buffer) => {
    text += c.toString()
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
      const line = text.slice(0, i)
      text = text.slice(i + 1)
      let a: Answer
      try { a = JSON.parse(line) as Answer } catch { a = { error: { code: 'INTERNAL', message: `archive helper answered ${JSON.stringify(line)}` } } }
      lines.push(a)
      if (lines.length === 1) seen(a)
    }
  })
  const done = child.then(r => {
    const last = lines.at(-1)
    if (r.exitCode === 0 && last?.ok === true) return last
    return last?.error !== undefined ? last : { error: { code: 'INTERNAL' as const, message: `archive helper failed: ${String(r.stderr).trim() || r.shortMessage}` } }
  })
  done.then(a => seen(a), () => {})
  if (input !== undefined) pipeline(input, child.stdin!).catch(() => {})
  const timer = setTimeout(kill, FIRST_ANSWER_MS)
  const first = await firstP.finally(() => clearTimeout(timer))
  return { first, stdout: child.stdout!, done, kill }
}

/**
 * The helper's stdout as a stream that ends only when the helper succeeded
 * (a failed helper destroys it, so a truncated tar is never a clean end), and
 * whose early close kills the helper.
 */
function tarOf (h: Helper): Readable {
  const out = new PassThrough()
  h.stdout.pipe(out, { end: false })
  void Promise.all([h.done, once(h.stdout, 'end').catch(() => {})]).then(([a]) => {
    if (a.ok === true) out.end(); else out.destroy(withCode(a.error?.code ?? 'INTERNAL', a.error?.message ?? 'archive helper failed'))
  })
  out.on('close', () => { if (!out.writableFinished) h.kill() })
  return out
}

/** Docker's 404 for a path missing in a container. */
const missing = (path: string, container: string) => () => `Could not find the file ${path} in container ${container}`

/** Where docker cp works: the container's rootfs, its bind mounts, its name for error messages, and its maps when remapped. */
export interface CopyTarget { root: string, binds: Bind[], container: string, idmap?: IdMap | undefined }

/** Docker's stat of `path` in the container (HEAD archive). */
export async function statPath (t: CopyTarget, path: string): Promise<PathStat> {
  const container = t.container
  const h = await startHelper(t.root, { op: 'stat', path: containerPath(path), binds: t.binds })
  if (h.first.stat === undefined) raise(h.first, missing(path, container))
  return pathStat(h.first.stat)
}

/** docker cp out: the stat of `path` and a tar of it, its entries named after the path's last element. */
export async function archivePath (t: CopyTarget, path: string): Promise<{ stat: PathStat, tar: Readable }> {
  const container = t.container
  const h = await startHelper(t.root, { op: 'get', path: containerPath(path), binds: t.binds, ...withIdmap(t.idmap) })
  if (h.first.stat === undefined) raise(h.first, missing(path, container))
  return { stat: pathStat(h.first.stat), tar: tarOf(h) }
}

/** docker cp in: extracts the tar `input` into the dir `path` (the last symlink followed too). */
export async function extractToDir (t: CopyTarget, path: string, input: Readable, opts: { noOverwriteDirNonDir: boolean, user?: string }): Promise<void> {
  const container = t.container
  // The owner is looked up here, in the root as the kernel resolves it, not by the helper.
  const owner = opts.user !== undefined && opts.user !== '' ? await resolveUserIn(t.root, opts.user) : undefined
  const h = await startHelper(t.root, { op: 'put', path: containerPath(path), binds: t.binds, noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(owner !== undefined ? { owner: { uid: owner.uid, gid: owner.gid } } : {}), ...withIdmap(t.idmap) }, input)
  if (h.first.ready !== true) raise(h.first, missing(path, container))
  const end = await h.done
  if (end.ok !== true) raise(end, missing(path, container))
}

/** docker export: a tar of the whole rootfs, names relative to it, owners as seen inside. */
export async function exportRootfs (root: string, idmap?: IdMap): Promise<Readable> {
  const h = await startHelper(root, { op: 'export', ...withIdmap(idmap) })
  if (h.first.ready !== true) raise(h.first, m => m)
  return tarOf(h)
}

/**
 * docker commit's layer: a tar of the overlay upper dir, whiteouts in the
 * OCI form, owners as seen inside; `exclude` names mount points the runtime made (left out when empty).
 */
export async function layerDiff (upper: string, exclude: string[], idmap?: IdMap): Promise<Readable> {
  const h = await startHelper(upper, { op: 'diff', exclude, ...withIdmap(idmap) })
  if (h.first.ready !== true) raise(h.first, m => m)
  return tarOf(h)
}
