/**
 * Exit supervision: what happens when a run ends, decided apart from the
 * API verbs (containerd's CRI event monitor, podman's handleExitFile). An
 * exit goes memory → events → waiters, while its record is written, then
 * clean-up → restart policy (or AutoRemove), in the container's queue. On a
 * full disk the clean-up and the policy wait until the record is written. Also: the
 * liveness sweep (exit files whose event was missed, monitors that died
 * without one), the re-load after a berthd restart (decided by
 * recovery.ts), and the starts and clean-ups it leaves for once berthd
 * serves. It reaches the manager only through SupervisorHost.
 */
import type { FSWatcher } from 'node:fs'
import type { Logger } from 'pino'
import { Slots, withTimeout } from '../async.js'
import { cannotRun, hasCode } from '../errors.js'
import { isAlive } from '../proc.js'
import { programFault } from '../runtime/runtime.js'
import type { MonitorRuns } from '../shims/runs.js'
import { ZERO_TIME, type ContainerRecord, type RecordStore } from '../store/records.js'
import { decideRecovery, type RecoveryAction } from './recovery.js'
import { NO_RESTART, nextBackoff, restartAfterExit, restartAtStartup, type RestartPolicy } from './restart.js'
import { hasMonitor, isRestarting, isRuntimeLive, isStopped } from './state.js'
import { newEntry, type ContainerTable, type Entry } from './table.js'
import { dieAttributes } from './view.js'

/** What the supervisor asks of the container manager. */
export interface SupervisorHost {
  /** Starts the container's next run; `manual` as through the API. */
  startRun: (e: Entry, manual: boolean) => Promise<void>
  /** Docker's remove (AutoRemove). */
  remove: (id: string, force: boolean) => Promise<void>
  /** Removes everything a create made (a create that berthd died in). */
  undoCreate: (rec: ContainerRecord) => Promise<void>
}

/** The monitor side the supervisor uses. */
export type SupervisorRuns = Pick<MonitorRuns, 'readExit' | 'oomKilled' | 'end' | 'hasLeftovers' | 'exitIds' | 'watchExits' | 'runtimeStatus' | 'sweep'>

export interface SupervisorDeps {
  table: ContainerTable
  store: Pick<RecordStore, 'save'>
  runs: SupervisorRuns
  host: SupervisorHost
  event: (rec: ContainerRecord, action: string, extra?: Record<string, string>) => void
  log: Logger
  /** Whether a process is still the one recorded (src/proc.ts; unit tests pass a fake). */
  isAlive?: (pid: number, start: number) => boolean
  /** SIGKILLs a container's init whose monitor died (unit tests pass a fake). */
  killProcess?: (pid: number) => void
  livenessMs?: number
  recoveryLimitMs?: number
}

/** A container's restart policy; AutoRemove rules restarts out. */
export const policyOf = (rec: ContainerRecord): RestartPolicy => rec.autoRemove === true ? NO_RESTART : rec.restartPolicy ?? NO_RESTART

/** Watches every container's runs end, and acts on it. */
export class Supervisor {
  private readonly table: ContainerTable
  private readonly isAlive: (pid: number, start: number) => boolean
  private readonly killProcess: (pid: number) => void
  private watcher: FSWatcher | undefined
  private ticker: NodeJS.Timeout | undefined
  /** Clean-ups found at start-up wait for this, so that serving comes first (see serving()). */
  private startupDone: () => void = () => {}
  private readonly afterStartup = new Promise<void>(resolve => { this.startupDone = resolve })
  private recovering = false
  private readonly cleanupSlots = new Slots(4)
  private readonly startupSlots = new Slots(4)

  constructor (private readonly d: SupervisorDeps) {
    this.table = d.table
    this.isAlive = d.isAlive ?? isAlive
    this.killProcess = d.killProcess ?? (pid => { try { process.kill(pid, 'SIGKILL') } catch {} })
  }

  /** Starts watching for exits, re-loads the containers `load` gives, and starts the liveness sweep. */
  async start (load: () => Promise<ContainerRecord[]>): Promise<void> {
    this.watcher = this.d.runs.watchExits(id => this.exitSeen(id))
    this.recovering = true
    await this.recover(await load())
    this.recovering = false
    this.startAfterRecovery()
    this.ticker = setInterval(() => { void this.checkLiveness() }, this.d.livenessMs ?? 2000)
    this.ticker.unref()
  }

