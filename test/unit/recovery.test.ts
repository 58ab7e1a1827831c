import t from 'tap'
import { decideRecovery, type RecoveryFacts, type RecoveryAction } from '../../src/containers/recovery.js'
import type { Status } from '../../src/store/records.js'

const KILLED: RecoveryAction = { kind: 'exited', code: 137, error: 'container monitor died; container killed', killContainer: true }
const UNKNOWN: RecoveryAction = { kind: 'exited', code: 255, error: 'unknown: exited while berthd was down', killContainer: false }
const exitedWith = (code: number): RecoveryAction => ({ kind: 'exited', code, error: '', killContainer: false })

const rows: Array<[string, RecoveryFacts, RecoveryAction]> = [
  // status decides first, whatever else is true
  ['creating, nothing', { status: 'creating', exitCode: undefined, monitorAlive: false, containerAlive: false }, { kind: 'undo-create' }],
  ['creating beats exit file and live monitor', { status: 'creating', exitCode: 0, monitorAlive: true, containerAlive: true }, { kind: 'undo-create' }],
  ['removing, nothing', { status: 'removing', exitCode: undefined, monitorAlive: false, containerAlive: false }, { kind: 'finish-remove' }],
  ['removing beats exit file and live monitor', { status: 'removing', exitCode: 3, monitorAlive: true, containerAlive: true }, { kind: 'finish-remove' }],
  ['exited is final', { status: 'exited', exitCode: undefined, monitorAlive: false, containerAlive: false }, { kind: 'keep' }],
  ['exited stays final even with an exit file and live processes', { status: 'exited', exitCode: 9, monitorAlive: true, containerAlive: true }, { kind: 'keep' }],
  ['restarting: its exit is committed', { status: 'restarting', exitCode: undefined, monitorAlive: false, containerAlive: false }, { kind: 'keep' }],
  ['restarting, with a half-launched next run', { status: 'restarting', exitCode: undefined, monitorAlive: true, containerAlive: true }, { kind: 'keep' }],
  // exit file beats a live monitor and a live container
  ['running, exit file 0', { status: 'running', exitCode: 0, monitorAlive: false, containerAlive: false }, exitedWith(0)],
  ['running, exit file beats live monitor', { status: 'running', exitCode: 42, monitorAlive: true, containerAlive: true }, exitedWith(42)],
  ['paused, exit file', { status: 'paused', exitCode: 137, monitorAlive: true, containerAlive: false }, exitedWith(137)],
  ['created, exit file', { status: 'created', exitCode: 1, monitorAlive: false, containerAlive: true }, exitedWith(1)],
  // live monitor beats a live container
  ['running, monitor alive', { status: 'running', exitCode: undefined, monitorAlive: true, containerAlive: true }, { kind: 'adopt' }],
  ['running, monitor alive, container gone', { status: 'running', exitCode: undefined, monitorAlive: true, containerAlive: false }, { kind: 'adopt' }],
  ['paused, monitor alive', { status: 'paused', exitCode: undefined, monitorAlive: true, containerAlive: true }, { kind: 'adopt' }],
  ['created, monitor alive', { status: 'created', exitCode: undefined, monitorAlive: true, containerAlive: true }, { kind: 'adopt' }],
  // monitor died, container lives: kill it
  ['running, monitor dead, container alive', { status: 'running', exitCode: undefined, monitorAlive: false, containerAlive: true }, KILLED],
  ['paused, monitor dead, container alive', { status: 'paused', exitCode: undefined, monitorAlive: false, containerAlive: true }, KILLED],
  ['created, monitor dead, container alive', { status: 'created', exitCode: undefined, monitorAlive: false, containerAlive: true }, KILLED],
  // nothing left and no exit file
  ['running, everything gone', { status: 'running', exitCode: undefined, monitorAlive: false, containerAlive: false }, UNKNOWN],
  ['paused, everything gone', { status: 'paused', exitCode: undefined, monitorAlive: false, containerAlive: false }, UNKNOWN],
  ['created, everything gone', { status: 'created', exitCode: undefined, monitorAlive: false, containerAlive: false }, UNKNOWN],
  // a created container without a run: nothing ran; a run found is a start berthd died in, cleaned away
  ['created unlaunched, nothing', { status: 'created', unlaunched: true, exitCode: undefined, monitorAlive: false, containerAlive: false }, { kind: 'keep' }],
  ['created unlaunched, a half-launched run', { status: 'created', unlaunched: true, exitCode: undefined, monitorAlive: true, containerAlive: true }, { kind: 'keep' }]
]

t.test('rule table', async t => {
  for (const [name, facts, want] of rows) t.same(decideRecovery(facts), want, name)
})

t.test('exit file code 0 is not confused with "no exit file"', async t => {
  const a = decideRecovery({ status: 'running', exitCode: 0, monitorAlive: true, containerAlive: true })
  t.equal(a.kind, 'exited')
  if (a.kind === 'exited') {
    t.equal(a.code, 0)
    t.equal(a.killContainer, false)
  }
})

t.test('every status gets a decision for every fact combination', async t => {
  const statuses: Status[] = ['creating', 'created', 'running', 'paused', 'restarting', 'exited', 'removing']
  const kinds = new Set(['keep', 'adopt', 'exited', 'undo-create', 'finish-remove'])
  for (const status of statuses) {
    for (const exitCode of [undefined, 0, 2]) {
      for (const monitorAlive of [false, true]) {
        for (const containerAlive of [false, true]) {
          const a = decideRecovery({ status, exitCode, monitorAlive, containerAlive })
          t.ok(kinds.has(a.kind), `${status}/${String(exitCode)}/${String(monitorAlive)}/${String(containerAlive)} -> ${a.kind}`)
          // killing the container is only ever decided when the monitor is gone and the container alive
          if (a.kind === 'exited' && a.killContainer) t.ok(!monitorAlive && containerAlive && exitCode === undefined)
        }
      }
    }
  }
})
