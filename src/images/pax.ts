/**
 * PAX extended-header records as bytes, for file xattrs (`SCHILY.xattr.<name>`).
 *
 * tar-stream decodes every record's value as UTF-8 and encodes it the same
 * way, which breaks a binary value such as security.capability (its masks
 * and root id are arbitrary bytes) or a user.* xattr. Go's archive/tar, which
 * writes Docker's and registries' layers, keeps a value's bytes as they are
 * (only path, linkpath, uname and gname must be free of NUL: validPAXRecord).
 * Re-encoding the decoded string as latin1 would not give them back: the
 * decoder has already turned each invalid UTF-8 sequence into U+FFFD, so
 * many byte strings decode to the same text.
 *
 * So the xattr records are read from, and written to, the header block's raw
 * bytes here, through one hook on each tar-stream stream: Extract's
 * `_decodeLongHeader(buf)` is given a pax header's block, and Pack's
 * `_encode(header)` writes each header. Both are tar-stream 3 internals; the
 * hooks check that they are there, and test/unit/pax.test.ts fails when an
 * upgrade changes what they do.
 */
import tar from 'tar-stream'

/** A record's key and its value's bytes. */
export type PaxRecord = readonly [key: string, value: Buffer]

export const XATTR_PREFIX = 'SCHILY.xattr.'

/**
 * The records of a pax header block (pure): each is `<len> <key>=<value>\n`,
 * `len` counting the whole record, so a value may hold any byte. A malformed
 * record ends the list, as it ends tar-stream's.
 */
export function paxRecords (bytes: Uint8Array): PaxRecord[] {
  // tar-stream hands on its input's chunks, which need not be Buffers.
  const block = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: PaxRecord[] = []
  for (let off = 0; off < block.length;) {
    const sp = block.indexOf(0x20, off)
    const digits = sp < 0 ? '' : block.toString('latin1', off, sp)
    if (!/^[0-9]{1,9}$/.test(digits)) break
    const end = off + Number(digits)
    if (end <= sp + 1 || end > block.length || block[end - 1] !== 0x0a) break
    const eq = block.indexOf(0x3d, sp + 1)
    if (eq < 0 || eq >= end - 1) break
    // A copy: the block is a slice of the stream's buffer, which should not be kept for a value's sake.
    out.push([block.toString('utf8', sp + 1, eq), Buffer.from(block.subarray(eq + 1, end - 1))])
    off = end
  }
  return out
}

/** A pax header block of `records` (pure). A record's length counts its own digits, so it is found as a fixed point. */
export function paxBlock (records: readonly PaxRecord[]): Buffer {
  return Buffer.concat(records.map(([key, value]) => {
    const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')])
    let len = body.length + 1
    while (len !== body.length + String(len).length) len = body.length + String(len).length
    return Buffer.concat([Buffer.from(String(len)), body])
  }))
}

/** The xattr records of a block, as [xattr name, value]. */
const xattrRecords = (block: Uint8Array): PaxRecord[] =>
  paxRecords(block).filter(([k]) => k.startsWith(XATTR_PREFIX) && k.length > XATTR_PREFIX.length).map(([k, v]) => [k.slice(XATTR_PREFIX.length), v])

/** Each entry's xattrs, by the pax object tar-stream puts on its header. */
const xattrsByPax = new WeakMap<object, PaxRecord[]>()

interface ExtractInternals {
  _header: { type: string | null } | null
  _pax: object | null
  _decodeLongHeader: (buf: Uint8Array) => void
}

/** tar-stream's extract, whose entries' xattrs `xattrsOf` gives as bytes. */
export function extractWithXattrs (): tar.Extract {
  const extract = tar.extract()
  const inner = extract as unknown as ExtractInternals
  const decode = inner._decodeLongHeader
  if (typeof decode !== 'function') throw new Error('tar-stream has no _decodeLongHeader: xattrs cannot be read as bytes')
  inner._decodeLongHeader = function (this: ExtractInternals, buf: Uint8Array): void {
    decode.call(this, buf)
    if (this._header?.type === 'pax-header' && this._pax !== null) xattrsByPax.set(this._pax, xattrRecords(buf))
  }
  return extract
}

/**
 * An entry's xattrs ([name, bytes]) from its own pax header, given its
 * header's `pax`. A global header's are left out, as Docker's Untar skips
 * global headers (tar-stream merges them into each entry's records).
 */
export const xattrsOf = (pax: object | null | undefined): readonly PaxRecord[] =>
  pax === null || pax === undefined ? [] : xattrsByPax.get(pax) ?? []

interface PackInternals {
  _encode: (header: tar.Header) => void
  push: (chunk: Buffer) => boolean
}

/** Pax records to write with a header, by the header object given to `pack.entry`. */
const recordsByHeader = new WeakMap<object, readonly PaxRecord[]>()

/** `header`, marked to be written with `records` (keys whole, values as bytes) by a `packWithPax` pack. */
export function withPax<H extends object> (header: H, records: readonly PaxRecord[]): H {
  if (records.length > 0) recordsByHeader.set(header, records)
  return header
}

/** The name tar-stream gives a pax header, and the ustar name of an entry whose path is in its pax header. */
const PLACEHOLDER = 'PaxHeader'

/** Whether tar-stream writes `s` in a ustar field of 100 bytes without a pax record of its own. */
const fitsUstar = (s: string): boolean => s.length <= 100 && Buffer.byteLength(s) === s.length

/**
 * tar-stream's pack, where a header marked with `withPax` is written after
 * one pax header holding its records as bytes. That header also carries the
 * entry's path or link target when a ustar field cannot: tar-stream would
 * write a second pax header for them, and readers (Go's, tar-stream's) keep
 * only the last one before an entry.
 */
export function packWithPax (): tar.Pack {
  const pack = tar.pack()
  const inner = pack as unknown as PackInternals
  const encode = inner._encode
  if (typeof encode !== 'function') throw new Error('tar-stream has no _encode: xattrs cannot be written as bytes')
  inner._encode = function (this: PackInternals, header: tar.Header): void {
    const extra = recordsByHeader.get(header)
    if (extra === undefined) { encode.call(this, header); return }
    const name = header.type === 'directory' && !header.name.endsWith('/') ? `${header.name}/` : header.name
    const linkname = header.linkname ?? ''
    const records: PaxRecord[] = []
    if (!fitsUstar(name)) records.push(['path', Buffer.from(name)])
    if (!fitsUstar(linkname)) records.push(['linkpath', Buffer.from(linkname)])
    const block = paxBlock([...records, ...extra])
    encode.call(this, { name: PLACEHOLDER, type: 'pax-header', size: block.length, mode: header.mode, uid: header.uid, gid: header.gid, mtime: header.mtime } as unknown as tar.Header)
    this.push(block)
    this.push(Buffer.alloc((512 - block.length % 512) % 512))
    const ustar = (s: string): string => fitsUstar(s) ? s : PLACEHOLDER
    encode.call(this, { ...header, pax: null, name: ustar(name), ...(linkname !== '' ? { linkname: ustar(linkname) } : {}) })
  }
  return pack
}
