// The supervisor's decisions with fakes for the disk, the monitors and /proc:
// exit → restart or not, the back-off, a monitor that dies, a start that
// fails, and the re-load after a berthd restart.
import t from 'tap'
import pino from 'pino'
import { hasCode, invalid, runtimeFailed } from '../../src/errors.js'
import { Supervisor, type SupervisorRuns } from '../../src/containers/supervisor.js'
import { ContainerTable, newEntry, type Entry } from '../../src/containers/table.js'
import { RECORD_VERSION, ZERO_TIME, type ContainerRecord, type RestartPolicy } from '../../src/store/records.js'

const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  version: RECORD_VERSION, id: 'a'.repeat(64), name: 'c1', created: new Date().toISOString(), bundle: '/b', runtime: 'runc',
  labels: {}, tty: false, openStdin: false, path: 'sh', args: [], env: [], cwd: '/', hostname: '', user: '',
  status: 'running', pid: 100, pidStart: 1, monitorPid: 99, monitorStart: 1, exitCode: 0, error: '',
  oomKilled: false, startedAt: new Date().toISOString(), finishedAt: ZERO_TIME, restartCount: 0, ...over
})

interface World {
  sup: Supervisor
  table: ContainerTable
  saved: ContainerRecord[]
  ended: string[]
  events: string[]
  started: Array<{ id: string, manual: boolean }>
  removed: string[]
  undone: string[]
  killed: number[]
  /** Exit files, by container id. */
  exits: Map<string, { code: number, at: Date }>
  /** Pids that /proc says are alive. */
  alive: Set<number>
  /** Record writes fail while true. */
  diskFull: boolean
  /** Record writes wait for this while set (a slow disk). */
  gate?: Promise<void>
  add: (rec: ContainerRecord) => Entry
  /** Waits until every queued operation on `e` has run. */
  settle: (e: Entry) => Promise<void>
}

function world (): World {
  const table = new ContainerTable()
  const w: Omit<World, 'sup'> = {
    table, saved: [], ended: [], events: [], started: [], removed: [], undone: [], killed: [], exits: new Map(), alive: new Set(), diskFull: false,
    add: rec => { const e = newEntry(rec); table.add(e); return e },
    settle: async e => { for (let i = 0; i < 5; i++) { await e.queue; await new Promise(resolve => setImmediate(resolve)) } }
  }
  const runs: SupervisorRuns = {
    readExit: async id => w.exits.get(id),
    oomKilled: () => false,
    end: async run => { w.ended.push(run.id); w.exits.delete(run.id) },
    hasLeftovers: id => w.exits.has(id),
    exitIds: async () => [...w.exits.keys()],
    watchExits: () => ({ close: () => {} }) as ReturnType<SupervisorRuns['watchExits']>,
    runtimeStatus: async () => undefined,
    sweep: async () => {}
  }
  const sup = new Supervisor({
    table,
    store: { save: async rec => { await w.gate; if (w.diskFull) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); w.saved.push({ ...rec }) } },
    runs,
    host: {
      startRun: async (e, manual) => { w.started.push({ id: e.rec.id, manual }); e.rec.status = 'running'; e.rec.startedAt = new Date().toISOString() },
      remove: async id => { w.removed.push(id) },
      undoCreate: async rec => { w.undone.push(rec.id) }
    },
    event: (_rec, action) => { w.events.push(action) },
    log: pino({ level: 'silent' }),
    isAlive: pid => w.alive.has(pid),
    killProcess: pid => { w.killed.push(pid) },
    livenessMs: 60_000
  })
  return Object.assign(w, { sup })
}

const policy = (Name: RestartPolicy['Name'], MaximumRetryCount = 0): RestartPolicy => ({ Name, MaximumRetryCount })
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('an exit under policy no: committed, then waiters, then clean-up; no restart', async t => {
  const w = world()
  const e = w.add(record())
  const waiter = w.table.nextExit(e)
  w.exits.set(e.rec.id, { code: 3, at: new Date() })
  w.sup.exitSeen(e.rec.id)
  await w.settle(e)
  t.equal(await waiter.promise, 3)
  t.equal(e.rec.status, 'exited')
  t.equal(e.rec.exitCode, 3)
  t.equal(e.rec.pid, 0)
  t.same(w.saved.map(r => r.status), ['exited'], 'the exit is saved once')
  t.same(w.events, ['die'])
  t.same(w.ended, [e.rec.id], 'the run is cleaned up')
  t.same(w.started, [], 'no restart')
  // The exit file is gone once cleaned up: a second sight of it changes nothing.
  w.sup.exitSeen(e.rec.id)
  await w.settle(e)
  t.equal(w.saved.length, 1)
  w.sup.close()
})

