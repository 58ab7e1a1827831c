/**
 * The health monitor: one timer per running container with a probe, each
 * probe an exec through the container's monitor (Interactive.probe), each
 * result run through the state machine in health.ts. The state is saved to
 * disk (store/health.ts) whenever its status or failing streak changes, so
 * a berthd restart finds it and re-arms the probes of running containers.
 *
 * As in moby's monitor loop, the next probe is timed from the end of the
 * last one, so probes of one container never overlap.
 */
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import { HealthStore } from '../store/health.js'
import type { ContainerRecord } from '../store/records.js'
import { afterProbe, CappedOutput, goDuration, healthAction, nextDelay, probeCommand, started, stopped, timings, type HealthState, type ProbeResult } from './health.js'
import { canExec } from './state.js'

/** What one probe gave: its exit code (-1: none) and its output, capped. */
export interface ProbeOutcome { exitCode: number, output: string, timedOut: boolean }

/** The label that opts a container into a restart when it turns unhealthy (moby#28400; Docker itself only reports it). */
export const RESTART_ON_UNHEALTHY = 'berth.restart-on-unhealthy'

/** Whether a container that turned unhealthy is to be restarted. */
export const restartsOnUnhealthy = (rec: Pick<ContainerRecord, 'labels'>): boolean => ['true', '1', 'yes'].includes(rec.labels[RESTART_ON_UNHEALTHY] ?? '')

/** How long a killed probe's output may take to end before it is given up on (a child can hold its pipe open). */
const KILL_GRACE_MS = 2_000

/**
 * Reads a probe's output (capped); after `timeoutMs` its process (`pid()`, 0
 * when it has ended) is killed with SIGKILL, as moby's probe cancel does.
 */
export async function collectProbe (output: Readable, pid: () => number, timeoutMs: number): Promise<{ output: string, timedOut: boolean }> {
  const out = new CappedOutput()
  let timedOut = false
  let grace: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    timedOut = true
    const p = pid()
    if (p > 0) { try { process.kill(p, 'SIGKILL') } catch {} }
    grace = setTimeout(() => output.destroy(), KILL_GRACE_MS)
  }, timeoutMs)
  try {
    for await (const chunk of output) out.add(chunk as Buffer)
  } catch {
    // Destroyed after the grace: what was read is the output.
  } finally {
    clearTimeout(timer)
    clearTimeout(grace)
  }
  return { output: out.text(), timedOut }
}

/** What the monitor needs from the manager. */
export interface HealthDeps {
  store: Pick<HealthStore, 'load' | 'save'>
  /** Runs `cmd` in the container, killing it after `timeoutMs`. */
  probe: (rec: ContainerRecord, cmd: string[], timeoutMs: number) => Promise<ProbeOutcome>
  event: (rec: ContainerRecord, action: string) => void
  /** Restarts a container (one that turned unhealthy, when its label asks for it). */
  restart: (id: string) => Promise<void>
  log: Logger
  now?: () => number
}

interface Armed { timer: NodeJS.Timeout | undefined }

/** Health states and probe timers of one berthd. */
export class HealthMonitor {
  private readonly states = new Map<string, HealthState>()
  private readonly armed = new Map<string, Armed>()
  /** Each container's saves, in order. */
  private readonly saving = new Map<string, Promise<void>>()
  private readonly now: () => number

  constructor (private readonly d: HealthDeps) { this.now = d.now ?? Date.now }

  /** The container's State.Health; undefined when it has none. */
  state (id: string): HealthState | undefined { return this.states.get(id) }

  /** Docker's `health` filter value: none when there is no healthcheck. */
  status (id: string): string { return this.states.get(id)?.Status ?? 'none' }

  /** At berthd start: the saved state back, and a running container's probes armed again (its status kept). */
  async reload (rec: ContainerRecord): Promise<void> {
    if (probeCommand(rec.healthcheck) === undefined) return
    const saved = await this.d.store.load(rec.id).catch(() => undefined)
    if (saved === undefined && !canExec(rec.status)) return
    this.states.set(rec.id, saved ?? started(undefined))
    // Probes are execs: they run while the container runs, not while it is paused.
    if (canExec(rec.status)) this.arm(rec)
  }

  /** reload() of each record, all at once. */
  async reloadAll (recs: Iterable<ContainerRecord>): Promise<void> {
    await Promise.all([...recs].map(async rec => { await this.reload(rec) }))
  }

  /** A run started (or was unpaused): starting again, probes armed. */
  start (rec: ContainerRecord): void {
    if (probeCommand(rec.healthcheck) === undefined) return
    this.disarm(rec.id)
    this.set(rec, started(this.states.get(rec.id)))
    this.arm(rec)
  }

