/**
 * File xattrs through berth's tar paths, against the real daemon: a layer
 * GNU tar wrote with a binary user.* xattr and a file capability is loaded
 * with both exact on disk, and the capability works in a container; a
 * container's file capability leaves by commit, export and docker cp as
 * moby writes it (v2 bytes, a v3's root id dropped, no other xattr), and
 * the committed layer unpacks with it.
 */
import t, { type Test } from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { lgetxattr, lsetxattr } from '../src/sys/libc.js'
import { ROOTFS, rootfsTar, saveArchive, startDaemon, type Daemon } from './helpers.js'
import { BINARY, CAPS_V2, CAPS_V2_EFFECTIVE, capsV3, gnuTarWithXattrs, tarXattrs } from './tar-xattrs.js'

const CAPS = 'security.capability'

/** Creates a container of `image` running `cmd` (removed with `t`), starts it and waits for its exit; returns its id and output. */
async function runIn (t: Test, d: Daemon, image: string, cmd: string[], user = ''): Promise<{ id: string, out: string }> {
  const c = await d.req('POST', '/containers/create', { Image: image, Cmd: cmd, User: user })
  t.equal(c.status, 201, JSON.stringify(c.body))
  const id = c.body.Id as string
  t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  const w = await d.req('POST', `/containers/${id}/wait`)
  t.equal(w.body.StatusCode, 0)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`)
  // The log stream's 8-byte frame headers are not text: keep the printable part.
  return { id, out: logs.raw.toString('latin1').replace(/[\0-\x08\x0e-\x1f\x7f-\xff]/g, '') }
}

t.test('xattrs in, and out again', async t => {
  const d = await startDaemon(t)
  const busybox = await readFile(join(ROOTFS, 'bin', 'busybox'))
  // The applet name is busybox's own, so the copy can run applets.
  const top = await gnuTarWithXattrs([{ name: 'caps/busybox', body: busybox, mode: 0o755, xattrs: { 'user.test': BINARY, [CAPS]: CAPS_V2 } }])
  const { archive } = await saveArchive([await rootfsTar(), top], 'bt-xattr:v1')
  const load = await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })
  t.equal(load.status, 200, load.raw.toString())
  t.teardown(() => d.req('DELETE', '/images/bt-xattr:v1?force=1'))

  const lower = ((await d.req('GET', '/images/bt-xattr:v1/json')).body.GraphDriver.Data.LowerDir as string).split(':')[0]!
  t.equal(lgetxattr(join(lower, 'caps/busybox'), 'user.test')?.toString('hex'), BINARY.toString('hex'), 'user.test: the exact bytes')
  t.equal(lgetxattr(join(lower, 'caps/busybox'), CAPS)?.toString('hex'), CAPS_V2.toString('hex'), `${CAPS}: the exact bytes`)

  const eff = await runIn(t, d, 'bt-xattr:v1', ['/caps/busybox', 'grep', 'CapEff', '/proc/self/status'], '1000')
  t.match(eff.out, `CapEff:\t${CAPS_V2_EFFECTIVE}`, 'uid 1000 gets the file\'s capabilities')

  // touch copies the file up with its xattrs; the capability is then rewritten as v3, as one set in a user namespace is kept.
  const { id } = await runIn(t, d, 'bt-xattr:v1', ['touch', '/caps/busybox'])
  const upper = (await d.req('GET', `/containers/${id}/json`)).body.GraphDriver.Data.UpperDir as string
  lsetxattr(join(upper, 'caps/busybox'), CAPS, capsV3(1000))
  const want = { 'security.capability': CAPS_V2.toString('hex') }

  const exp = await d.req('GET', `/containers/${id}/export`)
  t.equal(exp.status, 200)
  t.same((await tarXattrs(exp.raw)).filter(m => Object.keys(m.xattrs).length > 0), [{ name: 'caps/busybox', xattrs: want }], 'export: the capability as v2, no user.* xattr')

  const cp = await d.req('GET', `/containers/${id}/archive?path=/caps/busybox`)
  t.equal(cp.status, 200)
  t.same(await tarXattrs(cp.raw), [{ name: 'busybox', xattrs: want }], 'docker cp out')

  const commit = await d.req('POST', `/commit?container=${id}&repo=bt-xattr-committed`)
  t.equal(commit.status, 201, JSON.stringify(commit.body))
  t.teardown(() => d.req('DELETE', '/images/bt-xattr-committed?force=1'))
  const committed = ((await d.req('GET', '/images/bt-xattr-committed/json')).body.GraphDriver.Data.LowerDir as string).split(':')[0]!
  t.equal(lgetxattr(join(committed, 'caps/busybox'), CAPS)?.toString('hex'), CAPS_V2.toString('hex'), 'commit: the layer has the capability as v2')
  t.equal(lgetxattr(join(committed, 'caps/busybox'), 'user.test'), undefined, 'and no user.* xattr, as moby writes layers')
  const again = await runIn(t, d, 'bt-xattr-committed', ['/caps/busybox', 'grep', 'CapEff', '/proc/self/status'], '1000')
  t.match(again.out, `CapEff:\t${CAPS_V2_EFFECTIVE}`, 'and it works there')
})

t.test('a binary user xattr survives docker import', async t => {
  const d = await startDaemon(t)
  const body = await gnuTarWithXattrs([{ name: 'f', body: 'x', xattrs: { 'user.test': BINARY } }])
  const imp = await d.client.request({ method: 'POST', path: '/images/create?fromSrc=-&repo=bt-xattr-import', headers: { 'content-type': 'text/plain' }, body })
  t.equal(imp.statusCode, 200, await imp.body.text())
  t.teardown(() => d.req('DELETE', '/images/bt-xattr-import?force=1'))
  const data = (await d.req('GET', '/images/bt-xattr-import/json')).body.GraphDriver.Data
  t.equal(lgetxattr(join(data.UpperDir ?? data.LowerDir, 'f'), 'user.test')?.toString('hex'), BINARY.toString('hex'))
})
