/**
 * Docker's restart policies as pure functions: which policies are valid
 * (moby api/types/container ValidateRestartPolicy), whether an exit is
 * followed by a restart (restartmanager.ShouldRestart), which containers
 * berthd starts when it starts (daemon.restore), and the back-off between
 * restarts. The container manager keeps the timers and the records.
 */
import { invalid } from '../errors.js'
import type { RestartPolicy } from '../store/records.js'

export type { RestartPolicy } from '../store/records.js'

/** The policy of a container that asked for none. */
export const NO_RESTART: RestartPolicy = Object.freeze({ Name: 'no', MaximumRetryCount: 0 })

const NAMES = ['no', 'always', 'on-failure', 'unless-stopped'] as const

/** A policy as a client sends it: every field may be missing or null. */
export interface AskedPolicy { Name?: string | null, MaximumRetryCount?: number | null }

/**
 * Checks a policy with Docker's rules and wording and returns its normal
 * form. An empty or missing name is `no` (what API clients before Docker 25
 * sent), whatever its count.
 */
export function parseRestartPolicy (asked: AskedPolicy | null | undefined): RestartPolicy {
  const name = asked?.Name ?? ''
  const count = asked?.MaximumRetryCount ?? 0
  if (name === '') return NO_RESTART
  if (!(NAMES as readonly string[]).includes(name)) {
    throw invalid(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`)
  }
  if (name === 'on-failure') {
    if (count < 0) throw invalid('invalid restart policy: maximum retry count cannot be negative')
  } else if (count !== 0) {
    throw invalid(`invalid restart policy: maximum retry count can only be used with 'on-failure'${count < 0 ? ' and cannot be negative' : ''}`)
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: count }
}

/** Docker refuses AutoRemove with any restart policy but `no` (daemon validateHostConfig). */
export function checkAutoRemove (policy: RestartPolicy, autoRemove: boolean): void {
  if (autoRemove && policy.Name !== 'no') throw invalid('can\'t create \'AutoRemove\' container with restart policy')
}

/** What the decision needs to know about a container's last exit. */
export interface ExitFacts {
  exitCode: number
  /** Stopped, killed or force-removed through the API since its last start (Docker's HasBeenManuallyStopped). */
  manuallyStopped: boolean
  /** Policy restarts since the last start through the API (Docker's RestartCount). */
  restartCount: number
}

/** restartmanager.ShouldRestart's table: what the policy alone says about an exit. */
function policyWants (policy: RestartPolicy, f: ExitFacts): boolean {
  switch (policy.Name) {
    case 'always': return true
    case 'unless-stopped': return !f.manuallyStopped
    case 'on-failure': return f.exitCode !== 0 && (policy.MaximumRetryCount === 0 || f.restartCount < policy.MaximumRetryCount)
    default: return false
  }
}

/**
 * Whether berthd starts a container again after it exits. A stop or kill
 * through the API rules it out whatever the policy: moby's stop and kill
 * cancel the container's restart manager (Container.ExitOnNext).
 */
export function restartAfterExit (policy: RestartPolicy, f: ExitFacts): boolean {
  return !f.manuallyStopped && policyWants(policy, f)
}

/**
 * Whether berthd starts a stopped container when berthd itself starts
 * (moby daemon.restore: ShouldRestart and HasBeenStartedBefore). Unlike
 * after an exit, a manual stop only holds `unless-stopped` back: Docker
 * starts an `always` container at daemon start whatever its state. A
 * restart that was waiting out its back-off when berthd stopped goes ahead.
 */
export function restartAtStartup (policy: RestartPolicy, f: ExitFacts & { startedBefore: boolean, pending: boolean }): boolean {
  if (policy.Name === 'no') return false
  return f.pending || (f.startedBefore && policyWants(policy, f))
}

/** Docker's back-off (restartmanager.go): the first wait, the most, and the run that starts it over. */
export const BACKOFF = Object.freeze({ firstMs: 100, maxMs: 60_000, resetAfterRunMs: 10_000 })

/**
 * The wait before the next restart, from the one before it (0: none yet) and
 * how long the container ran: 100 ms, doubled at each restart up to a
 * minute, and back to 100 ms after a run of 10 s or more.
 */
export function nextBackoff (previousMs: number, ranMs: number): number {
  if (previousMs <= 0 || ranMs >= BACKOFF.resetAfterRunMs) return BACKOFF.firstMs
  return Math.min(previousMs * 2, BACKOFF.maxMs)
}
