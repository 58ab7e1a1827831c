/**
 * The monitor side of a container's runs, and nothing of its lifecycle:
 * launch a run's monitor, end a run, read what a run left (its exit file,
 * its OOM mark), reach its attach socket and terminal, and sweep what no
 * record knows. containerd's shim manager "doesn't care about lifecycle
 * management"; podman's OCIRuntime is "a fairly thin wrapper". Which run to
 * launch or end, and when, the container manager and its supervisor decide.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { sleep } from '../async.js'
import { isAlive, startTime } from '../proc.js'
import type { LogPolicy } from '../logs/config.js'
import type { Runtime } from '../runtime/runtime.js'
import { ensureDir } from '../store/atomic.js'
import { bundleSpec, type Layout } from '../store/layout.js'
import { attach, resizeTerminal, type AttachConnection } from './attach.js'
import { createContainer, killMonitor, monitorFromPidFile, readExitFile, wasOomKilled, type ExitFile, type MonitorInfo } from './conmon.js'
import { LogRotator } from './logrotate.js'
import { seqpacketSupport } from './seqpacket.js'

/** How monitors are launched. */
export interface RunOptions { conmon: string, logSizeMax: number, createTimeoutMs: number }

/** What a launch needs to know of its container. */
export interface RunRequest { id: string, name: string, tty: boolean, openStdin: boolean, stdinOnce: boolean, log: LogPolicy }

/**
 * conmon's cap for a `none` log: nothing reads it back, but attach streams
 * from it (src/api/streams.ts), so a little is kept.
 */
const NONE_LOG_MAX = 1024 * 1024

/** A run as last recorded: whose, under which runtime, and its monitor. */
export interface RunRef { id: string, runtime: string, monitorPid: number, monitorStart: number }

/** The runs of one berthd's containers. */
export class MonitorRuns {
  private readonly rotator: LogRotator
  /** What else a run's end releases once its processes are gone (the manager sets it: the run's networking). */
  releaseWith: (id: string) => Promise<void> = async () => {}
  constructor (private readonly layout: Layout, private readonly runtimes: ReadonlyMap<string, Runtime>, private readonly opts: RunOptions, private readonly log: Logger) {
    this.rotator = new LogRotator(layout, log)
  }

  /** Checks attach sockets work here, and makes the state dirs (FIFOs an earlier berthd kept are removed). */
  async prepare (): Promise<void> {
    const seqpacket = seqpacketSupport()
    if (seqpacket !== undefined) throw new Error(`attach and exec need SOCK_SEQPACKET sockets through koffi, which fail here: ${seqpacket}`)
    for (const d of [this.layout.states, this.layout.exits, this.layout.sockets]) await ensureDir(d)
    for (const name of this.runtimes.keys()) await ensureDir(this.layout.runtimeRoot(name))
    await rm(this.layout.oldFifos, { recursive: true, force: true })
  }

  /**
   * Writes the run's private spec (`specText`, the config.json conmon and the
   * runtime are given) into its state dir and runs the create handshake.
   */
  async launch (c: RunRequest, runtime: Runtime, specText: string): Promise<MonitorInfo> {
    const bundleDir = this.layout.runBundle(c.id)
    await mkdir(bundleDir, { recursive: true, mode: 0o700 })
    // An exit file from an earlier run must never be taken for this run's.
    await rm(this.layout.exitFile(c.id), { force: true })
    await writeFile(bundleSpec(bundleDir), specText)
    const info = await createContainer({
      id: c.id,
      name: c.name,
      conmon: this.opts.conmon,
      runtime: runtime.opts,
      stateDir: this.layout.stateDir(c.id),
      bundleDir,
      exitDir: this.layout.exits,
      socketDir: this.layout.sockets,
      logPath: this.layout.logPath(c.id),
      logSizeMax: c.log.maxSize !== undefined ? undefined : c.log.readable ? this.opts.logSizeMax : NONE_LOG_MAX,
      tty: c.tty,
      openStdin: c.openStdin,
      stdinOnce: c.stdinOnce,
      timeoutMs: this.opts.createTimeoutMs
    })
    this.rotator.watch(c.id, c.log)
    return info
  }

  /** Rotates the log of a run launched by an earlier berthd, as launch does for its own. */
  watchLog (id: string, policy: LogPolicy): void { this.rotator.watch(id, policy) }

  /** Stops the log rotation; the monitors run on. */
  close (): void { this.rotator.close() }

