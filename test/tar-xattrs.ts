/**
 * Tars with binary xattrs, made and read by tools other than berth's own tar
 * code: GNU tar writes them from files on disk, Python's tarfile reads them.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { lsetxattr } from '../src/sys/libc.js'

/** Bytes no UTF-8 decoder gives back: invalid sequences, a NUL, a newline, an '='. */
export const BINARY = Buffer.from([0xff, 0x80, 0x00, 0x0a, 0x3d, 0xc3, 0x28, 0xe2, 0x82, 0x41])

/** A file capability (v2, as setcap cap_setuid,cap_net_raw+ep writes it): effective, bits 7 and 13 permitted, so 0x80 in its first mask byte. */
export const CAPS_V2 = Buffer.from('0100000280200000000000000000000000000000', 'hex')
/** CapEff of a non-root process that runs a file with CAPS_V2. */
export const CAPS_V2_EFFECTIVE = '0000000000002080'

/** The same capabilities as v3 with root id `rootid`, as the kernel keeps those set inside a user namespace. */
export function capsV3 (rootid: number): Buffer {
  const v3 = Buffer.alloc(24)
  CAPS_V2.copy(v3)
  v3[3] = 3
  v3.writeUInt32LE(rootid, 20)
  return v3
}

export interface XattrFile { name: string, body: Buffer | string, mode?: number, xattrs?: Record<string, Buffer> }

/** A layer tar of `files` (owned by 0:0) written by GNU tar with every xattr, from a temp dir removed after. */
export async function gnuTarWithXattrs (files: XattrFile[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-xattr-'))
  try {
    for (const f of files) {
      const path = join(dir, f.name)
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, f.body)
      await chmod(path, f.mode ?? 0o644)
      for (const [k, v] of Object.entries(f.xattrs ?? {})) lsetxattr(path, k, v)
    }
    const r = await execa('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', '-', ...files.map(f => f.name)], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })
    return Buffer.from(r.stdout)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What Python's tarfile reads in `archive`: each member's name and SCHILY.xattr records (hex; tarfile keeps their bytes as surrogate escapes). */
export async function tarXattrs (archive: Buffer): Promise<Array<{ name: string, xattrs: Record<string, string> }>> {
  const script = `
import io, json, sys, tarfile
out = []
with tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read())) as tf:
    for m in tf:
        x = {k[len('SCHILY.xattr.'):]: v.encode('utf-8', 'surrogateescape').hex() for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}
        out.append({'name': m.name, 'xattrs': x})
print(json.dumps(out))`
  const r = await execa('python3', ['-c', script], { input: archive, maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(r.stdout)
}
