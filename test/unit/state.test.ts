// The run predicates read the record: a created container has a monitor
// unless it is unlaunched, and then its start needs a new run.
import t from 'tap'
import { hasMonitor, needsNewRun } from '../../src/containers/state.js'
import type { Status } from '../../src/store/records.js'

t.test('hasMonitor and needsNewRun, with and without unlaunched', async t => {
  const rows: Array<[Status, boolean | undefined, boolean, boolean]> = [
    // status, unlaunched, hasMonitor, needsNewRun
    ['created', undefined, true, false],
    ['created', true, false, true],
    ['running', undefined, true, false],
    ['paused', undefined, true, false],
    ['exited', undefined, false, true],
    ['restarting', undefined, false, true],
    ['creating', undefined, false, false],
    ['removing', undefined, false, false]
  ]
  for (const [status, unlaunched, monitor, newRun] of rows) {
    const r = { status, ...(unlaunched !== undefined ? { unlaunched } : {}) }
    t.equal(hasMonitor(r), monitor, `${status}${unlaunched === true ? ' unlaunched' : ''}: hasMonitor ${String(monitor)}`)
    t.equal(needsNewRun(r), newRun, `${status}${unlaunched === true ? ' unlaunched' : ''}: needsNewRun ${String(newRun)}`)
  }
})