  /** The run ended or was paused: probes stop, the status is unhealthy. */
  stop (rec: ContainerRecord): void {
    const h = this.states.get(rec.id)
    if (!this.disarm(rec.id) || h === undefined) return
    this.set(rec, stopped(h))
  }

  /** Follows the container's lifecycle through its events: start and unpause arm the probes; die and pause stop them. */
  onEvent (rec: ContainerRecord, action: string): void {
    if (action === 'start' || action === 'unpause') this.start(rec)
    else if (action === 'die' || action === 'pause') this.stop(rec)
    else if (action === 'destroy') this.forget(rec.id)
  }

  /** The container is gone. */
  forget (id: string): void {
    this.disarm(id)
    this.states.delete(id)
  }

  /** Stops every timer (berthd shutting down); the states stay on disk. */
  close (): void { for (const id of [...this.armed.keys()]) this.disarm(id) }

  private disarm (id: string): boolean {
    const a = this.armed.get(id)
    if (a === undefined) return false
    clearTimeout(a.timer)
    this.armed.delete(id)
    return true
  }

  private arm (rec: ContainerRecord, delay = this.delay(rec)): void {
    const a: Armed = { timer: undefined }
    a.timer = setTimeout(() => { void this.probe(rec, a) }, delay)
    // Probes never keep berthd alive on their own.
    a.timer.unref()
    this.armed.set(rec.id, a)
  }

  private delay (rec: ContainerRecord): number {
    return nextDelay(this.states.get(rec.id) ?? started(undefined), rec.healthcheck!, Date.parse(rec.startedAt), this.now())
  }

  private async probe (rec: ContainerRecord, a: Armed): Promise<void> {
    const cfg = rec.healthcheck!
    const { timeoutMs } = timings(cfg)
    const start = this.now()
    let outcome: ProbeOutcome
    try {
      outcome = await this.d.probe(rec, probeCommand(cfg)!, timeoutMs)
    } catch (err) {
      // moby: a probe that cannot run is a failure whose output is the error.
      outcome = { exitCode: -1, output: (err as Error).message, timedOut: false }
    }
    // Stopped, paused or restarted meanwhile: this result belongs to no current run.
    if (this.armed.get(rec.id) !== a) return
    const output = outcome.timedOut
      ? `Health check exceeded timeout (${goDuration(timeoutMs)})${outcome.output !== '' ? `: ${outcome.output}` : ''}`
      : outcome.output
    const result: ProbeResult = { Start: new Date(start).toISOString(), End: new Date(this.now()).toISOString(), ExitCode: outcome.timedOut ? -1 : outcome.exitCode, Output: output }
    const before = this.states.get(rec.id) ?? started(undefined)
    const after = afterProbe(before, result, cfg, Date.parse(rec.startedAt))
    // A change is on disk before anyone can see it (inspect, ps, events): a berthd killed right after still has it.
    if (after.Status !== before.Status || after.FailingStreak !== before.FailingStreak) {
      await this.persist(rec, after)
      if (this.armed.get(rec.id) !== a) return
    }
    this.states.set(rec.id, after)
    if (after.Status !== before.Status) {
      this.d.event(rec, healthAction(after))
      if (after.Status === 'unhealthy' && restartsOnUnhealthy(rec)) {
        this.d.restart(rec.id).catch((err: unknown) => this.d.log.warn({ err, container: rec.id.slice(0, 12) }, 'restart of an unhealthy container failed'))
      }
    }
    if (this.armed.get(rec.id) === a) this.arm(rec)
  }

  /** Sets a state and saves it in the background (a start or a stop, which the API answers without waiting for it). */
  private set (rec: ContainerRecord, h: HealthState): void {
    this.states.set(rec.id, h)
    void this.persist(rec, h)
  }

  /** Saves a state; saves of one container go in order, and a failed one is logged (the next change writes it again). */
  private async persist (rec: ContainerRecord, h: HealthState): Promise<void> {
    const prev = this.saving.get(rec.id) ?? Promise.resolve()
    const next = prev.then(() => this.d.store.save(rec.id, h)).catch((err: unknown) => {
      this.d.log.warn({ err, container: rec.id.slice(0, 12) }, 'health state not saved')
    })
    this.saving.set(rec.id, next)
    await next
    if (this.saving.get(rec.id) === next) this.saving.delete(rec.id)
  }

  /** Resolves once every save asked for so far is done (tests, shutdown). */
  async flushed (): Promise<void> { await Promise.all([...this.saving.values()]) }
}

/** The monitor of a berthd whose container records are in `dir` (health.json goes beside each container.json). */
export const monitorIn = (dir: string, deps: Omit<HealthDeps, 'store'>): HealthMonitor => new HealthMonitor({ ...deps, store: new HealthStore(dir) })
