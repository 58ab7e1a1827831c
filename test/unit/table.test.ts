import t from 'tap'
import { ContainerTable, newEntry } from '../../src/containers/table.js'
import { RECORD_VERSION, ZERO_TIME, type ContainerRecord } from '../../src/store/records.js'

const record = (id: string, name: string, created = new Date().toISOString()): ContainerRecord => ({
  version: RECORD_VERSION, id, name, created, bundle: '/b', runtime: 'runc', labels: {}, tty: false, openStdin: false,
  path: 'sh', args: [], env: [], cwd: '/', hostname: '', user: '', status: 'exited', pid: 0, pidStart: 0, monitorPid: 0,
  monitorStart: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, restartCount: 0
})

const A = `abc1${'0'.repeat(60)}`
const B = `abc2${'0'.repeat(60)}`

t.test('Docker ref lookup: id, name with or without /, unique prefix', async t => {
  const table = new ContainerTable()
  table.add(newEntry(record(A, 'web', '2026-01-01T00:00:00Z')))
  table.add(newEntry(record(B, 'db', '2026-01-02T00:00:00Z')))
  t.equal(table.get(A).rec.name, 'web')
  t.equal(table.get('web').rec.id, A)
  t.equal(table.get('/db').rec.id, B)
  t.equal(table.get('abc2').rec.id, B)
  t.throws(() => table.get('abc'), { code: 'INVALID_ARGUMENT', message: 'multiple IDs found with provided prefix: abc' })
  t.throws(() => table.get('nope'), { code: 'NOT_FOUND', message: 'No such container: nope' })
  t.throws(() => table.get('../x'), { code: 'NOT_FOUND' }, 'an unsafe ref is never looked up')
  t.same(table.list().map(r => r.name), ['db', 'web'], 'newest first')
})

t.test('list: kept between calls, follows adds and drops, and a caller changing its copy changes nothing', async t => {
  const table = new ContainerTable()
  const web = newEntry(record(A, 'web', '2026-01-01T00:00:00Z'))
  table.add(web)
  const first = table.list()
  first.pop()
  t.same(table.list().map(r => r.name), ['web'], 'the caller popped its copy only')
  table.add(newEntry(record(B, 'db', '2026-01-02T00:00:00Z')))
  t.same(table.list().map(r => r.name), ['db', 'web'], 'an add shows')
  table.drop(web)
  t.same(table.list().map(r => r.name), ['db'], 'a drop shows')
})

t.test('names: reserved while in use, 409 naming the holder, moved on rename, freed on drop', async t => {
  const table = new ContainerTable()
  const e = newEntry(record(A, 'web'))
  table.add(e)
  t.throws(() => table.reserve('web'), { code: 'CONFLICT', message: new RegExp(`"/web" is already in use by container "${A}"`) })
  table.reserve('new')
  t.ok(table.nameTaken('new'), 'a reserved name is taken')
  table.release('new')
  t.notOk(table.nameTaken('new'))
  e.rec.name = 'site'
  table.renamed(e, 'web')
  t.notOk(table.nameTaken('web'))
  t.equal(table.get('site').rec.id, A)
  const removed = table.removed(e)
  table.drop(e)
  t.equal(await removed.promise, 0, 'removal waiters hear of it')
  t.notOk(table.has(A))
  t.notOk(table.nameTaken('site'))
})

t.test('serial: one operation at a time per container, a failure does not stop the queue', async t => {
  const table = new ContainerTable()
  const e = newEntry(record(A, 'web'))
  const order: string[] = []
  const slow = table.serial(e, async () => { await new Promise(resolve => setTimeout(resolve, 20)); order.push('slow') })
  const failing = table.serial(e, async () => { order.push('fail'); throw new Error('x') })
  const after = table.serial(e, async () => { order.push('after'); return 7 })
  await slow
  await t.rejects(failing)
  t.equal(await after, 7)
  t.same(order, ['slow', 'fail', 'after'])
})

t.test('waiters: nextExit settles on exit or removal, and a cancelled one hears nothing', async t => {
  const table = new ContainerTable()
  const e = newEntry(record(A, 'web'))
  const a = table.nextExit(e)
  const b = table.nextExit(e)
  b.cancel()
  table.notifyExit(e, 5)
  t.equal(await a.promise, 5)
  t.equal(e.onExit.size, 0)
  t.equal(e.onRemove.size, 1, 'only the live waiter\'s removal half is left')
})
