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
import { runtimeFailed, BerthError } from '../errors.js'
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
    try {
      const entry = JSON.parse(lines[i]!) as { level?: string, msg?: string }
      if (entry.level === 'error' && typeof entry.msg === 'string') return entry.msg
    } catch {}
  }
  const last = lines.at(-1) ?? ''
  const m = /^time="[^"]*" level=\w+ msg="(.*)"$/.exec(last)
  return m !== null ? m[1]!.replace(/\\"/g, '"') : last
}

/**
 * True when the runtime's message says the container's own program cannot be
 * run (missing, not executable, not a program): the caller's fault, which
 * Docker answers with 400 (moby's translateContainerdStartErr), not a failure
 * of the runtime.
 */
export const isProgramFault = (msg: string): boolean =>
  /executable file\b.*\bnot found|exec(vp?)?:? ["`'][^"`']*["`']:.*(no such file or directory|permission denied|not a directory|exec format error)/i.test(msg)

/** True when the runtime's message says the container is not (or no longer) there. */
export const isNotExist = (msg: string): boolean => /does not exist|not found|no such file/i.test(msg)

/** OCI runtime state (`runtime state <id>`). */
export interface RuntimeState { id: string, pid: number, status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' }

/** A typed wrapper over one runtime binary. */
export class Runtime {
  constructor (readonly opts: RuntimeOptions) {}

  /** Runs `runtime <global args> <args>`; rejects with the runtime's own message. */
  async run (args: string[]): Promise<string> {
    // posix_spawn, not fork: see src/sys/spawn.ts.
    let r
    try {
      r = await runChild(this.opts.path, [...globalArgs(this.opts), ...args], { PATH: SAFE_PATH }, this.opts.timeoutMs ?? 30_000)
    } catch (err) {
      throw runtimeFailed(`${this.opts.name} ${args[0] ?? ''}: cannot run ${this.opts.path}: ${(err as Error).message}`, err)
    }
    if (r.code === 0) return r.stdout
    const msg = runtimeMessage(r.stderr) || (r.timedOut ? 'timed out' : `exit status ${String(r.code ?? r.signal)}`)
    throw runtimeFailed(`${this.opts.name} ${args[0] ?? ''}: ${msg}`)
  }

  async start (id: string): Promise<void> { await this.run(argv.start(id)) }
  async kill (id: string, signal: string, all = false): Promise<void> { await this.run(argv.kill(id, signal, all)) }
  async pause (id: string): Promise<void> { await this.run(argv.pause(id)) }
  async resume (id: string): Promise<void> { await this.run(argv.resume(id)) }

  /** Changes a running container's cgroup limits (`update --resources`, which runc and crun both read). */
  async update (id: string, resources: UpdateResources): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-update-'))
    try {
      const file = join(dir, 'resources.json')
      await writeFile(file, JSON.stringify(resources))
      await this.run(argv.update(id, file))
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
