/**
 * The container lifecycle as a small pure state machine.
 *
 *   creating ──► created ──start──► running ──exit──► exited
 *      │            │                 │  ▲  │            │
 *      │            └──kill/delete──┐ pause resume       └──start──► creating …
 *      ▼                            ▼  ▼  │  │
 *   (undone)                    exited paused│
 *                                            └─exit, the policy says so─► restarting
 *   restarting ──back-off over──► creating … (a new run)
 *   restarting ──stop/kill/delete -f──► exited
 *
 *   any state except creating ──delete──► removing ──► (gone)
 *
 * Operations read refresh → check → act → persist, and persist before
 * memory is updated.
 */
import type { Status } from '../store/records.js'

/** A running (or paused) container has a live init process. */
export const isRunning = (s: Status): boolean => s === 'running' || s === 'paused'
/** Docker's `State.Running`: true while a restart waits out its back-off too (moby State.SetRestarting). */
export const isUp = (s: Status): boolean => isRunning(s) || s === 'restarting'
/** A monitor is expected for these states. */
export const hasMonitor = (s: Status): boolean => s === 'created' || s === 'running' || s === 'paused'
export const canStart = (s: Status): boolean => s === 'created' || s === 'exited'
/** A start of these needs a new monitor first (a created container has one). */
export const needsNewRun = (s: Status): boolean => s === 'exited' || s === 'restarting'
export const canKill = (s: Status): boolean => s === 'running' || s === 'paused'
export const canPause = (s: Status): boolean => s === 'running'
export const canUnpause = (s: Status): boolean => s === 'paused'
/** An exec needs a running (not paused) container. */
export const canExec = (s: Status): boolean => s === 'running'
export const canRemoveWithoutForce = (s: Status): boolean => s === 'created' || s === 'exited'
/** Docker's wait condition `not-running` holds at once (a container being created will run). */
export const isNotRunning = (s: Status): boolean => !isUp(s) && s !== 'creating'

/** Docker's `State.Status` word for a stored status. */
export const dockerStatus = (s: Status): string => s === 'creating' ? 'created' : s
