/** The image store's delete rules with a container using an image (the container manager's isUsed callback). */
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pino } from 'pino'
import tar from 'tar-stream'
import { ImageStore } from '../../src/images/store.js'

async function oneFileTar (): Promise<Buffer> {
  const pack = tar.pack()
  pack.entry({ name: 'f', mode: 0o644 }, 'x')
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

t.test('remove and prune keep images a container uses', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-img-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let user: { id: string, running: boolean } | undefined = { id: 'c'.repeat(64), running: false }
  const store = new ImageStore(dir, pino({ level: 'silent' }), { isUsed: () => user })
  await store.init()
  const rec = await store.importTar(Readable.from([await oneFileTar()]), { repo: 'bb' })
  t.equal(store.resolve('docker.io/library/bb:latest').id, rec.id)
  t.equal(store.resolve(rec.id.slice(7, 12)).id, rec.id)
  t.equal(rec.layerDirs.length, 1)

  await t.rejects(store.remove('bb'), { code: 'CONFLICT', message: `conflict: unable to remove repository reference "bb" (must force) - container cccccccccccc is using its referenced image ${rec.id.slice(7, 19)}` })
  await t.rejects(store.remove(rec.id), { code: 'CONFLICT', message: /unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container cccccccccccc/ })
  t.same(await store.remove('bb', { force: true }), [{ Untagged: 'bb:latest' }], 'force only untags an image in use')
  t.same((await store.prune()).deleted, [], 'prune skips it')
  user = undefined
  t.same((await store.prune()).deleted, [{ Deleted: rec.id }, { Deleted: rec.diffIds[0] }], 'the image, then its one layer (its chain id is its diffID)')

  // A restart finds what is on disk.
  const again = await store.importTar(Readable.from([await oneFileTar()]), { repo: 'me/x', tag: 'v1', changes: ['CMD ["sh"]'] })
  const reopened = new ImageStore(dir, pino({ level: 'silent' }))
  await reopened.init()
  t.same(reopened.resolve('me/x:v1').repoTags, ['me/x:v1'])
  t.same(reopened.resolve('me/x:v1').config.Cmd, ['sh'])
  t.equal(reopened.resolve('me/x:v1').id, again.id)
  t.throws(() => reopened.resolve('me/x'), { code: 'NOT_FOUND', message: 'No such image: me/x' })
})

t.test('a config whose fields are not of the types berth reads them as is refused, as Go\'s decoder refuses it', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-img-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new ImageStore(dir, pino({ level: 'silent' }))
  await store.init()
  const base = await store.importTar(Readable.from([await oneFileTar()]))
  const doc = (config: unknown, extra: Record<string, unknown> = {}): Buffer =>
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: base.diffIds }, ...extra }))
  const bad: Array<[Buffer, string]> = [
    [doc({ Labels: { '': 5 } }), 'config.Labels must be a map of strings'],
    [doc({ Labels: ['a'] }), 'config.Labels must be a map of strings'],
    [doc({ Env: 'A=1' }), 'config.Env must be a list of strings'],
    [doc({ Cmd: [1] }), 'config.Cmd must be a list of strings'],
    [doc({ User: 0 }), 'config.User must be a string'],
    [doc({ ExposedPorts: { '80/tcp': 1 } }), 'config.ExposedPorts must be a map of objects'],
    [doc([]), 'config must be an object'],
    [doc({}, { os: 7 }), 'os must be a string'],
    [doc({}, { history: [1] }), 'history must be a list of objects'],
    [Buffer.from('[]'), 'not a JSON object']
  ]
  for (const [bytes, problem] of bad) {
    await t.rejects(store.commit(bytes, []), { code: 'INVALID_ARGUMENT', message: `invalid image config: ${problem}` }, problem)
  }
  const good = await store.commit(doc({ Labels: { a: 'b' }, Env: null, ExposedPorts: { '80/tcp': {} }, Volumes: { '/v': null } }), [])
  t.same(good.config.Labels, { a: 'b' }, 'null fields and well-typed ones are kept')
  t.equal(store.list().length, 2, 'no refused config left an image behind')
})
