// The rotated log on disk and its reading, with real files: what conmon does
// (append; on reopen, rename a new empty file over the log) is done here by hand.
import t, { type Test } from 'tap'
import { appendFile, link, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deframe, logStream, type LogOptions } from '../../src/logs/logs.js'
import { openLog, rotatedFiles, shiftAndLink } from '../../src/logs/rotation.js'

const line = (n: number): string => `2024-01-02T03:04:05.000000000Z stdout F line-${n}\n`
const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('')
const O: LogOptions = { stdout: true, stderr: true, timestamps: false, tty: false }

async function dir (t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'logrot-'))
  t.teardown(() => rm(d, { recursive: true, force: true }))
  return d
}

/** conmon's reopen: a new empty file renamed over the log. */
const reopen = async (path: string): Promise<void> => { await writeFile(`${path}.tmp`, ''); await rename(`${path}.tmp`, path) }
/** berthd's rotation then conmon's reopen. */
const rotate = async (path: string, maxFile: number): Promise<void> => { await shiftAndLink(path, maxFile); await reopen(path) }

const numbers = (b: Buffer): number[] => deframe(b).map(f => Number(/line-(\d+)/.exec(f.data.toString())?.[1]))
async function read (path: string, o: LogOptions = O): Promise<number[]> {
  const chunks: Buffer[] = []
  for await (const c of logStream(path, o)) chunks.push(c as Buffer)
  return numbers(Buffer.concat(chunks))
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

t.test('shiftAndLink keeps max-file files, newest .1; readers see every kept line once, in order', async t => {
  const path = join(await dir(t), 'ctr.log')
  for (let r = 0; r < 5; r++) {
    await appendFile(path, lines(r * 10 + 1, r * 10 + 10))
    await rotate(path, 3)
  }
  await appendFile(path, lines(51, 55))
  t.same((await readdir(join(path, '..'))).sort(), ['ctr.log', 'ctr.log.1', 'ctr.log.2'])
  t.same((await rotatedFiles(path)).map(f => f.n), [2, 1], 'oldest first')
  t.same(await read(path), range(31, 55))
  t.same(await read(path, { ...O, tail: 12 }), range(44, 55), 'tail across files')
})

t.test('a rotation half done (linked, not yet reopened) shows the shared file once', async t => {
  const path = join(await dir(t), 'ctr.log')
  await appendFile(path, lines(1, 5))
  await rotate(path, 3)
  await appendFile(path, lines(6, 10))
  await shiftAndLink(path, 3) // berthd died before asking conmon to reopen
  t.equal((await stat(path)).ino, (await stat(`${path}.1`)).ino)
  const files = await openLog(path)
  t.equal(files.length, 2, 'the shared inode once')
  await Promise.all(files.map(async f => await f.fh.close()))
  t.same(await read(path), range(1, 10))
  await appendFile(path, lines(11, 12))
  t.same(await read(path), range(1, 12), 'conmon still writing the shared file')
})

t.test('gaps left by a crash in the middle of a shift are read around', async t => {
  const path = join(await dir(t), 'ctr.log')
  await writeFile(`${path}.3`, lines(1, 3))
  await writeFile(`${path}.1`, lines(4, 6))
  await writeFile(path, lines(7, 9))
  t.same(await read(path), range(1, 9))
  await shiftAndLink(path, 4)
  t.same((await rotatedFiles(path)).map(f => f.n), [2, 1], '.3 dropped, .1 moved up, the current file linked')
})

t.test('a follower behind by several rotations loses nothing still on disk, and one that fell past retention goes on', async t => {
  const path = join(await dir(t), 'ctr.log')
  await appendFile(path, lines(1, 10))
  let done: () => void = () => {}
  const stream = logStream(path, O, { done: new Promise<void>(resolve => { done = resolve }) })
  const chunks: Buffer[] = []
  const reading = (async () => { for await (const c of stream) chunks.push(c as Buffer) })()
  await new Promise(resolve => setTimeout(resolve, 50))
  // Two rotations with the follower idle: the file it holds is .2 now; then more.
  for (let r = 1; r <= 2; r++) { await appendFile(path, lines(r * 10 + 1, r * 10 + 10)); await rotate(path, 4) }
  await appendFile(path, lines(31, 40))
  await new Promise(resolve => setTimeout(resolve, 400))
  await rotate(path, 4)
  await appendFile(path, lines(41, 45))
  done()
  await reading
  t.same(numbers(Buffer.concat(chunks)), range(1, 45))
})

t.test('a reader that starts at a position reads on from it across a rotation (attach without logs)', async t => {
  const path = join(await dir(t), 'ctr.log')
  await appendFile(path, lines(1, 5))
  const st = await stat(path)
  await appendFile(path, lines(6, 8))
  await rotate(path, 2)
  await appendFile(path, lines(9, 10))
  t.same(await read(path, { ...O, from: { ino: st.ino, pos: st.size } }), range(6, 10))
  t.same(await read(path, { ...O, from: { ino: -1, pos: 0 } }), range(1, 10), 'no log yet when asked: all of it')
})

t.test('a link already named .1 that is not the current file is shifted, not overwritten', async t => {
  const path = join(await dir(t), 'ctr.log')
  await writeFile(path, lines(1, 2))
  await link(path, `${path}.1`)
  await reopen(path)
  await appendFile(path, lines(3, 4))
  await rotate(path, 3)
  t.same(await read(path), range(1, 4))
})
