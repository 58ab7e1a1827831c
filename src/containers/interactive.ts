/**
 * The API's ways into a container's processes: attach (to the current or
 * the next run) and its terminal size, and exec instances. None of these
 * changes the container's lifecycle; they check its status and reach its
 * monitor through MonitorRuns.
 */
import type { Logger } from 'pino'
import { conflict, invalid, noSuchContainer } from '../errors.js'
import type { Runtime } from '../runtime/runtime.js'
import type { AttachConnection } from '../shims/attach.js'
import type { MonitorRuns } from '../shims/runs.js'
import type { Layout } from '../store/layout.js'
import type { ContainerRecord } from '../store/records.js'
export type { AttachConnection } from '../shims/attach.js'
import { Execs, type ExecConfig, type ExecRecord, type ExecSession, type ExecTarget } from './exec.js'
import { collectProbe, type ProbeOutcome } from './healthcheck.js'
import { canExec, hasMonitor, isRunning } from './state.js'
import type { ContainerTable, Entry } from './table.js'

/** The largest terminal side a resize may ask for (struct winsize holds 16 bits). */
export const MAX_TERMINAL = 65535

/** What attach and exec need from the manager. */
export interface InteractiveDeps {
  table: ContainerTable
  runs: Pick<MonitorRuns, 'attach' | 'resize'>
  layout: Layout
  conmon: string
  runtimeOf: (rec: ContainerRecord) => Runtime
  event: (rec: ContainerRecord, action: string, extra?: Record<string, string>) => void
  log: Logger
}

/** An attach as the API pumps it (see attach()). */
export interface Attachment { rec: ContainerRecord, done: Promise<unknown>, cancel: () => void, conn?: Promise<AttachConnection | undefined> }

/** Attach, resize and exec. */
export class Interactive {
  private readonly execs: Execs

  constructor (private readonly d: InteractiveDeps) {
    this.execs = new Execs(d.conmon, d.layout.sockets, x => this.execEvent(x, 'exec_die', { exitCode: String(x.exitCode) }))
  }

  /**
   * An attach to the container: `done` settles when its current or next run
   * ends (or it is removed), which is when the attach's output ends. With
   * `stdin`, and a container that keeps stdin open, `conn` is a connection to
   * the monitor: at once for a created or running container, or, for a
   * stopped one, when it next starts and before its process runs (Docker's
   * `start -a`); undefined if the container is removed first.
   */
  attach (ref: string, stdin: boolean): Attachment {
    const e = this.d.table.get(ref)
    const rec = e.rec
    if (rec.status === 'paused') throw conflict(`container ${rec.id} is paused, unpause the container before attach`)
    const ended = this.d.table.nextExit(e)
    this.d.event(rec, 'attach')
    if (!stdin || !rec.openStdin) return { rec, done: ended.promise, cancel: ended.cancel }
    if (hasMonitor(rec)) {
      const conn = Promise.resolve(this.d.runs.attach(rec.id))
      return { rec, done: ended.promise, cancel: ended.cancel, conn }
    }
    let settle: (conn: AttachConnection | undefined) => void = () => {}
    const conn = new Promise<AttachConnection | undefined>(resolve => { settle = resolve })
    const fn = (c: AttachConnection | undefined): void => { e.pendingAttach.delete(fn); settle(c) }
    e.pendingAttach.add(fn)
    // A client that leaves before the next run stops waiting for it.
    const cancel = (): void => { ended.cancel(); if (e.pendingAttach.has(fn)) fn(undefined) }
    return { rec, done: ended.promise, cancel, conn }
  }

  /** Hands the new run's monitor to the attach clients that waited for it. */
  connectPending (e: Entry): void {
    for (const fn of [...e.pendingAttach]) {
      let conn: AttachConnection | undefined
      try { conn = this.d.runs.attach(e.rec.id) } catch (err) { this.d.log.warn({ err }, 'attach to the new monitor failed') }
      fn(conn)
    }
  }

