/**
 * What to do with each container record when berthd starts: one pure
 * decision from facts gathered on disk and in /proc (containerd's
 * shim_load.go keeps this decision table-tested the same way).
 */
import type { Status } from '../store/records.js'

/** Facts about one container, gathered before deciding. */
export interface RecoveryFacts {
  status: Status
  /** conmon wrote an exit file (its code). */
  exitCode: number | undefined
  /** The monitor's pid is alive with the recorded start time. */
  monitorAlive: boolean
  /** The container init's pid is alive with the recorded start time. */
  containerAlive: boolean
  /** A created container without a run (records.ts): nothing of it runs. */
  unlaunched?: boolean
}

export type RecoveryAction =
  | { kind: 'keep' } //                          nothing running, record is final
  | { kind: 'adopt' } //                         monitor alive: keep the status, watch for its exit
  | { kind: 'exited', code: number, error: string, killContainer: boolean }
  | { kind: 'undo-create' } //                   died mid-create: remove everything create made
  | { kind: 'finish-remove' } //                 died mid-delete: finish it

/** The recovery rule table (see shared/design.md, "Never lose an exit code"). */
export function decideRecovery (f: RecoveryFacts): RecoveryAction {
  if (f.status === 'creating') return { kind: 'undo-create' }
  if (f.status === 'removing') return { kind: 'finish-remove' }
  // A restarting container's exit is committed; the manager's startAfterRecovery decides about its restart.
  if (f.status === 'exited' || f.status === 'restarting') return { kind: 'keep' }
  // Any run found is one berthd died launching (its start): cleaned away, as for an exited container.
  if (f.status === 'created' && f.unlaunched === true) return { kind: 'keep' }
  if (f.exitCode !== undefined) return { kind: 'exited', code: f.exitCode, error: '', killContainer: false }
  if (f.monitorAlive) return { kind: 'adopt' }
  if (f.containerAlive) return { kind: 'exited', code: 137, error: 'container monitor died; container killed', killContainer: true }
  return { kind: 'exited', code: 255, error: 'unknown: exited while berthd was down', killContainer: false }
}
