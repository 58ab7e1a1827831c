import t from 'tap'
import { parseRfc3339Nano, formatNano, parseLogLine, frame, deframe, encodeEntry, encodeEntries, encodeChunk, parseTimeParam, type LogEntry, type LogOptions } from '../../src/logs/logs.js'

const T = 1704164645n * 1_000_000_000n // 2024-01-02T03:04:05Z

t.test('parseRfc3339Nano', async t => {
  const rows: Array<[string, bigint | undefined]> = [
    ['2024-01-02T03:04:05Z', T],
    ['2024-01-02T03:04:05.123456789Z', T + 123456789n],
    ['2024-01-02T03:04:05.1Z', T + 100000000n],
    ['2024-01-02T03:04:05.000000001Z', T + 1n],
    ['2024-01-02T03:04:05.000Z', T],
    ['2024-01-02T04:04:05+01:00', T],
    ['2024-01-02T02:04:05.5-01:00', T + 500000000n],
    ['1970-01-01T00:00:00Z', 0n],
    ['1970-01-01T00:00:00.000000042Z', 42n],
    ['2024-01-02T03:04:05.1234567890Z', undefined], // 10 fraction digits
    ['2024-01-02T03:04:05', undefined], // no zone
    ['2024-01-02 03:04:05Z', undefined],
    ['2024-01-02T03:04:05.Z', undefined],
    ['2024-01-02', undefined],
    ['2024-13-02T03:04:05Z', undefined],
    ['2024-01-02T03:04:05+0100', undefined],
    ['', undefined],
    ['garbage', undefined]
  ]
  for (const [s, want] of rows) t.equal(parseRfc3339Nano(s), want, JSON.stringify(s))
})

t.test('formatNano', async t => {
  t.equal(formatNano(T), '2024-01-02T03:04:05.000000000Z', 'zeros kept')
  t.equal(formatNano(T + 123456789n), '2024-01-02T03:04:05.123456789Z')
  t.equal(formatNano(T + 1n), '2024-01-02T03:04:05.000000001Z')
  t.equal(formatNano(T + 999999999n), '2024-01-02T03:04:05.999999999Z', 'no rounding up into the next second')
  t.equal(formatNano(0n), '1970-01-01T00:00:00.000000000Z')
  for (const ns of [T, T + 5n, T + 120000000n, 1n, 987654321012345678n]) {
    t.equal(parseRfc3339Nano(formatNano(ns)), ns, `round trip ${ns}`)
  }
  // an offset time is printed in UTC
  t.equal(formatNano(parseRfc3339Nano('2024-01-02T05:04:05.25+02:00')!), '2024-01-02T03:04:05.250000000Z')
})