  /** Called once berthd serves: the clean-ups re-loading found (runtime state of runs that ended while it was down) begin. */
  serving (): void { this.startupDone() }

  /** Stops watching; pending restarts happen when berthd starts again. */
  close (): void {
    this.watcher?.close()
    if (this.ticker !== undefined) clearInterval(this.ticker)
    for (const e of this.table.all()) clearTimeout(e.restartTimer)
  }

  /** Called for every change in the exits dir. */
  exitSeen (id: string): void {
    const e = this.table.byId(id)
    if (e === undefined || !hasMonitor(e.rec)) return
    void this.table.serial(e, () => this.commitExit(e)).catch(err => this.d.log.error({ err, container: id }, 'commit exit failed'))
  }

  /**
   * Commits conmon's exit file into the record, then tells the waiters, then
   * removes the run's state. Idempotent.
   */
  private async commitExit (e: Entry): Promise<void> {
    const rec = e.rec
    if (!hasMonitor(rec)) return
    const exit = await this.d.runs.readExit(rec.id)
    if (exit === undefined) return
    await this.finishRun(e, exit.code, exit.at.toISOString(), '', this.d.runs.oomKilled(rec.id))
  }

  /**
   * Commits a run's end, then tells the waiters, cleans up after the run,
   * and, when the policy says so, waits out the back-off and starts it
   * again (status `restarting` meanwhile, Docker's die then start). Exits
   * found while re-loading are left to startAfterRecovery.
   */
  private async finishRun (e: Entry, code: number, finishedAt: string, error: string, oomKilled: boolean): Promise<void> {
    const rec = e.rec
    e.backoffMs = nextBackoff(e.backoffMs, Date.parse(finishedAt) - Date.parse(rec.startedAt))
    const restart = !this.recovering &&
      restartAfterExit(policyOf(rec), { exitCode: code, manuallyStopped: rec.manuallyStopped === true, restartCount: rec.restartCount })
    const next: ContainerRecord = {
      ...rec, status: restart ? 'restarting' : 'exited', exitCode: code, finishedAt, error, oomKilled, pid: 0, restartCount: rec.restartCount + (restart ? 1 : 0)
    }
    // Shown before it is written: the record write (two fsyncs) was most of an exit's latency. Nothing is
    // lost: conmon's exit file stays until the record is written (runs.end comes after), and a berthd
    // restarted meanwhile commits this exit from it (recoverOne) before it serves, so a client that saw
    // "exited" cannot wait for this exit again. The queue holds every other operation until the write.
    const saved = this.d.store.save(next).then(() => undefined, (err: unknown) => err ?? new Error('record write failed'))
    Object.assign(rec, next)
    this.d.log.info({ container: rec.id.slice(0, 12), exitCode: code, error, ...(restart ? { restartInMs: e.backoffMs } : {}) }, 'container exited')
    if (oomKilled) this.d.event(rec, 'oom')
    this.d.event(rec, 'die', dieAttributes(rec))
    this.table.notifyExit(e, code)
    const saveErr = await saved
    if (saveErr !== undefined) {
      // A full disk must not hide an exit: it is shown from memory at once, and committed when a write
      // succeeds (commitLater). conmon's exit file and the run's state stay until then, so a restart
      // of berthd meanwhile reads the exit again.
      e.uncommitted = { restart }
      this.d.log.error({ err: saveErr, container: rec.id.slice(0, 12) }, 'exit not committed; retrying')
      return
    }
    await this.afterCommit(e, restart)
  }

  /**
   * What follows a committed exit: the run's clean-up, then its restart or
   * auto-removal. The clean-up (the runtime's delete, 10-20 ms, and the
   * network teardown) goes on outside the queue: the next operation waits
   * for it (table.serial), but a removal need not, which then answers as
   * soon as it is durable.
   */
  private async afterCommit (e: Entry, restart: boolean): Promise<void> {
    if (this.recovering) this.cleanupLater(e)
    else {
      const id = e.rec.id
      e.cleanup = this.table.background(this.d.runs.end(e.rec).catch(err => this.d.log.error({ err, container: id.slice(0, 12) }, 'clean-up after the run failed')))
    }
    if (restart) this.restartLater(e); else this.removeIfAuto(e)
  }

