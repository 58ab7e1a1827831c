/**
 * Healthchecks, the pure part: the config (Docker's checks, its merge with
 * the image's, the probe's argv and timings) and Docker's state machine
 * (moby daemon/health.go handleProbeResult):
 *
 *   (start, unpause) ──► starting ──pass──► healthy ◄──pass──┐
 *                           │                  │             │
 *                           └──fail × Retries──┴──────► unhealthy
 *
 *   A failure while `starting` and inside StartPeriod does not count. Any
 *   pass sets the failing streak to 0; Retries failures in a row make it
 *   unhealthy. When the probes stop (stop, pause) the status is set to
 *   unhealthy, as moby's CloseMonitorChannel does "for compatibility".
 */
import { invalid } from '../errors.js'
import type { HealthConfig, HealthState, ProbeResult } from '../store/health.js'

export type { HealthConfig, HealthState, HealthStatus, ProbeResult } from '../store/health.js'

const MS = 1_000_000
/** Docker's defaults (moby daemon/health.go), in milliseconds. */
export const DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 }
/** Results kept in `Log`, and bytes of output kept per result (moby maxLogEntries, maxOutputLen). */
export const MAX_LOG = 5
export const MAX_OUTPUT = 4096

/** The create body's `Healthcheck`, as sent (any field may be missing or null). */
export interface AskedHealth { Test?: string[] | null, Interval?: number | null, Timeout?: number | null, StartPeriod?: number | null, StartInterval?: number | null, Retries?: number | null }

const DURATIONS = ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const

/** Docker's checks of a create body's Healthcheck (moby daemon/container.go validateHealthCheck), with its messages. */
export function checkHealthConfig (h: AskedHealth | null | undefined): void {
  if (h === undefined || h === null) return
  for (const f of DURATIONS) {
    const v = h[f] ?? 0
    if (v !== 0 && v < MS) throw invalid(`${f} in Healthcheck cannot be less than 1ms`)
  }
  if ((h.Retries ?? 0) < 0) throw invalid('Retries in Healthcheck cannot be negative')
  const kind = h.Test?.[0]
  if (kind !== undefined && !['CMD', 'CMD-SHELL', 'NONE', ''].includes(kind)) throw invalid(`unknown healthcheck type '${kind}' (expected CMD, CMD-SHELL or NONE)`)
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && (h.Test!.length < 2 || h.Test![1] === '')) throw invalid(`Healthcheck ${kind} needs a command`)
}

/**
 * Docker's merge (moby daemon/commit.go merge): no body Healthcheck keeps
 * the image's; otherwise each field the body leaves zero is the image's.
 * Undefined when neither has one.
 */
export function mergeHealthConfig (image: AskedHealth | null | undefined, body: AskedHealth | null | undefined): HealthConfig | undefined {
  const from = (h: AskedHealth | null | undefined): Partial<HealthConfig> =>
    Object.fromEntries(Object.entries(h ?? {}).filter(([k, v]) => v !== null && v !== 0 && !(k === 'Test' && (v as string[]).length === 0)))
  if ((body === undefined || body === null) && (image === undefined || image === null)) return undefined
  const merged = { ...from(image), ...from(body) }
  return { ...merged, Test: merged.Test ?? [] }
}

/** The probe's argv (moby getProbe, cmdProbe.run); undefined when there is no probe to run (no test, NONE). */
export function probeCommand (cfg: HealthConfig | undefined): string[] | undefined {
  const [kind, ...rest] = cfg?.Test ?? []
  if (kind === 'CMD' && rest.length > 0) return rest
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', ...rest]
  return undefined
}

/** The config's timings in milliseconds, Docker's defaults for zeros. */
export function timings (cfg: HealthConfig): typeof DEFAULTS {
  const ms = (ns: number | undefined, def: number): number => ns !== undefined && ns > 0 ? ns / MS : def
  return {
    intervalMs: ms(cfg.Interval, DEFAULTS.intervalMs),
    timeoutMs: ms(cfg.Timeout, DEFAULTS.timeoutMs),
    startPeriodMs: ms(cfg.StartPeriod, DEFAULTS.startPeriodMs),
    startIntervalMs: ms(cfg.StartInterval, DEFAULTS.startIntervalMs),
    retries: cfg.Retries !== undefined && cfg.Retries > 0 ? cfg.Retries : DEFAULTS.retries
  }
}

/** Go's time.Duration String for milliseconds (Docker's timeout message shows it): 30s, 1.5s, 500ms, 1m30s. */
export function goDuration (ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 1000) return `${trim(ms)}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = `${trim((ms % 60_000) / 1000)}s`
  return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s
}
const trim = (n: number): string => String(Number(n.toFixed(9)))

/** A start (or unpause): starting again, the failing streak over, the log kept (moby initHealthMonitor). */
export const started = (prev: HealthState | undefined): HealthState => ({ Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] })

/** Probes stopped (stop, pause): unhealthy, as moby's CloseMonitorChannel leaves it. */
export const stopped = (h: HealthState): HealthState => ({ ...h, Status: 'unhealthy' })

/** The state after one probe's result; `startedAt` is the run's start (ms since the epoch). */
export function afterProbe (h: HealthState, result: ProbeResult, cfg: HealthConfig, startedAt: number): HealthState {
  const t = timings(cfg)
  const Log = [...h.Log, result].slice(-MAX_LOG)
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log }
  // Still starting, and inside the start period: the failure does not count.
  if (h.Status === 'starting' && Date.parse(result.Start) - startedAt < t.startPeriodMs) return { ...h, Log }
  const streak = h.FailingStreak + 1
  return { Status: streak >= t.retries ? 'unhealthy' : h.Status, FailingStreak: streak, Log }
}

/** How long until the next probe, from the end of the last (moby monitor's getInterval): StartInterval while starting inside the start period. */
export function nextDelay (h: HealthState, cfg: HealthConfig, startedAt: number, now: number): number {
  const t = timings(cfg)
  return now - startedAt < t.startPeriodMs && h.Status === 'starting' ? t.startIntervalMs : t.intervalMs
}

/** Collects a probe's output up to MAX_OUTPUT bytes; Docker's limitedBuffer marks a cut with "...". */
export class CappedOutput {
  private readonly chunks: Buffer[] = []
  private size = 0
  private cut = false

  add (chunk: Buffer): void {
    const room = MAX_OUTPUT - this.size
    if (chunk.length > room) this.cut = true
    if (room <= 0) return
    const kept = chunk.subarray(0, room)
    this.chunks.push(kept)
    this.size += kept.length
  }

  text (): string { return Buffer.concat(this.chunks).toString('utf8') + (this.cut ? '...' : '') }
}

/** The ps STATUS suffix (moby Health.String). */
export const healthText = (h: HealthState): string => h.Status === 'starting' ? 'health: starting' : h.Status

/** Docker's health_status event action. */
export const healthAction = (h: HealthState): string => `health_status: ${h.Status}`