t.test('parseLogLine', async t => {
  const line = (s: string): Buffer => Buffer.from(s)
  const ok = (s: string, stream: 'stdout' | 'stderr', full: boolean, content: string, ns: bigint) => {
    const e = parseLogLine(line(s))
    t.ok(e, `parses ${JSON.stringify(s)}`)
    if (e === undefined) return
    t.equal(e.ns, ns)
    t.equal(e.time, formatNano(ns))
    t.equal(e.stream, stream)
    t.equal(e.full, full)
    t.equal(e.content.toString(), content)
  }
  ok('2024-01-02T03:04:05.123456789Z stdout F hello world', 'stdout', true, 'hello world', T + 123456789n)
  ok('2024-01-02T03:04:05.123456789Z stdout P partial', 'stdout', false, 'partial', T + 123456789n)
  ok('2024-01-02T03:04:05Z stderr F oops', 'stderr', true, 'oops', T)
  ok('2024-01-02T04:04:05+01:00 stdout F tz', 'stdout', true, 'tz', T)
  ok('2024-01-02T03:04:05Z stdout F   leading and  inner  spaces ', 'stdout', true, '  leading and  inner  spaces ', T)
  ok('2024-01-02T03:04:05Z stdout F ', 'stdout', true, '', T)
  ok('2024-01-02T03:04:05Z stdout F', 'stdout', true, '', T)
  ok('2024-01-02T03:04:05Z stderr P', 'stderr', false, '', T)

  // binary content survives
  const bin = Buffer.concat([line('2024-01-02T03:04:05Z stdout F '), Buffer.from([0xff, 0x00, 0xc3, 0x28])])
  t.same(parseLogLine(bin)?.content, Buffer.from([0xff, 0x00, 0xc3, 0x28]), 'binary content')

  const bad = [
    '',
    'garbage',
    '2024-01-02T03:04:05Z',
    '2024-01-02T03:04:05Z stdout',
    '2024-01-02T03:04:05Z stdout ',
    '2024-01-02T03:04:05Z stdin F x',
    '2024-01-02T03:04:05Z stdout X x',
    '2024-01-02T03:04:05Z stdout f x',
    '2024-01-02T03:04:05Z stdout Fx',
    'not-a-time stdout F x',
    ' 2024-01-02T03:04:05Z stdout F x',
    '2024-01-02T03:04:05Z  stdout F x'
  ]
  for (const s of bad) t.equal(parseLogLine(line(s)), undefined, `malformed ${JSON.stringify(s)}`)
})

t.test('frame and deframe', async t => {
  const f = frame(1, Buffer.from('hi\n'))
  t.same([...f.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 3], 'header')
  t.equal(f.subarray(8).toString(), 'hi\n')
  const g = frame(2, Buffer.alloc(0))
  t.same([...g], [2, 0, 0, 0, 0, 0, 0, 0], 'empty stderr frame')
  const big = Buffer.alloc(70000, 0x61)
  t.equal(frame(1, big).readUInt32BE(4), 70000, 'big-endian length')

  const parts: Array<{ stream: 1 | 2, data: Buffer }> = [
    { stream: 1, data: Buffer.from('out') },
    { stream: 2, data: Buffer.from('err\n') },
    { stream: 1, data: Buffer.alloc(0) },
    { stream: 2, data: big }
  ]
  const round = deframe(Buffer.concat(parts.map(p => frame(p.stream, p.data))))
  t.equal(round.length, 4)
  for (let i = 0; i < parts.length; i++) {
    t.equal(round[i]!.stream, parts[i]!.stream, `stream ${i}`)
    t.ok(round[i]!.data.equals(parts[i]!.data), `data ${i}`)
  }
  t.same(deframe(Buffer.alloc(0)), [], 'nothing')
  t.same(deframe(Buffer.from([1, 0, 0])), [], 'partial header ignored')
})

