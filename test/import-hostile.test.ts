/**
 * Hostile imports against a real berthd: bodies that are not tars (a large
 * JSON document, random bytes), an import onto a full disk, and a gzip tar
 * bomb on a small disk. Each must fail that one request with a clear
 * message, leave nothing in the store's tmp dir, and leave berthd serving.
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import tar from 'tar-stream'
import { isAlive } from '../src/proc.js'
import { fillDisk, importBusybox, makeTar, mountTmpfs, startDaemon, type Daemon } from './helpers.js'

/** A gzipped tar holding one file of `size` zero bytes, built as a stream (never held whole). */
async function tarBomb (size: number): Promise<Buffer> {
  const pack = tar.pack()
  const gzip = createGzip()
  pack.pipe(gzip)
  const chunks: Buffer[] = []
  const done = (async () => { for await (const c of gzip) chunks.push(c as Buffer) })()
  const zeros = Buffer.alloc(1024 * 1024)
  await pipeline(function * () { for (let left = size; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length)) },
    pack.entry({ name: 'zeros', size, mode: 0o644 }))
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

/** The request failed with `status` and a message matching `message`; nothing is left in tmp/; berthd still serves and imports. */
async function failsCleanly (t: Test, d: Daemon, root: string, body: Buffer, status: number, message: RegExp): Promise<void> {
  const r = await d.req('POST', '/images/create?fromSrc=-&repo=hostile', body, { 'content-type': 'application/x-tar' })
  t.equal(r.status, status, r.raw.toString())
  t.match(r.body?.message, message)
  t.same(await readdir(join(root, 'images', 'tmp')), [], 'no temp files left')
  t.ok(isAlive(d.pid), 'berthd still running')
  t.equal((await d.req('GET', '/_ping')).status, 200, 'still serving')
}

t.test('bodies that are not tars: 400, and berthd serves on', async t => {
  const d = await startDaemon(t)
  const json = Buffer.from(JSON.stringify({ data: Array.from({ length: 30_000 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(12) })) }))
  t.ok(json.length > 900_000)
  await failsCleanly(t, d, d.root, json, 400, /invalid tar archive/)
  await failsCleanly(t, d, d.root, randomBytes(2 * 1024 * 1024), 400, /invalid tar archive/)
  await importBusybox(d, 'after')
  t.equal((await d.req('GET', '/images/after/json')).status, 200, 'a good import works after')
})

t.test('a full disk and a gzip bomb on a small disk: 500 no space left, and berthd serves on', async t => {
  const mnt = await mountTmpfs(t, '8m')
  const root = join(mnt, 'root')
  const d = await startDaemon(t, ['--root', root])
  const bomb = await tarBomb(256 * 1024 * 1024)
  t.ok(bomb.length < 400_000, `the bomb is small (${bomb.length} bytes)`)
  await failsCleanly(t, d, root, bomb, 500, /no space left on device/i)

  const good = await makeTar([{ name: 'a', body: 'a'.repeat(100_000) }])
  await fillDisk(mnt)
  await failsCleanly(t, d, root, good, 500, /no space left on device/i)
  await rm(join(mnt, 'filler'))
  const ok = await d.req('POST', '/images/create?fromSrc=-&repo=fits', good, { 'content-type': 'application/x-tar' })
  t.equal(ok.status, 200, 'imports again once there is room')
})
