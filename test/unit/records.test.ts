import t, { type Test } from 'tap'
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { faults } from '../../src/store/atomic.js'
import { RecordStore, RECORD_VERSION, migrate, type ContainerRecord } from '../../src/store/records.js'
import { fillDisk, mountTmpfs } from '../helpers.js'
import { record } from './fixtures.js'

t.test('migrate', async t => {
  const rec = record()
  t.same(migrate(rec), rec, 'the current version is read as it is')
  t.throws(() => migrate({ ...rec, version: RECORD_VERSION + 1 }), /written by a newer berthd/)
  t.throws(() => migrate({ id: rec.id }), /no valid version/)
  t.throws(() => migrate({ ...rec, version: 0 }), /no valid version/)
  t.throws(() => migrate({ ...rec, version: '1' as unknown as number }), /no valid version/)
})

t.test('loadAll sets aside what it cannot read and removes half-made dirs', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-rec-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new RecordStore(dir)
  const good = record({ id: 'a'.repeat(64) })
  await store.createDir(good.id)
  await store.save(good)
  const put = async (id: string, text?: string): Promise<void> => {
    await mkdir(join(dir, id))
    if (text !== undefined) await writeFile(join(dir, id, 'container.json'), text)
  }
  await put('b'.repeat(64), 'garbage {')
  await put('c'.repeat(64), JSON.stringify({ ...good, id: 'c'.repeat(64), version: 99 }))
  await put('d'.repeat(64), JSON.stringify(good)) // names another container
  await put('e'.repeat(64)) // berthd died before the first record
  await put('.deleted-x') // a removal berthd died in the middle of
  await put('.keep-x') // some other dot-name
  const bad: string[] = []
  const loaded = await store.loadAll((id, reason) => bad.push(`${id[0]!}: ${reason}`))
  t.same(loaded.map(r => r.id), [good.id])
  t.same(bad.sort(), [
    'b: ' + bad.find(b => b.startsWith('b:'))!.slice(3),
    'c: record version 99 was written by a newer berthd (this one reads up to 1)',
    'd: record names container ' + good.id + ', not its dir',
    'e: no container.json: half-made dir removed'
  ])
  t.match(bad.find(b => b.startsWith('b:')), /JSON|Unexpected/)
  const left = (await readdir(dir)).sort()
  t.ok(left.includes(good.id))
  t.ok(left.includes('.keep-x'), 'dot-names are skipped')
  t.notOk(left.includes('.deleted-x'), 'what a removal hid is deleted')
  t.equal(left.filter(n => n.startsWith('.bad-')).length, 3, 'unreadable records are renamed aside, not deleted')
  t.notOk(left.includes('e'.repeat(64)), 'the half-made dir is gone')
})

// The write-then-rename contract (src/store/atomic.ts): until the rename, the
// record on disk is the old one, whole; after it, the new one, whole.

/** A store on its own small tmpfs holding one saved record. */
async function storeWith (t: Test, size: string, first: ContainerRecord): Promise<{ mnt: string, store: RecordStore, file: string, onDisk: () => Promise<unknown> }> {
  const mnt = await mountTmpfs(t, size)
  const store = new RecordStore(join(mnt, 'containers'))
  await mkdir(store.dir)
  await (await store.createDir(first.id)).synced
  await store.save(first)
  const file = join(store.containerDir(first.id), 'container.json')
  return { mnt, store, file, onDisk: async () => JSON.parse(await readFile(file, 'utf8')) }
}

t.test('a save on a full disk fails and leaves the previous record intact', async t => {
  const old = record({ status: 'created' })
  const { mnt, store, onDisk } = await storeWith(t, '64k', old)
  await fillDisk(mnt)
  const err = await store.save(record({ status: 'running', labels: { pad: 'x'.repeat(16384) } })).catch((e: NodeJS.ErrnoException) => e)
  t.equal(err?.code, 'ENOSPC', 'the save fails with the disk\'s error')
  t.same(await onDisk(), old, 'the previous record is still there, whole')
  t.same(await readdir(store.containerDir(old.id)), ['container.json'], 'the temp file is removed')
  t.same(await store.loadAll(() => t.fail('nothing is bad')), [old], 'and it loads')
})

t.test('a crash between write and rename leaves the old record, whole', async t => {
  const old = record({ status: 'running' })
  const next = record({ status: 'exited', exitCode: 3 })
  const { store, onDisk } = await storeWith(t, '1m', old)
  let atCrash: { target: unknown, temp: unknown } | undefined
  faults.beforeRename = async (tmp, path) => {
    atCrash = { target: JSON.parse(await readFile(path, 'utf8')), temp: JSON.parse(await readFile(tmp, 'utf8')) }
    throw new Error('crash before rename')
  }
  t.teardown(() => { faults.beforeRename = undefined })
  await t.rejects(store.save(next), /crash before rename/)
  faults.beforeRename = undefined
  t.same(atCrash?.target, old, 'up to the rename, the record on disk is the old one')
  t.same(atCrash?.temp, next, 'the new one is whole in its temp file before it is renamed into place')
  t.same(await onDisk(), old, 'after the crash: the old record')
  t.same(await store.loadAll(() => t.fail('nothing is bad')), [old], 'the temp file the crash left is not read as a record')
  await store.save(next)
  t.same(await onDisk(), next, 'the next save commits')
})

t.test('a reader racing many saves of varying size only ever sees a whole record', async t => {
  const { store, file } = await storeWith(t, '8m', record())
  let writing = true
  let reads = 0
  const torn: string[] = []
  const reader = async (): Promise<void> => {
    while (writing) {
      const text = await readFile(file, 'utf8')
      reads++
      try { JSON.parse(text) } catch { torn.push(`${text.length} bytes`) }
    }
  }
  const readers = [reader(), reader()]
  // Sizes jump between a few bytes of padding and a few hundred KiB, so a write in place would be seen half-done.
  for (let i = 0; i < 200; i++) await store.save(record({ restartCount: i, labels: { pad: 'x'.repeat((i * 7919) % 300_000) } }))
  writing = false
  await Promise.all(readers)
  t.same(torn, [], 'no read saw a partial file')
  t.ok(reads >= 50, `the readers ran alongside the saves (${reads} reads)`)
})
