import t, { type Test } from 'tap'
import { PassThrough, type Duplex } from 'node:stream'
import { parseDetachKeys, DetachMatcher, startStream, rawError } from '../../src/api/streams.js'
import { BerthError } from '../../src/errors.js'

const bytes = (b: Buffer): number[] => [...b]

/** Runs `fn` on a PassThrough standing in for the client's socket; resolves with all that was written, and whether the socket was ended. */
async function capture (fn: (socket: Duplex) => void): Promise<{ text: string, raw: Buffer, ended: boolean }> {
  const socket = new PassThrough()
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  fn(socket)
  const ended = socket.writableEnded
  await new Promise<void>(resolve => setImmediate(resolve))
  const raw = Buffer.concat(chunks)
  return { text: raw.toString('utf8'), raw, ended }
}

const invalidKeys = (t: Test, spec: string, name: string): void => {
  let caught: unknown
  try { parseDetachKeys(spec) } catch (err) { caught = err }
  t.ok(caught instanceof BerthError, `${name}: a BerthError`)
  t.equal((caught as BerthError | undefined)?.code, 'INVALID_ARGUMENT', `${name}: INVALID_ARGUMENT`)
  t.equal((caught as Error | undefined)?.message, `Invalid detach keys (${spec}) provided`, `${name}: message`)
}

t.test('parseDetachKeys', async t => {
  t.strictSame(bytes(parseDetachKeys('')), [16, 17], 'default: ctrl-p,ctrl-q')
  t.ok(Buffer.isBuffer(parseDetachKeys('')), 'a Buffer')
  t.strictSame(bytes(parseDetachKeys('ctrl-p,ctrl-q')), [16, 17], 'the default spelled out')
  t.strictSame(bytes(parseDetachKeys('ctrl-a,x')), [1, 120], 'ctrl-a and a plain character')
  t.strictSame(bytes(parseDetachKeys('ctrl-z')), [26], 'ctrl-z')
  t.strictSame(bytes(parseDetachKeys('ctrl-@')), [0], 'ctrl-@ is NUL')
  t.strictSame(bytes(parseDetachKeys('ctrl-[')), [27], 'ctrl-[ is ESC')
  t.strictSame(bytes(parseDetachKeys('ctrl-\\')), [28], 'ctrl-\\')
  t.strictSame(bytes(parseDetachKeys('ctrl-]')), [29], 'ctrl-]')
  t.strictSame(bytes(parseDetachKeys('ctrl-^')), [30], 'ctrl-^')
  t.strictSame(bytes(parseDetachKeys('ctrl-_')), [31], 'ctrl-_')
  t.strictSame(bytes(parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')), [0, 27, 28, 29, 30, 31], 'all the punctuation controls in one list')
  t.strictSame(bytes(parseDetachKeys('CTRL-P,Ctrl-Q')), [16, 17], 'ctrl- is case-insensitive')
  t.strictSame(bytes(parseDetachKeys('ctrl-e, ctrl-f')), [5, 6], 'spaces around entries are ignored')
  t.strictSame(bytes(parseDetachKeys('a,b,c')), [97, 98, 99], 'plain characters only')
  t.strictSame(bytes(parseDetachKeys('-,@')), [45, 64], 'single punctuation characters')
  t.strictSame(bytes(parseDetachKeys('ctrl-p,ctrl-p,ctrl-q')), [16, 16, 17], 'a key may repeat')
  for (const spec of ['ctrl-', 'ctrl-1', 'ctrl-aa', 'ctrl-?', 'ctrl+p', 'ab', 'ctrl-p,', ',ctrl-q', 'ctrl-p,,ctrl-q', 'alt-x', 'ctrl-p;ctrl-q', ' ']) {
    invalidKeys(t, spec, JSON.stringify(spec))
  }
  // Docker's term.ToBytes keeps a single character as typed (only ctrl- names are case-folded) and
  // refuses characters that are not one byte ("Unknown character").
  t.strictSame(bytes(parseDetachKeys('X')), [88], 'a single upper-case character is kept as typed, as Docker',
)
  t.throws(() => parseDetachKeys('€'), { message: /Invalid detach keys/ }, 'a character that is not one byte is refused, as Docker',
)
})

t.test('DetachMatcher: the whole sequence in one chunk', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  const r = m.feed(Buffer.from([16, 17]))
  t.equal(r.detach, true, 'detaches')
  t.strictSame(bytes(r.pass), [], 'the keys are not passed on')

  const m2 = new DetachMatcher(Buffer.from([16, 17]))
  const r2 = m2.feed(Buffer.from('ab\x10\x11cd'))
  t.equal(r2.detach, true, 'detaches mid-chunk')
  t.strictSame(r2.pass.toString(), 'ab', 'bytes before the sequence are passed, bytes after it dropped')
})

t.test('DetachMatcher: plain input', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  const r = m.feed(Buffer.from('hello\n'))
  t.strictSame(r, { pass: Buffer.from('hello\n'), detach: false }, 'passed unchanged')
  t.strictSame(m.feed(Buffer.alloc(0)), { pass: Buffer.alloc(0), detach: false }, 'an empty chunk')
  t.strictSame(bytes(m.feed(Buffer.from([17, 17, 16, 65])).pass), [17, 17, 16, 65], 'the second key alone is plain; a broken first key passes')
  t.strictSame(bytes(m.feed(Buffer.from([17, 17, 16])).pass), [17, 17], 'a trailing first key is held')
  t.strictSame(bytes(m.feed(Buffer.from([66])).pass), [16, 66], 'the held key is released with what follows')
})