t.test('encodeEntry', async t => {
  const out: LogEntry = { ns: T + 5n, time: formatNano(T + 5n), stream: 'stdout', full: true, content: Buffer.from('hello') }
  const err: LogEntry = { ...out, stream: 'stderr', content: Buffer.from('bad') }
  const part: LogEntry = { ...out, full: false, content: Buffer.from('par') }
  const o: LogOptions = { stdout: true, stderr: true, timestamps: false, tty: false }

  const dec = (b: Buffer | undefined) => b === undefined ? undefined : deframe(b).map(f => ({ stream: f.stream, data: f.data.toString() }))

  t.same(dec(encodeEntry(out, o)), [{ stream: 1, data: 'hello\n' }], 'stdout framed, newline added')
  t.same(dec(encodeEntry(err, o)), [{ stream: 2, data: 'bad\n' }], 'stderr framed as 2')
  t.same(dec(encodeEntry(part, o)), [{ stream: 1, data: 'par' }], 'partial: no newline')

  // stream filtering
  t.equal(encodeEntry(out, { ...o, stdout: false }), undefined, 'stdout filtered')
  t.ok(encodeEntry(err, { ...o, stdout: false }), 'stderr kept when only stdout off')
  t.equal(encodeEntry(err, { ...o, stderr: false }), undefined, 'stderr filtered')
  t.ok(encodeEntry(out, { ...o, stderr: false }), 'stdout kept when only stderr off')
  t.equal(encodeEntry(out, { ...o, stdout: false, stderr: false }), undefined)

  // since / until are inclusive
  t.ok(encodeEntry(out, { ...o, since: T + 5n }), 'since == ts kept')
  t.ok(encodeEntry(out, { ...o, since: T }), 'since before kept')
  t.equal(encodeEntry(out, { ...o, since: T + 6n }), undefined, 'since after skipped')
  t.ok(encodeEntry(out, { ...o, until: T + 5n }), 'until == ts kept')
  t.ok(encodeEntry(out, { ...o, until: T + 10n }), 'until after kept')
  t.equal(encodeEntry(out, { ...o, until: T + 4n }), undefined, 'until before skipped')
  t.equal(encodeEntry(out, { ...o, since: T, until: T + 1n }), undefined, 'outside window')
  t.ok(encodeEntry(out, { ...o, since: T, until: T + 10n }), 'inside window')

  // timestamps
  t.same(dec(encodeEntry(out, { ...o, timestamps: true })), [{ stream: 1, data: '2024-01-02T03:04:05.000000005Z hello\n' }])
  t.same(dec(encodeEntry(part, { ...o, timestamps: true })), [{ stream: 1, data: '2024-01-02T03:04:05.000000005Z par' }])

  // tty: raw bytes, no frame header
  t.equal(encodeEntry(out, { ...o, tty: true })?.toString(), 'hello\n', 'tty raw')
  t.equal(encodeEntry(err, { ...o, tty: true })?.toString(), 'bad\n', 'tty raw stderr')
  t.equal(encodeEntry(out, { ...o, tty: true, timestamps: true })?.toString(), '2024-01-02T03:04:05.000000005Z hello\n', 'tty raw with timestamp')
  t.equal(encodeEntry(part, { ...o, tty: true })?.toString(), 'par')

  // empty content
  const empty: LogEntry = { ...out, content: Buffer.alloc(0) }
  t.same(dec(encodeEntry(empty, o)), [{ stream: 1, data: '\n' }], 'empty full line is a newline')
  const emptyPart: LogEntry = { ...empty, full: false }
  const b = encodeEntry(emptyPart, o)
  t.equal(b?.length, 8, 'empty partial line is an empty frame')
})

t.test('parseTimeParam', async t => {
  const rows: Array<[string | undefined, bigint | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['0', undefined],
    ['1704164645', T],
    ['1', 1_000_000_000n],
    ['1704164645.5', T + 500_000_000n],
    ['1704164645.000000001', T + 1n],
    ['1704164645.123456789', T + 123456789n],
    ['1704164645.120', T + 120_000_000n],
    ['2024-01-02T03:04:05Z', T],
    ['2024-01-02T03:04:05.25Z', T + 250_000_000n],
    ['2024-01-02T05:04:05+02:00', T],
    ['-5', undefined],
    ['1.', undefined],
    ['.5', undefined],
    ['1704164645.1234567890', undefined],
    ['1e9', undefined],
    ['yesterday', undefined],
    ['2024-01-02', undefined]
  ]
  for (const [v, want] of rows) t.equal(parseTimeParam(v), want, JSON.stringify(v))
})

