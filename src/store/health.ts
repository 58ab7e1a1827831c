/**
 * A container's health state: `<root>/containers/<id>/health.json`, written
 * atomically by the health monitor (its one writer). Kept apart from
 * container.json so that probes, which change it every few seconds, never
 * race the manager's record writes.
 */
import { join } from 'node:path'
import { readIfExists, writeFileAtomic } from './atomic.js'

/** Docker's health statuses (moby api/types/container: Starting, Healthy, Unhealthy). */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy'

/** One probe's result, as inspect's `State.Health.Log` shows it. */
export interface ProbeResult { Start: string, End: string, ExitCode: number, Output: string }

/** Docker's `State.Health`. */
export interface HealthState { Status: HealthStatus, FailingStreak: number, Log: ProbeResult[] }

/** Docker's HealthConfig after the image's is merged in; durations in nanoseconds, zero meaning Docker's default. */
export interface HealthConfig { Test: string[], Interval?: number, Timeout?: number, StartPeriod?: number, StartInterval?: number, Retries?: number }

const STATUSES = new Set(['starting', 'healthy', 'unhealthy'])

/** Health files under the container records' dir. */
export class HealthStore {
  constructor (private readonly dir: string) {}

  private path (id: string): string { return join(this.dir, id, 'health.json') }

  async save (id: string, state: HealthState): Promise<void> {
    await writeFileAtomic(this.path(id), JSON.stringify(state))
  }

  /** The state last saved; undefined when there is none or it does not parse (a fresh start then). */
  async load (id: string): Promise<HealthState | undefined> {
    const text = await readIfExists(this.path(id))
    if (text === undefined) return undefined
    try {
      const v = JSON.parse(text) as HealthState
      if (!STATUSES.has(v.Status) || !Number.isInteger(v.FailingStreak) || !Array.isArray(v.Log)) return undefined
      return v
    } catch { return undefined }
  }
}
