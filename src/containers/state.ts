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
 *   A created container may have no run (`unlaunched`: its program could not
 *   be run at Docker's create, or its first start failed, as Docker leaves
 *   it): its start launches one first, as an exited container's does.
 *
 *   any state except creating ──delete──► removing ──► (gone)
 *
 * Operations read refresh → check → act → persist, and persist before
 * memory is updated.
 */
import type { ContainerRecord, Status } from '../store/records.js'

/** A running (or paused) container has a live init process. */
export const isRunning = (s: Status): boolean => s === 'running' || s === 'paused'
/** Docker's `State.Running`: true while a restart waits out its back-off too (moby State.SetRestarting). */
export const isUp = (s: Status): boolean => isRunning(s) || s === 'restarting'
/** What the run predicates read of a record. */
type RunFacts = Pick<ContainerRecord, 'status' | 'unlaunched'>

/** A monitor is expected: a running or paused container has one, and so has a created one unless it is unlaunched. */
export const hasMonitor = (r: RunFacts): boolean => r.status === 'running' || r.status === 'paused' || (r.status === 'created' && r.unlaunched !== true)
export const canStart = (s: Status): boolean => s === 'created' || s === 'exited'
/** Not running and not on its way out or in: what a daemon start may start again under a restart policy. */
export const isStopped = (s: Status): boolean => canStart(s) || s === 'restarting'
/** Between runs, waiting out a restart policy's back-off. */
export const isRestarting = (s: Status): boolean => s === 'restarting'
/** What a runtime's own state word may put back in a record at re-load (it outranks the record). */
export const isRuntimeLive = (s: string | undefined): s is 'created' | 'running' | 'paused' => s === 'created' || s === 'running' || s === 'paused'
/** A start of these needs a new monitor first. */
export const needsNewRun = (r: RunFacts): boolean => r.status === 'exited' || r.status === 'restarting' || (r.status === 'created' && r.unlaunched === true)
export const canKill = (s: Status): boolean => s === 'running' || s === 'paused'
export const canPause = (s: Status): boolean => s === 'running'
export const canUnpause = (s: Status): boolean => s === 'paused'
/** An exec needs a running (not paused) container. */
export const canExec = (s: Status): boolean => s === 'running'
export const canRemoveWithoutForce = (s: Status): boolean => s === 'created' || s === 'exited'
/** A removal of these needs force (a kill first); a container still being created is undone by its create. */
export const removeNeedsForce = (s: Status): boolean => !canRemoveWithoutForce(s) && s !== 'creating'
/** Docker's wait condition `not-running` holds at once (a container being created will run). */
export const isNotRunning = (s: Status): boolean => !isUp(s) && s !== 'creating'

/** Docker's `State.Status` word for a stored status. */
export const dockerStatus = (s: Status): string => s === 'creating' ? 'created' : s