  /** Resizes the terminal of a running TTY container. */
  async resize (ref: string, height: number, width: number): Promise<void> {
    const rec = this.d.table.get(ref).rec
    checkSize(height, width)
    if (!isRunning(rec.status)) throw conflict(`container ${rec.id} is not running`)
    if (!rec.tty) throw conflict(`container ${rec.id} has no terminal (it was created without Tty)`)
    await this.d.runs.resize(rec.id, height, width).catch(() => {
      throw conflict(`container ${rec.id} is not running`)
    })
  }

  /** Docker's exec create: 409 unless the container runs. */
  async createExec (ref: string, config: ExecConfig): Promise<string> {
    const rec = this.d.table.get(ref).rec
    checkExecTarget(rec)
    const exec = await this.execs.create(rec.id, this.d.layout.stateDir(rec.id), config)
    this.execEvent(exec, `exec_create: ${config.cmd.join(' ')}`)
    return exec.id
  }

  /** Starts an exec; attached, its session. `o.opened` is called once it is claimed, before it launches (see Execs.start). */
  async startExec (execId: string, o: { detach: boolean, raw?: boolean, opened?: () => void }): Promise<{ exec: ExecRecord, session?: ExecSession }> {
    const exec = this.execs.get(execId)
    const rec = this.containerOf(exec)
    checkExecTarget(rec)
    this.execEvent(exec, `exec_start: ${exec.config.cmd.join(' ')}`)
    const session = await this.execs.start(exec, this.execTarget(rec), o)
    return { exec, session }
  }

  /**
   * One health probe, Docker's way (moby cmdProbe.run): an exec of `cmd`
   * as the container's user in its working dir, with its events, stdout and
   * stderr together and capped, killed after `timeoutMs` from its start.
   * The exec is forgotten once it has ended.
   */
  async probe (ref: string, cmd: string[], timeoutMs: number): Promise<ProbeOutcome> {
    const execId = await this.createExec(ref, { cmd, env: [], workingDir: '', user: '', tty: false, attachStdin: false, attachStdout: true, attachStderr: true, privileged: false, detachKeys: '' })
    try {
      const { exec, session } = await this.startExec(execId, { detach: false, raw: true })
      const { output, timedOut } = await collectProbe(session!.output, () => exec.running ? exec.pid : 0, timeoutMs)
      return { exitCode: exec.exitCode ?? -1, output, timedOut }
    } finally {
      this.execs.drop(execId)
    }
  }

  inspectExec (execId: string): ExecRecord { return this.execs.get(execId) }

  execIds (containerId: string): string[] { return this.execs.ofContainer(containerId) }

  async resizeExec (execId: string, height: number, width: number): Promise<void> {
    checkSize(height, width)
    const exec = this.execs.get(execId)
    await this.execs.resize(exec, this.execTarget(this.containerOf(exec)), height, width)
  }

  /** Forgets a removed container's execs. */
  dropContainer (id: string): void { this.execs.dropContainer(id) }

  private containerOf (exec: ExecRecord): ContainerRecord {
    const e = this.d.table.byId(exec.containerId)
    if (e === undefined) throw noSuchContainer(exec.containerId)
    return e.rec
  }

  private execTarget (rec: ContainerRecord): ExecTarget {
    return { id: rec.id, stateDir: this.d.layout.stateDir(rec.id), runtime: this.d.runtimeOf(rec).opts }
  }

  private execEvent (exec: ExecRecord, action: string, extra: Record<string, string> = {}): void {
    const rec = this.d.table.byId(exec.containerId)?.rec
    if (rec !== undefined) this.d.event(rec, action, { execID: exec.id, ...extra })
  }
}

/** Docker's 409s for an exec in a container that does not run. */
function checkExecTarget (rec: ContainerRecord): void {
  if (rec.status === 'paused') throw conflict(`Container ${rec.id} is paused, unpause the container before exec`)
  if (!canExec(rec.status)) throw conflict(`container ${rec.id} is not running`)
}

/** A terminal size a client may ask for: whole numbers, 1 to MAX_TERMINAL. */
function checkSize (height: number, width: number): void {
  for (const [what, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_TERMINAL) throw invalid(`invalid terminal ${what} ${String(v)}: must be a whole number from 1 to ${MAX_TERMINAL}`)
  }
}