  /** Writes an exit that finishRun could only show; throws while the disk still refuses. The manager calls it before a new run. */
  async commitLater (e: Entry): Promise<void> {
    const pending = e.uncommitted
    if (pending === undefined || !this.table.has(e.rec.id)) return
    await this.d.store.save(e.rec)
    e.uncommitted = undefined
    this.d.log.info({ container: e.rec.id.slice(0, 12), exitCode: e.rec.exitCode }, 'exit committed')
    await this.afterCommit(e, pending.restart)
    await e.cleanup // the caller may launch the next run
  }

  /**
   * A run that could not start, as moby's containerStart leaves it: the run
   * is cleaned away and the failure recorded on the container (State.Error,
   * and ExitCode 127 or 126 when its program cannot be run, else 128), which
   * stays created if it never ran and is exited otherwise. No die event:
   * nothing ran (moby#22043). Waiters and attach clients are told, and an
   * AutoRemove container is removed (docker run --rm waits for that).
   * Returns the error for the caller to throw: Docker's 400 for a program
   * that cannot be run, else `err`.
   */
  async startFailed (e: Entry, err: unknown): Promise<unknown> {
    await this.d.runs.end(e.rec)
    const fault = hasCode(err, 'INVALID_ARGUMENT') ? programFault((err as Error).message) : undefined
    const thrown = fault !== undefined ? cannotRun(fault.message, err) : err
    const code = fault?.code ?? 128
    const never = e.rec.startedAt === ZERO_TIME
    const next: ContainerRecord = {
      ...e.rec,
      ...(never ? { status: 'created', unlaunched: true } : { status: 'exited', finishedAt: new Date().toISOString() }),
      exitCode: code, error: (thrown as Error).message, pid: 0
    }
    await this.d.store.save(next)
    Object.assign(e.rec, next)
    this.table.notifyExit(e, code)
    this.removeIfAuto(e)
    return thrown
  }

  /** Starts a restarting container once its back-off is over, unless a stop, kill or removal came first. */
  private restartLater (e: Entry): void {
    e.restartTimer = setTimeout(() => {
      e.restartTimer = undefined
      void this.table.serial(e, async () => {
        if (!isRestarting(e.rec.status) || !this.table.has(e.rec.id)) return
        await this.d.host.startRun(e, false)
      }).catch(err => this.d.log.error({ err, container: e.rec.id.slice(0, 12) }, 'policy restart failed'))
    }, e.backoffMs)
  }

  /**
   * Docker's daemon start: every stopped container whose policy says so is
   * started (an ordinary start: its restart count starts over), once berthd
   * serves and after the clean-ups re-loading queued, a few at a time.
   */
  private startAfterRecovery (): void {
    for (const e of this.table.all()) {
      const { id, status } = e.rec
      if (!isStopped(status)) continue
      const go = restartAtStartup(policyOf(e.rec), {
        exitCode: e.rec.exitCode, manuallyStopped: e.rec.manuallyStopped === true, restartCount: e.rec.restartCount,
        startedBefore: e.rec.startedAt !== ZERO_TIME, pending: isRestarting(status)
      })
      if (!go && !isRestarting(status)) continue
      void this.table.serial(e, async () => {
        await this.afterStartup
        // Started, stopped or removed through the API meanwhile.
        if (e.rec.status !== status || !this.table.has(id)) return
        if (go) return await this.startupSlots.run(() => this.d.host.startRun(e, true))
        // A restart was pending, but its policy has been changed to no since.
        const next: ContainerRecord = { ...e.rec, status: 'exited' }
        await this.d.store.save(next)
        Object.assign(e.rec, next)
      }).catch(err => this.d.log.error({ err, container: id.slice(0, 12) }, 'start at berthd start-up failed'))
    }
  }

  /** Docker's AutoRemove (run --rm): queued behind whatever runs on the container now. */
  private removeIfAuto (e: Entry): void {
    if (e.rec.autoRemove !== true) return
    void this.afterStartup
      .then(() => this.d.host.remove(e.rec.id, true))
      .catch(err => { if (!hasCode(err, 'NOT_FOUND')) this.d.log.error({ err, container: e.rec.id }, 'auto-remove failed') })
  }