  /**
   * Ends one run: its runtime state, its monitor, its attach link, its exit
   * file and, last, its state dir. The caller has committed the exit, if any.
   */
  async end (run: RunRef): Promise<void> {
    this.rotator.unwatch(run.id)
    const stateDir = this.layout.stateDir(run.id)
    // The pid file names this run's monitor even when the record does not yet (or still names the last run's).
    const fromFile = await monitorFromPidFile(stateDir, run.id)
    const monitor = fromFile !== 0 ? { pid: fromFile, start: startTime(fromFile) } : { pid: run.monitorPid, start: run.monitorStart }
    const runtime = this.runtimes.get(run.runtime)
    if (runtime !== undefined) {
      await runtime.delete(run.id, true).catch((err: unknown) => this.log.warn({ err, container: run.id }, 'runtime delete failed'))
    }
    // The monitor normally exits by itself once its container is gone; give it a moment.
    for (let i = 0; i < 200 && isAlive(monitor.pid, monitor.start); i++) await sleep(5)
    killMonitor(monitor.pid, monitor.start)
    await rm(this.layout.socketLink(run.id), { force: true }) // conmon's attach symlink, left when create fails
    await rm(this.layout.exitFile(run.id), { force: true })
    await this.releaseWith(run.id)
    // Last: a missing state dir means this run is fully cleaned up.
    await rm(stateDir, { recursive: true, force: true })
  }

  /** State dirs, attach links and runtime state that no known container owns: killed and removed. */
  async sweep (known: ReadonlySet<string>): Promise<void> {
    const dirs = await readdir(this.layout.states).catch(() => [] as string[])
    for (const id of dirs.filter(d => !known.has(d))) {
      const stateDir = this.layout.stateDir(id)
      killMonitor(await monitorFromPidFile(stateDir, id))
      this.log.warn({ container: id }, 'leaked container state removed')
      await rm(this.layout.socketLink(id), { force: true })
      await rm(this.layout.exitFile(id), { force: true })
      await rm(stateDir, { recursive: true, force: true })
    }
    // Attach-socket links conmon left for containers and execs no record knows (an exec's record dies with berthd),
    // and exit files of runs whose state dir went first (a removal berthd died in, the dir gone behind it).
    const links = await readdir(this.layout.sockets).catch(() => [] as string[])
    for (const id of links.filter(l => !known.has(l))) await rm(this.layout.socketLink(id), { force: true })
    const exits = await readdir(this.layout.exits).catch(() => [] as string[])
    for (const id of exits.filter(x => !known.has(x))) await rm(this.layout.exitFile(id), { force: true })
    for (const [name, rt] of this.runtimes) {
      const ids = await readdir(this.layout.runtimeRoot(name)).catch(() => [] as string[])
      for (const id of ids.filter(d => !known.has(d))) {
        this.log.warn({ container: id, runtime: name }, 'leaked runtime state removed')
        await rt.delete(id, true).catch(() => {})
      }
    }
  }

  /** Calls `seen(id)` for every change in the exits dir. */
  watchExits (seen: (id: string) => void): FSWatcher {
    const w = watch(this.layout.exits, (_event, file) => { if (file !== null) seen(file.toString()) })
    w.on('error', err => this.log.error({ err }, 'exit dir watch failed'))
    return w
  }

  /** Ids with an exit file. */
  async exitIds (): Promise<string[]> { return await readdir(this.layout.exits).catch(() => []) }

  /** The current run's exit file, or undefined while it runs. */
  async readExit (id: string): Promise<ExitFile | undefined> { return await readExitFile(this.layout.exits, id) }

  /** True when conmon recorded an OOM kill in this run. */
  oomKilled (id: string): boolean { return wasOomKilled(this.layout.runBundle(id)) }

  /** True while a run's state dir is there (it goes last when the run is cleaned up). */
  hasState (id: string): boolean { return existsSync(this.layout.stateDir(id)) }

  /** True when something of a run is left to clean up. */
  hasLeftovers (id: string): boolean { return this.hasState(id) || existsSync(this.layout.exitFile(id)) }

  /** What the runtime says of a container's state (undefined: it does not know it). */
  async runtimeStatus (run: { id: string, runtime: string, pid: number }): Promise<string | undefined> {
    const rt = this.runtimes.get(run.runtime)
    return rt?.quickState(run.id, run.pid) ?? (await rt?.state(run.id).catch(() => undefined))?.status
  }

  /** A connection to the run's attach socket. */
  attach (id: string): AttachConnection { return attach(this.layout.sockets, id) }

  /** Resizes the run's terminal; rejects when no monitor reads its control FIFO. */
  async resize (id: string, height: number, width: number): Promise<void> { await resizeTerminal(this.layout.runBundle(id), height, width) }
}