t.test('waiters hear of an exit while its record is written; the exit file stays until it is', async t => {
  const w = world()
  const e = w.add(record())
  let open = (): void => {}
  w.gate = new Promise(resolve => { open = resolve })
  let savedWhenHeard = -1
  w.table.nextExit(e).promise.then(() => { savedWhenHeard = w.saved.length })
  w.exits.set(e.rec.id, { code: 0, at: new Date() })
  w.sup.exitSeen(e.rec.id)
  for (let i = 0; i < 5 && savedWhenHeard < 0; i++) await new Promise(resolve => setImmediate(resolve))
  t.equal(savedWhenHeard, 0, 'told before the record is written')
  t.same(w.ended, [], 'the run (and conmon\'s exit file, what a restarted berthd commits the exit from) is kept meanwhile')
  t.ok(w.exits.has(e.rec.id))
  open()
  await w.settle(e)
  t.same(w.saved.map(r => r.status), ['exited'])
  t.same(w.ended, [e.rec.id], 'cleaned up once written')
  w.sup.close()
})

t.test('always: restarting, counted, started again after the first back-off (100 ms)', async t => {
  const w = world()
  const e = w.add(record({ restartPolicy: policy('always') }))
  w.exits.set(e.rec.id, { code: 0, at: new Date() })
  w.sup.exitSeen(e.rec.id)
  await w.settle(e)
  t.equal(e.rec.status, 'restarting')
  t.equal(e.rec.restartCount, 1)
  t.equal(e.backoffMs, 100)
  t.same(w.started, [], 'not before the back-off')
  await sleep(150)
  await w.settle(e)
  t.same(w.started, [{ id: e.rec.id, manual: false }], 'a policy restart, not a manual start')
  w.sup.close()
})

t.test('back-off doubles for quick exits and starts over after a long run', async t => {
  const w = world()
  const e = w.add(record({ restartPolicy: policy('always') }))
  const exitAfter = async (ranMs: number): Promise<number> => {
    e.rec.status = 'running'
    e.rec.startedAt = new Date(Date.now() - ranMs).toISOString()
    w.exits.set(e.rec.id, { code: 1, at: new Date() })
    w.sup.exitSeen(e.rec.id)
    await w.settle(e)
    clearTimeout(e.restartTimer)
    return e.backoffMs
  }
  t.same([await exitAfter(10), await exitAfter(10), await exitAfter(10), await exitAfter(20_000)], [100, 200, 400, 100])
  w.sup.close()
})

t.test('on-failure: a zero exit ends it, a failure restarts until the count is reached', async t => {
  const w = world()
  const zero = w.add(record({ id: 'b'.repeat(64), name: 'z', restartPolicy: policy('on-failure') }))
  w.exits.set(zero.rec.id, { code: 0, at: new Date() })
  w.sup.exitSeen(zero.rec.id)
  await w.settle(zero)
  t.equal(zero.rec.status, 'exited')
  const capped = w.add(record({ id: 'c'.repeat(64), name: 'k', restartPolicy: policy('on-failure', 2), restartCount: 2 }))
  w.exits.set(capped.rec.id, { code: 1, at: new Date() })
  w.sup.exitSeen(capped.rec.id)
  await w.settle(capped)
  t.equal(capped.rec.status, 'exited', 'MaximumRetryCount reached')
  t.equal(capped.rec.restartCount, 2)
  w.sup.close()
})

t.test('a manual stop rules out the restart; AutoRemove removes once berthd serves', async t => {
  const w = world()
  const stopped = w.add(record({ id: 'b'.repeat(64), name: 's', restartPolicy: policy('always'), manuallyStopped: true }))
  w.exits.set(stopped.rec.id, { code: 137, at: new Date() })
  w.sup.exitSeen(stopped.rec.id)
  await w.settle(stopped)
  t.equal(stopped.rec.status, 'exited')
  const rm = w.add(record({ id: 'c'.repeat(64), name: 'r', autoRemove: true, restartPolicy: policy('always') }))
  w.exits.set(rm.rec.id, { code: 0, at: new Date() })
  w.sup.exitSeen(rm.rec.id)
  await w.settle(rm)
  t.equal(rm.rec.status, 'exited', 'AutoRemove rules a restart out')
  t.same(w.removed, [], 'not before berthd serves')
  w.sup.serving()
  await sleep(10)
  t.same(w.removed, [rm.rec.id])
  t.same(w.started, [])
  w.sup.close()
})

t.test('monitor death: the liveness sweep kills a live container (137) or records 255', async t => {
  const w = world()
  const live = w.add(record({ id: 'b'.repeat(64), name: 'l', pid: 200, monitorPid: 199 }))
  const gone = w.add(record({ id: 'c'.repeat(64), name: 'g', pid: 300, monitorPid: 299 }))
  const fine = w.add(record({ id: 'd'.repeat(64), name: 'f', pid: 400, monitorPid: 399 }))
  w.alive.add(200).add(400).add(399)
  await w.sup.checkLiveness()
  await Promise.all([w.settle(live), w.settle(gone), w.settle(fine)])
  t.same(w.killed, [200], 'only the orphaned container is killed')
  t.match(live.rec, { status: 'exited', exitCode: 137, error: 'container monitor died; container killed' })
  t.match(gone.rec, { status: 'exited', exitCode: 255 })
  t.equal(fine.rec.status, 'running', 'a live monitor is left alone')
  t.same(w.ended.sort(), [live.rec.id, gone.rec.id].sort())
  w.sup.close()
})

