/**
 * PAX records as bytes (src/images/pax.ts): the parser and encoder, why
 * tar-stream's decoded strings cannot be used, the hooks on tar-stream's
 * extract and pack checked against independent tools (GNU tar writes, Python's
 * tarfile reads), packTree carrying a file's capabilities as moby does, and
 * the v3 → v2 rewrite; and lgetxattr, which the packing calls per file.
 */
import t from 'tap'
import { link, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { execa } from 'execa'
import tar from 'tar-stream'
import { extractWithXattrs, packWithPax, paxBlock, paxRecords, withPax, xattrsOf, type PaxRecord } from '../../src/images/pax.js'
import { archiveCaps, packTree } from '../../src/images/pack.js'
import { lgetxattr, lsetxattr } from '../../src/sys/libc.js'
import { BINARY, CAPS_V2, capsV3, gnuTarWithXattrs, tarXattrs as python } from '../tar-xattrs.js'


/** The entries of a tar as berth's extractor reads them: name, body and xattrs. */
async function readBack (archive: Buffer): Promise<Array<{ name: string, body: string, xattrs: Record<string, string> }>> {
  const ex = extractWithXattrs()
  Readable.from([archive]).pipe(ex)
  const out = []
  for await (const e of ex) {
    const xattrs = Object.fromEntries(xattrsOf(e.header.pax as object | null).map(([k, v]) => [k, v.toString('hex')]))
    out.push({ name: e.header.name, body: (await buffer(e)).toString(), xattrs })
  }
  return out
}

/** The typeflag of each header block in `archive`, pax headers included. */
function typeflags (archive: Buffer): string[] {
  const out = []
  for (let off = 0; off + 512 <= archive.length && archive[off] !== 0;) {
    const size = parseInt(archive.toString('latin1', off + 124, off + 136).replace(/\0.*$/, '').trim() || '0', 8)
    out.push(String.fromCharCode(archive[off + 156]!))
    off += 512 + Math.ceil(size / 512) * 512
  }
  return out
}

t.test('paxRecords: length-prefixed, so a value holds any byte', async t => {
  const block = Buffer.concat([Buffer.from('11 path=ab\n'), Buffer.from('34 SCHILY.xattr.user.b='), BINARY, Buffer.from('\n')])
  t.same(paxRecords(block), [['path', Buffer.from('ab')], ['SCHILY.xattr.user.b', BINARY]])
  t.same(paxRecords(new Uint8Array(block)), paxRecords(block), 'a Uint8Array, as tar-stream may pass on')
  t.same(paxRecords(Buffer.from('11 path=ab\nxx junk')), [['path', Buffer.from('ab')]], 'a malformed record ends the list')
  t.same(paxRecords(Buffer.from('12 path=ab\n')), [], 'a length past the block')
  t.same(paxRecords(Buffer.from('10 pathab\n')), [], 'no =')
  t.same(paxRecords(Buffer.from('1a path=ab\n')), [], 'not a number')
})

t.test('paxBlock: each length counts its own digits, across 9/10 and 99/100', async t => {
  for (const n of [0, 1, 2, 3, 4, 86, 87, 88, 89, 90, 994, 995, 996]) {
    const rec: PaxRecord = ['k', Buffer.alloc(n, 0xaa)]
    const block = paxBlock([rec])
    t.equal(Number(block.toString('latin1').split(' ')[0]), block.length, `value of ${n} bytes`)
    t.same(paxRecords(block), [rec])
  }
  const both: PaxRecord[] = [['path', Buffer.from('é/x')], ['SCHILY.xattr.user.b', BINARY]]
  t.same(paxRecords(paxBlock(both)), both, 'round trip')
})

t.test('tar-stream alone loses a binary value; a latin1 round trip does not bring it back', async t => {
  const pack = packWithPax()
  pack.entry(withPax({ name: 'f' }, [['SCHILY.xattr.user.b', BINARY]]), 'x')
  pack.finalize()
  const archive = await buffer(pack)
  const ex = tar.extract()
  Readable.from([archive]).pipe(ex)
  for await (const e of ex) {
    const decoded = (e.header.pax as Record<string, string>)['SCHILY.xattr.user.b']!
    t.not(Buffer.from(decoded, 'utf8').toString('hex'), BINARY.toString('hex'), 'utf8')
    t.not(Buffer.from(decoded, 'latin1').toString('hex'), BINARY.toString('hex'), 'latin1')
    t.match(decoded, /\ufffd/, 'invalid sequences became U+FFFD')
    await buffer(e)
  }
  t.same((await readBack(archive))[0]!.xattrs, { 'user.b': BINARY.toString('hex') }, 'the hook gives the bytes')
})

t.test('extract: the exact bytes of a tar GNU tar wrote; a global header\'s xattrs are not applied', async t => {
  const gnu = await gnuTarWithXattrs([{ name: 'f', body: 'x', xattrs: { 'user.b': BINARY, 'security.capability': CAPS_V2 } }])
  const [f] = await readBack(gnu)
  t.same(f, { name: 'f', body: 'x', xattrs: { 'user.b': BINARY.toString('hex'), 'security.capability': CAPS_V2.toString('hex') } })

  // Python's tarfile writes pax_headers given to open() as a global header, then each member's own.
  const script = `
import io, sys, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT, pax_headers={'SCHILY.xattr.user.g': 'global'}) as tf:
    for name, own in [('a', {}), ('b', {'SCHILY.xattr.user.own': 'mine'})]:
        i = tarfile.TarInfo(name); i.pax_headers = own; tf.addfile(i, io.BytesIO(b''))
sys.stdout.buffer.write(b.getvalue())`
  const py = await execa('python3', ['-c', script], { encoding: 'buffer' })
  t.same((await readBack(py.stdout as unknown as Buffer)).map(e => [e.name, e.xattrs]), [['a', {}], ['b', { 'user.own': Buffer.from('mine').toString('hex') }]])
})

t.test('pack: one pax header with the bytes, whatever the name; Python reads them back', async t => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`
  const pack = packWithPax()
  const entries: Array<[string, PaxRecord[]]> = [
    ['plain', []],
    ['short', [['SCHILY.xattr.user.b', BINARY]]],
    [long, [['SCHILY.xattr.security.capability', CAPS_V2]]],
    ['ünï/cødé', [['SCHILY.xattr.user.b', BINARY]]]
  ]
  for (const [name, records] of entries) pack.entry(withPax({ name }, records), name)
  pack.entry(withPax({ name: 'to-long', type: 'symlink', linkname: long }, [['SCHILY.xattr.user.l', Buffer.from([0x80])]]))
  pack.finalize()
  const archive = await buffer(pack)
  const want = [
    ...entries.map(([name, records]) => ({ name, xattrs: Object.fromEntries(records.map(([k, v]) => [k.slice('SCHILY.xattr.'.length), v.toString('hex')])) })),
    { name: 'to-long', xattrs: { 'user.l': '80' } }
  ]
  t.same((await readBack(archive)).map(({ name, xattrs }) => ({ name, xattrs })), want, 'berth reads them')
  t.same(await python(archive), want, 'Python reads them')
  const ex = tar.extract()
  Readable.from([archive]).pipe(ex)
  for await (const e of ex) { if (e.header.name === 'to-long') t.equal(e.header.linkname, long, 'the long link target'); await buffer(e) }
  t.same(typeflags(archive), ['0', 'x', '0', 'x', '0', 'x', '0', 'x', '2'], 'one pax header per marked entry, none for the plain one')
})

t.test('archiveCaps: v3 becomes v2 without its root id, as moby writes it; v2 stays', async t => {
  t.equal(archiveCaps(capsV3(100000)).toString('hex'), CAPS_V2.toString('hex'))
  t.equal(archiveCaps(CAPS_V2), CAPS_V2)
  t.equal(archiveCaps(Buffer.from([1, 2])).toString('hex'), '0102', 'too short: as it is')
})

t.test('packTree: a file\'s capabilities as v2 bytes, and no other xattr (as moby)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-pax-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'capped'), 'x'); lsetxattr(join(dir, 'capped'), 'security.capability', capsV3(1000))
  await link(join(dir, 'capped'), join(dir, 'linked'))
  await writeFile(join(dir, 'plain'), 'y'); lsetxattr(join(dir, 'plain'), 'user.b', BINARY)
  const archive = await buffer(packTree(dir, { base: '' }))
  const caps = { 'security.capability': CAPS_V2.toString('hex') }
  t.same(await python(archive), [{ name: 'capped', xattrs: caps }, { name: 'linked', xattrs: caps }, { name: 'plain', xattrs: {} }], 'a hard link carries it too, as moby writes it')
})

t.test('lgetxattr: small values from its scratch buffer (copied out), large ones past it, a missing one undefined', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-pax-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const f = join(dir, 'f')
  await writeFile(f, '')
  const big = Buffer.alloc(3000, 0xab)
  lsetxattr(f, 'user.big', big); lsetxattr(f, 'user.small', BINARY)
  const small = lgetxattr(f, 'user.small')
  t.same(lgetxattr(f, 'user.big'), big, 'past the scratch buffer: ERANGE, then the full size')
  t.same(small, BINARY, 'a later call leaves an earlier value alone')
  t.equal(lgetxattr(f, 'user.none'), undefined)
  t.throws(() => lgetxattr(join(dir, 'gone'), 'user.small'), { code: 'ENOENT' })
})
