/**
 * The OCI runtime CLI (runc, crun): one method per subcommand, argv built by
 * pure functions, every call with a timeout, and the runtime's own
 * `--log-format json` error line as the error users see.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { conflict, hasCode, invalid, runtimeFailed, BerthError } from '../errors.js'
import { runChild } from '../sys/spawn.js'

/** The PATH berthd gives the runtime and its monitors: the system dirs only. */
export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** How to run one runtime binary. */
export interface RuntimeOptions {
  /** Name clients use ("runc", "crun", or an --add-runtime name). */
  name: string
  path: string
  /** The runtime's state dir (`--root`), private to berthd. */
  root: string
  /** Extra global arguments from --runtime-arg. */
  extraArgs: readonly string[]
  timeoutMs?: number
  /**
   * Containers have no cgroup (rootless berthd). `kill --all` finds a
   * container's processes through its cgroup: without one it kills nothing
   * and exits 0. The init alone is killed then, which in the container's own
   * pid namespace ends the rest.
   */
  noCgroups?: boolean
}

/** Global arguments placed before every subcommand (also handed to conmon). */
export const globalArgs = (o: Pick<RuntimeOptions, 'root' | 'extraArgs'>): string[] =>
  ['--root', o.root, '--log-format', 'json', ...o.extraArgs]

/** Argv of the subcommands berthd itself runs (conmon runs `create`). */
export const argv = {
  start: (id: string) => ['start', id],
  kill: (id: string, signal: string, all = false) => ['kill', ...(all ? ['--all'] : []), id, signal],
  delete: (id: string, force: boolean) => ['delete', ...(force ? ['--force'] : []), id],
  state: (id: string) => ['state', id],
  pause: (id: string) => ['pause', id],
  resume: (id: string) => ['resume', id],
  update: (id: string, resourcesFile: string) => ['update', '--resources', resourcesFile, id]
}

/** The part of an OCI `linux.resources` that `runtime update` changes. */
export interface UpdateResources {
  memory?: { limit?: number, reservation?: number, swap?: number }
  cpu?: { shares?: number, quota?: number, period?: number, cpus?: string, mems?: string }
  pids?: { limit: number }
}

/**
 * The runtime's last error message from its output: JSON log lines
 * (`{"level":"error","msg":...}`) when it wrote them, else the last text line.
 */
export function runtimeMessage (output: string): string {
  const lines = output.split('\n').map(l => l.trim()).filter(Boolean)
  for (let i = lines.length - 1; i >= 0; i--) {
    const msg = errorLineMessage(lines[i]!)
    if (msg !== undefined) return msg
  }
  const last = lines.at(-1) ?? ''
  const m = /^time="[^"]*" level=\w+ msg="(.*)"$/.exec(last)
  return m !== null ? m[1]!.replace(/\\"/g, '"') : last
}

/**
 * The `msg` of a JSON log line at level error. A line cut short (conmon
 * forwards only the first 8 KiB of the runtime's output) still gives the text
 * it has, rather than raw JSON.
 */
function errorLineMessage (line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { level?: string, msg?: string }
    return entry.level === 'error' && typeof entry.msg === 'string' ? entry.msg : undefined
  } catch {}
  // runc writes level first; crun writes msg first, so its cut lines have no level to check.
  const cut = /^\{(?:"level":"error",)?"msg":"((?:[^"\\]|\\.)*)/.exec(line)
  if (cut === null) return undefined
  // Drop a trailing escape the cut split in two, then read the rest as the JSON string it is.
  const text = cut[1]!.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '')
  try { return `${JSON.parse(`"${text}"`) as string}...` } catch { return undefined }
}

/** True when the runtime's message says the container's process has gone (runc: "container not running", crun: ESRCH). */
export const isNotRunning = (msg: string): boolean => /\bnot running\b|no such process/i.test(msg)

/**
 * True when the runtime's message says the container's own program cannot be
 * run (missing, not executable, not a program): the caller's fault, which
 * Docker answers with 400 (moby's translateContainerdStartErr), not a failure
 * of the runtime.
 */