t.test('DetachMatcher: split across chunks', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  const a = m.feed(Buffer.from([65, 16]))
  t.strictSame(a, { pass: Buffer.from([65]), detach: false }, 'first key held back at the end of a chunk')
  const b = m.feed(Buffer.from([17, 66]))
  t.equal(b.detach, true, 'the second key in the next chunk detaches')
  t.strictSame(bytes(b.pass), [], 'nothing passed: the rest of the chunk is dropped')

  const three = new DetachMatcher(Buffer.from([1, 2, 3]))
  t.strictSame(three.feed(Buffer.from([1])), { pass: Buffer.alloc(0), detach: false }, 'three keys: first held')
  t.strictSame(three.feed(Buffer.from([2])), { pass: Buffer.alloc(0), detach: false }, 'second held')
  t.strictSame(three.feed(Buffer.from([3, 9])), { pass: Buffer.alloc(0), detach: true }, 'third detaches')
})

t.test('DetachMatcher: a broken sequence is passed on as typed', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  t.strictSame(m.feed(Buffer.from([16, 65])), { pass: Buffer.from([16, 65]), detach: false }, 'in one chunk')
  t.strictSame(m.feed(Buffer.from([16])), { pass: Buffer.alloc(0), detach: false }, 'held at a chunk end')
  t.strictSame(m.feed(Buffer.from([66, 67])), { pass: Buffer.from([16, 66, 67]), detach: false }, 'released when the next chunk breaks it')
  t.strictSame(m.feed(Buffer.from([17])), { pass: Buffer.from([17]), detach: false }, 'the matcher was reset: a lone second key is plain')

  const three = new DetachMatcher(Buffer.from([1, 2, 3]))
  t.strictSame(three.feed(Buffer.from([1, 2])), { pass: Buffer.alloc(0), detach: false }, 'two of three held')
  t.strictSame(three.feed(Buffer.from([4])), { pass: Buffer.from([1, 2, 4]), detach: false }, 'both released, in order, before the breaking byte')
  t.strictSame(three.feed(Buffer.from([1, 2, 3])), { pass: Buffer.alloc(0), detach: true }, 'and the next full sequence still detaches')
})

t.test('DetachMatcher: a repeated first key', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  const r = m.feed(Buffer.from([16, 16, 17]))
  t.equal(r.detach, true, '[16,16,17] detaches on ctrl-p,ctrl-q')
  t.strictSame(bytes(r.pass), [16], 'the first ctrl-p is passed on')

  const split = new DetachMatcher(Buffer.from([16, 17]))
  t.strictSame(split.feed(Buffer.from([16])), { pass: Buffer.alloc(0), detach: false }, 'split: first held')
  t.strictSame(split.feed(Buffer.from([16])), { pass: Buffer.from([16]), detach: false }, 'split: the repeat releases the first and is held itself')
  t.strictSame(split.feed(Buffer.from([17])), { pass: Buffer.alloc(0), detach: true }, 'split: then detaches')

  const many = new DetachMatcher(Buffer.from([16, 17]))
  const r3 = many.feed(Buffer.from([16, 16, 16, 16, 17, 65]))
  t.equal(r3.detach, true, 'many repeats')
  t.strictSame(bytes(r3.pass), [16, 16, 16], 'all but the last ctrl-p passed')

  const rep = new DetachMatcher(Buffer.from([16, 16, 17]))
  const r4 = rep.feed(Buffer.from([16, 16, 17]))
  t.strictSame([r4.detach, bytes(r4.pass)], [true, []], 'keys that themselves repeat: the exact sequence detaches')
  const rep2 = new DetachMatcher(Buffer.from([16, 16, 17]))
  const r5 = rep2.feed(Buffer.from([16, 16, 16, 17]))
  // After a mismatch the longest held tail that still starts the sequence stays held, so a sequence that
  // began inside the broken one is still found.
  t.strictSame([r5.detach, bytes(r5.pass)], [true, [16]], 'keys [16,16,17], input [16,16,16,17]: detaches after passing one 16')
})