t.test('monitor death with an exit file: the file\'s code wins', async t => {
  const w = world()
  const e = w.add(record({ pid: 200, monitorPid: 199 }))
  w.exits.set(e.rec.id, { code: 42, at: new Date() })
  await w.sup.checkLiveness()
  await w.settle(e)
  t.match(e.rec, { status: 'exited', exitCode: 42, error: '' })
  t.same(w.killed, [])
  w.sup.close()
})

t.test('a failed start of a container that ran before: exited 128 with the error, waiters told, run cleaned up, no die', async t => {
  const w = world()
  const e = w.add(record({ status: 'exited' }))
  const waiter = w.table.nextExit(e)
  const err = runtimeFailed('runc start: something broke')
  t.equal(await w.sup.startFailed(e, err), err, 'the error as it came')
  t.equal(await waiter.promise, 128)
  t.match(e.rec, { status: 'exited', exitCode: 128, error: err.message, pid: 0 })
  t.notOk(e.rec.unlaunched)
  t.same(w.saved.at(-1), e.rec, 'on record')
  t.same(w.events, [], 'nothing ran, so no die (moby#22043)')
  t.same(w.ended, [e.rec.id])
  w.sup.close()
})

t.test('a program that cannot be run: Docker\'s 400 and 127/126; a container that never ran stays created, unlaunched', async t => {
  const w = world()
  const rows: Array<[string, number]> = [
    ['runc create failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory', 127],
    ['open executable: Operation not permitted', 126]
  ]
  for (const [msg, code] of rows) {
    const e = w.add(record({ status: 'creating', startedAt: ZERO_TIME }))
    const waiter = w.table.nextExit(e)
    const thrown = await w.sup.startFailed(e, invalid(msg)) as Error
    t.ok(hasCode(thrown, 'INVALID_ARGUMENT'), `${code}: a 400`)
    t.match(thrown.message, /^failed to create task for container: failed to create shim task: OCI runtime create failed: .*: unknown$/, `${code}: Docker's frame`)
    t.equal(await waiter.promise, code)
    t.match(e.rec, { status: 'created', unlaunched: true, exitCode: code, error: thrown.message, finishedAt: ZERO_TIME })
  }
  t.same(w.events, [])
  w.sup.close()
})

t.test('re-load: each record decided once, exits committed without restarts, clean-ups after serving', async t => {
  const w = world()
  const ran = record({ id: 'b'.repeat(64), name: 'ran', restartPolicy: policy('always'), pid: 200, monitorPid: 199 })
  const creating = record({ id: 'c'.repeat(64), name: 'half', status: 'creating' })
  const adopted = record({ id: 'd'.repeat(64), name: 'up', pid: 400, monitorPid: 399 })
  w.exits.set(ran.id, { code: 0, at: new Date() })
  w.alive.add(399).add(400)
  await w.sup.start(async () => [ran, creating, adopted])
  t.same(w.undone, [creating.id], 'a half-made create is undone')
  t.notOk(w.table.has(creating.id))
  t.equal(w.table.byId(adopted.id)?.rec.status, 'running', 'a live monitor is adopted')
  const e = w.table.byId(ran.id)!
  t.equal(e.rec.status, 'exited', 'an exit found while re-loading is committed; no policy restart yet')
  t.same(w.ended, [], 'its clean-up waits for serving')
  w.sup.serving()
  await w.settle(e)
  t.same(w.ended, [ran.id])
  t.same(w.started, [{ id: ran.id, manual: true }], 'started at berthd start-up, as Docker does for always')
  w.sup.close()
})

t.test('a full disk: the exit shows at once, its clean-up and restart wait for the record, the liveness tick retries', async t => {
  const w = world()
  const e = w.add(record({ restartPolicy: policy('always') }))
  const waiter = w.table.nextExit(e)
  w.diskFull = true
  w.exits.set(e.rec.id, { code: 7, at: new Date() })
  w.sup.exitSeen(e.rec.id)
  await w.settle(e)
  t.equal(await waiter.promise, 7, 'waiters hear of the exit from memory')
  t.equal(e.rec.status, 'restarting')
  t.same(w.saved, [], 'nothing is on record')
  t.same(w.ended, [], 'the run (and conmon\'s exit file) stay until the exit is written')
  t.ok(e.uncommitted)
  await w.sup.checkLiveness()
  await w.settle(e)
  t.same(w.saved, [], 'still full: still not written')
  w.diskFull = false
  await w.sup.checkLiveness()
  await w.settle(e)
  t.same(w.saved.map(r => [r.status, r.exitCode]), [['restarting', 7]], 'written once the disk allows')
  t.same(w.ended, [e.rec.id], 'then the run is cleaned up')
  t.notOk(e.uncommitted)
  await sleep(150)
  await w.settle(e)
  t.same(w.started, [{ id: e.rec.id, manual: false }], 'and the policy restart follows')
  w.sup.close()
})
