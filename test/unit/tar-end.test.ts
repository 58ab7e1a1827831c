import t from 'tap'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import tar from 'tar-stream'
import { completeTarEnd } from '../../src/images/tar-end.js'

/** A tar of `files`, whole. */
async function tarOf (files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack()
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body)
  pack.finalize()
  return await buffer(pack)
}

/** Runs `input` through completeTarEnd, in chunks of `size` bytes. */
async function through (input: Buffer, size = 100): Promise<Buffer> {
  const chunks = []
  for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size))
  return await buffer(Readable.from(chunks).pipe(completeTarEnd()))
}

/** The names and bodies a tar holds (tar-stream, as berth reads it). */
async function entries (input: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const ex = tar.extract()
  Readable.from([input]).pipe(ex)
  for await (const e of ex) out[e.header.name] = (await buffer(e)).toString()
  return out
}

t.test('completeTarEnd: the docker CLI\'s cut tar is completed, any other left as it is', async t => {
  const files = { '.dockerignore': '.dockerignore\n.dockerfile.x\n', f: 'x'.repeat(700), '.dockerfile.x': 'FROM bb\n' }
  const whole = await tarOf(files)
  t.same(await through(whole), whole, 'a whole tar passes unchanged')
  // What the CLI sends: the last entry's 8 bytes of data, then nothing.
  const last = whole.indexOf('FROM bb\n')
  const cut = whole.subarray(0, last + 8)
  await t.rejects(entries(cut), 'tar-stream alone refuses it')
  t.same(await entries(await through(cut, 7)), files, 'completed, it reads whole')
  const afterEntry = whole.subarray(0, last + 512)
  t.same(await entries(await through(afterEntry)), files, 'cut after the last entry\'s padding: the end blocks added')
  for (const at of [last + 4, last - 300, 1024 + 512 + 100]) {
    t.same(await through(whole.subarray(0, at)), whole.subarray(0, at), `cut at ${at} (inside data or a header): left as it is`)
  }
  t.same(await through(Buffer.alloc(0)), Buffer.alloc(0), 'an empty body stays empty')
})