t.test('encodeEntries: a frame per entry, as Docker\'s json-file driver sends them', async t => {
  const e = (stream: 'stdout' | 'stderr', text: string, full = true): LogEntry => ({ ns: 1n, time: '2026-01-01T00:00:00.000000001Z', stream, full, content: Buffer.from(text) })
  const entries = [e('stdout', 'a'), e('stdout', 'b', false), e('stderr', 'c'), e('stdout', 'd')]
  const o: LogOptions = { stdout: true, stderr: true, timestamps: false, tty: false }
  const framed = deframe(encodeEntries(entries, o)).map(f => [f.stream, f.data.toString()])
  t.same(framed, [[1, 'a\n'], [1, 'b'], [2, 'c\n'], [1, 'd\n']], 'lines of one stream stay apart; a partial line is its own frame')
  const stamped = deframe(encodeEntries(entries, { ...o, timestamps: true })).map(f => [f.stream, f.data.toString()])
  t.same(stamped, [[1, '2026-01-01T00:00:00.000000001Z a\n'], [1, '2026-01-01T00:00:00.000000001Z b'], [2, '2026-01-01T00:00:00.000000001Z c\n'], [1, '2026-01-01T00:00:00.000000001Z d\n']])
  t.equal(encodeEntries(entries, { ...o, tty: true }).toString(), 'a\nbc\nd\n', 'TTY: raw bytes')
  t.equal(encodeEntries([], o).length, 0, 'nothing, no frame')
})

t.test('encodeChunk encodes as parseLogLine and encodeEntries do, line by line', async t => {
  const lines = [
    '2024-01-02T03:04:05.000000001Z stdout F hello',
    '2024-01-02T03:04:05.000000002Z stdout P part',
    '2024-01-02T03:04:05.000000003Z stdout F ial',
    '2024-01-02T03:04:05.000000004Z stderr F oops',
    '2024-01-02T03:04:05.000000005Z stderr F',
    '2024-01-02T03:04:05.000000006Z stdout F  two  spaces ',
    'garbage',
    '2024-01-02T03:04:05Z stdin F nope',
    '2024-01-02T03:04:05Z stdout X nope',
    '2024-01-02T03:04:05Z stdout FF nope',
    '2024-01-02T03:04:05Z stdoutt F nope',
    '2024-01-02T03:04:05Z stdout',
    '2024-01-02T03:04:05Z stdout ',
    '',
    'x stdout F short time',
    ' stdout F empty time',
    '2024-01-02T03:04:05Z stdoux F nope',
    '2024-01-02T03:04:05Z stderr\tF nope',
    'nospacesatall',
    '2024-01-02T03:04:05.000000007Z stderr P no newline then',
    '2024-01-02T03:04:05.000000008Z stdout F back'
  ]
  // Every filter and mode, on every window of the lines, against the line-by-line path.
  for (const tty of [false, true]) {
    for (const [stdout, stderr] of [[true, true], [true, false], [false, true]] as const) {
      const o: LogOptions = { stdout, stderr, tty, timestamps: false }
      for (let from = 0; from < lines.length; from++) {
        for (let to = from + 1; to <= lines.length; to++) {
          const part = lines.slice(from, to)
          const entries = part.map(l => parseLogLine(Buffer.from(l), false)).filter((e): e is LogEntry => e !== undefined && (e.stream === 'stdout' ? stdout : stderr))
          const want = encodeEntries(entries, o)
          const got = encodeChunk(Buffer.from(part.map(l => l + '\n').join('')), o)
          if (!got.equals(want)) { t.same(got, want, `tty ${tty}, stdout ${stdout}, stderr ${stderr}, lines ${from}..${to}`); return }
        }
      }
    }
  }
  t.pass('identical for every window, filter and mode')
  t.equal(encodeChunk(Buffer.alloc(0), { stdout: true, stderr: true, tty: false }).length, 0, 'empty chunk, empty output')
  const o = { stdout: true, stderr: true, tty: false }
  t.same(deframe(encodeChunk(Buffer.from('2024-01-02T03:04:05Z stdout F last'), o)), [{ stream: 1, data: Buffer.from('last\n') }], 'a last line without its newline')
  t.same(deframe(encodeChunk(Buffer.from('2024-01-02T03:04:05Z stderr P'), o)), [{ stream: 2, data: Buffer.alloc(0) }], 'a last empty partial line without its newline')
})
