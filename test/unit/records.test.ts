import t from 'tap'
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordStore, RECORD_VERSION, migrate } from '../../src/store/records.js'
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