t.test('DetachMatcher: after detaching', async t => {
  const m = new DetachMatcher(Buffer.from([16, 17]))
  t.equal(m.feed(Buffer.from([16, 17])).detach, true, 'detached')
  t.equal(m.done, true, 'done')
  const after = m.feed(Buffer.from([65]))
  t.equal(after.detach, true, 'it stays detached')
  t.equal(after.pass.length, 0, 'nothing passes after the detach, neither the keys nor later bytes')
})

t.test('startStream', async t => {
  const rows: Array<[boolean, boolean, string[]]> = [
    [true, true, ['HTTP/1.1 101 UPGRADED', 'Content-Type: application/vnd.docker.raw-stream', 'Connection: Upgrade', 'Upgrade: tcp']],
    [true, false, ['HTTP/1.1 101 UPGRADED', 'Content-Type: application/vnd.docker.multiplexed-stream', 'Connection: Upgrade', 'Upgrade: tcp']],
    [false, true, ['HTTP/1.1 200 OK', 'Content-Type: application/vnd.docker.raw-stream', 'Connection: close']],
    [false, false, ['HTTP/1.1 200 OK', 'Content-Type: application/vnd.docker.multiplexed-stream', 'Connection: close']]
  ]
  for (const [upgrade, tty, lines] of rows) {
    const name = `upgrade=${upgrade} tty=${tty}`
    const out = await capture(s => startStream(s, upgrade, tty))
    t.equal(out.text, lines.join('\r\n') + '\r\n\r\n', `${name}: exact head`)
    t.equal(out.ended, false, `${name}: the socket stays open`)
  }
  const extra = await capture(s => startStream(s, false, true, { 'Api-Version': '1.47', 'X-Test': 'a b' }))
  t.equal(extra.text, 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: close\r\nApi-Version: 1.47\r\nX-Test: a b\r\n\r\n',
    'extra headers after the fixed ones, in order')
  const up = await capture(s => startStream(s, true, false, { Server: 'berth' }))
  t.ok(up.text.endsWith('Upgrade: tcp\r\nServer: berth\r\n\r\n'), 'extra headers on an upgrade too')
  t.equal(up.text.indexOf('\r\n\r\n'), up.text.length - 4, 'exactly one blank line, at the end')
})

t.test('rawError', async t => {
  const parse = (text: string): { status: string, headers: string[], body: string } => {
    const at = text.indexOf('\r\n\r\n')
    const [status = '', ...headers] = text.slice(0, at).split('\r\n')
    return { status, headers, body: text.slice(at + 4) }
  }
  const rows: Array<[number, string]> = [
    [400, 'HTTP/1.1 400 Bad Request'],
    [404, 'HTTP/1.1 404 Not Found'],
    [409, 'HTTP/1.1 409 Conflict'],
    [500, 'HTTP/1.1 500 Internal Server Error'],
    [418, 'HTTP/1.1 418 Error'],
    [503, 'HTTP/1.1 503 Error']
  ]
  for (const [status, line] of rows) {
    const out = await capture(s => rawError(s, status, 'page not found'))
    const r = parse(out.text)
    t.equal(r.status, line, `${status}: status line`)
    t.strictSame(r.headers, ['Content-Type: application/json', `Content-Length: ${r.body.length}`, 'Connection: close'], `${status}: headers`)
    t.equal(r.body, '{"message":"page not found"}', `${status}: body`)
    t.equal(out.ended, true, `${status}: the socket is ended`)
  }

  const msg = 'naïve “quotes” ✓ and "escapes"\n'
  const out = await capture(s => rawError(s, 409, msg))
  const r = parse(out.text)
  const bodyBytes = out.raw.subarray(out.raw.indexOf('\r\n\r\n') + 4)
  t.ok(r.headers.includes('Content-Type: application/json'), 'Content-Type exactly application/json (no charset)')
  t.ok(r.headers.includes(`Content-Length: ${bodyBytes.length}`), 'Content-Length counts bytes, not characters')
  t.not(bodyBytes.length, r.body.length, 'the message really has multi-byte characters')
  t.strictSame(JSON.parse(r.body), { message: msg }, 'the body is JSON {message}, escaped')
  t.equal(out.text.startsWith('HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: '), true, 'header order')

  const empty = parse((await capture(s => rawError(s, 400, ''))).text)
  t.equal(empty.body, '{"message":""}', 'empty message')
  t.ok(empty.headers.includes('Content-Length: 14'), 'empty message: length 14')
})