export const isProgramFault = (msg: string): boolean =>
  /executable file\b.*\bnot found|exec(vp?)?:? ["`'][^"`']*["`']:.*(no such file or directory|permission denied|not a directory|is a directory|exec format error)|open executable: (permission denied|operation not permitted)/i.test(msg)

/**
 * Docker's reading of a create that failed because the container's program
 * cannot be run (moby daemon/errors.go, setExitCodeFromError): the exit code
 * the container records, 126 when the program cannot be invoked (not
 * executable, a directory: runc says "permission denied", crun "open
 * executable: Operation not permitted") and 127 when it is not there; and
 * the runtime's message worded so that the docker CLI, which matches Go's
 * lowercase errno text case-sensitively (cli/command/container/run.go),
 * exits with that code too: crun's glibc words are lowered, and a 126
 * without "permission denied" gets it appended, as moby appends it to
 * EISDIR. Undefined for any other failure.
 */
export function programFault (msg: string): { code: 126 | 127, message: string } | undefined {
  if (!isProgramFault(msg)) return undefined
  const code = /permission denied|operation not permitted|is a directory|exec format error/i.test(msg) ? 126 : 127
  let message = msg.replace(/: ([A-Z][a-z]*(?: [a-z]+)*)$/, (_m, errno: string) => `: ${errno.toLowerCase()}`)
  if (code === 126 && !/permission denied|is a directory/.test(message)) message += ': permission denied'
  return { code, message }
}

/** True when the runtime's message says the container is not (or no longer) there. */
export const isNotExist = (msg: string): boolean => /does not exist|not found|no such file/i.test(msg)

/** OCI runtime state (`runtime state <id>`). */
export interface RuntimeState { id: string, pid: number, status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' }

/** A typed wrapper over one runtime binary. */
export class Runtime {
  constructor (readonly opts: RuntimeOptions) {}

  /**
   * Runs `runtime <global args> <args>`; rejects with the runtime's own message.
   * With the container's `id`, a refusal because its process has just gone (a
   * race with its exit that berth's status could not see yet) is Docker's 409.
   */
  async run (args: string[], id?: string): Promise<string> {
    // posix_spawn, not fork: see src/sys/spawn.ts.
    let r
    try {
      r = await runChild(this.opts.path, [...globalArgs(this.opts), ...args], { PATH: SAFE_PATH }, this.opts.timeoutMs ?? 30_000)
    } catch (err) {
      throw runtimeFailed(`${this.opts.name} ${args[0] ?? ''}: cannot run ${this.opts.path}: ${(err as Error).message}`, err)
    }
    if (r.code === 0) return r.stdout
    const msg = runtimeMessage(r.stderr) || (r.timedOut ? 'timed out' : `exit status ${String(r.code ?? r.signal)}`)
    if (id !== undefined && !r.timedOut && isNotRunning(msg)) throw conflict(`Container ${id} is not running`)
    throw runtimeFailed(`${this.opts.name} ${args[0] ?? ''}: ${msg}`)
  }

  async start (id: string): Promise<void> { await this.run(argv.start(id)) }
  async kill (id: string, signal: string, all = false): Promise<void> { await this.run(argv.kill(id, signal, all && this.opts.noCgroups !== true), id) }
  async pause (id: string): Promise<void> { await this.run(argv.pause(id), id) }
  async resume (id: string): Promise<void> { await this.run(argv.resume(id), id) }

  /** Changes a running container's cgroup limits (`update --resources`, which runc and crun both read). */
  async update (id: string, resources: UpdateResources): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-update-'))
    try {
      const file = join(dir, 'resources.json')
      await writeFile(file, JSON.stringify(resources))
      await this.run(argv.update(id, file), id).catch((err: unknown) => {
        // Every value here is the client's: the runtime refusing one (runc: "the maximum allowed
        // cpu-shares is 262144", a cpuset the cgroup will not take) is a bad request.
        throw hasCode(err, 'RUNTIME') ? invalid((err as Error).message, err) : err
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Deletes the runtime's state of `id`; a container that is already gone is not an error. */
  async delete (id: string, force = true): Promise<void> {
    try {
      await this.run(argv.delete(id, force))
    } catch (err) {
      if (!(err instanceof BerthError && isNotExist(err.message))) throw err
    }
  }

  /** The runtime's view of `id`, or undefined when it has no such container. */
  async state (id: string): Promise<RuntimeState | undefined> {
    try {
      return JSON.parse(await this.run(argv.state(id))) as RuntimeState
    } catch (err) {
      if (err instanceof BerthError && isNotExist(err.message)) return undefined
      throw err
    }
  }

  /**
   * The container's status read from files instead of a `runtime state`
   * process (a fork and exec per container would make re-loading hundreds of
   * containers slow). runc and crun both keep `exec.fifo` in their state dir
   * until the container is started; a frozen cgroup means paused. Undefined
   * when the files do not tell: ask `state()` then.
   */
  quickState (id: string, pid: number): 'created' | 'running' | 'paused' | undefined {
    const dir = join(this.opts.root, id)
    if (!existsSync(dir) || !(pid > 0)) return undefined
    if (existsSync(join(dir, 'exec.fifo'))) return 'created'
    let cgroups: string
    try { cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8') } catch { return undefined }
    const v1 = /^\d+:freezer:(.*)$/m.exec(cgroups)
    const v2 = /^0::(.*)$/m.exec(cgroups)
    try {
      if (v1 !== null) return readFileSync(`/sys/fs/cgroup/freezer${v1[1]!}/freezer.state`, 'utf8').trim() === 'FROZEN' ? 'paused' : 'running'
      if (v2 !== null) return readFileSync(`/sys/fs/cgroup${v2[1]!}/cgroup.freeze`, 'utf8').trim() === '1' ? 'paused' : 'running'
    } catch {}
    return undefined
  }

  /** First line of `runtime --version`. */
  async version (): Promise<string> {
    const r = await execa(this.opts.path, ['--version'], { reject: false, timeout: 10_000 })
    return r.stdout.split('\n')[0] ?? ''
  }
}