  /**
   * Queues a run's clean-up on the container, to start once berthd serves:
   * the exit is already committed, and any operation on the container waits
   * behind the clean-up. A few at a time, so they do not crowd start-up.
   */
  private cleanupLater (e: Entry): void {
    void this.table.serial(e, async () => {
      await this.afterStartup
      await this.cleanupSlots.run(() => this.d.runs.end(e.rec))
    }).catch(err => this.d.log.error({ err, container: e.rec.id }, 'clean-up after re-load failed'))
  }

  /** Periodic safety net: exit files whose event was missed, and monitors that died without one. */
  async checkLiveness (): Promise<void> {
    for (const id of await this.d.runs.exitIds()) this.exitSeen(id)
    for (const e of this.table.all()) {
      if (e.uncommitted !== undefined) void this.table.serial(e, () => this.commitLater(e)).catch(() => {})
      if (!hasMonitor(e.rec) || this.isAlive(e.rec.monitorPid, e.rec.monitorStart)) continue
      void this.table.serial(e, async () => {
        if (!hasMonitor(e.rec) || this.isAlive(e.rec.monitorPid, e.rec.monitorStart)) return
        const exit = await this.d.runs.readExit(e.rec.id)
        if (exit !== undefined) return await this.commitExit(e)
        const alive = this.isAlive(e.rec.pid, e.rec.pidStart)
        const action = decideRecovery({ status: e.rec.status, exitCode: undefined, monitorAlive: false, containerAlive: alive })
        this.d.log.warn({ container: e.rec.id.slice(0, 12), action }, 'container monitor died')
        await this.applyExitAction(e, action)
      }).catch(err => this.d.log.error({ err }, 'liveness check failed'))
    }
  }

  private async applyExitAction (e: Entry, action: RecoveryAction): Promise<void> {
    if (action.kind !== 'exited') return
    if (action.killContainer && this.isAlive(e.rec.pid, e.rec.pidStart)) this.killProcess(e.rec.pid)
    await this.finishRun(e, action.code, new Date().toISOString(), action.error, false)
  }

  /** Re-loads every record after a restart; one bad container never blocks the rest. Then sweeps leaks. */
  private async recover (records: ContainerRecord[]): Promise<void> {
    await Promise.all(records.map(async rec => {
      const e = newEntry(rec)
      const work = this.recoverOne(e)
      if (!await withTimeout(work, this.d.recoveryLimitMs ?? 15_000)) {
        this.d.log.error({ container: rec.id }, 'container recovery timed out; loaded as recorded')
        this.table.add(e)
      }
    }))
    await this.d.runs.sweep(new Set(records.map(r => r.id)))
  }

  private async recoverOne (e: Entry): Promise<void> {
    const rec = e.rec
    const exit = hasMonitor(rec) ? await this.d.runs.readExit(rec.id) : undefined
    const action = decideRecovery({
      status: rec.status,
      unlaunched: rec.unlaunched === true,
      exitCode: exit?.code,
      monitorAlive: this.isAlive(rec.monitorPid, rec.monitorStart),
      containerAlive: this.isAlive(rec.pid, rec.pidStart)
    })
    this.d.log.info({ container: rec.id.slice(0, 12), status: rec.status, action: action.kind }, 'container recovered')
    switch (action.kind) {
      case 'undo-create':
      case 'finish-remove':
        await this.d.host.undoCreate(rec)
        return
      case 'keep':
        // The exit was committed but berthd died before cleaning up after the run.
        this.table.add(e)
        if (this.d.runs.hasLeftovers(rec.id)) this.cleanupLater(e)
        return
      case 'adopt': {
        const status = await this.d.runs.runtimeStatus(rec)
        // berthd may have died between the runtime's answer and the record write: the runtime knows best.
        if (isRuntimeLive(status) && status !== rec.status) {
          rec.status = status
          if (status === 'running' && rec.startedAt === ZERO_TIME) rec.startedAt = new Date().toISOString()
          await this.d.store.save(rec)
        }
        this.table.add(e)
        return
      }
      case 'exited':
        this.table.add(e)
        if (exit !== undefined) {
          await this.finishRun(e, exit.code, exit.at.toISOString(), '', this.d.runs.oomKilled(rec.id))
        } else {
          await this.applyExitAction(e, action)
        }
    }
  }
}
