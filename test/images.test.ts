/**
 * The image store and routes against a real berthd: import, list, inspect,
 * tag, history, save, load, remove and prune through the real docker client
 * and the API, a multi-layer archive with whiteouts checked on disk, and
 * every refusal (unknown image, bad tar, path and symlink escapes, bad names).
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { lgetxattr } from '../src/sys/libc.js'
import { DOCKER, dockerEnv, dockerTest, makeTar, rootfsTar, saveArchive, sha, startDaemon, type Daemon, type TarEntry } from './helpers.js'

function docker (d: Daemon, args: string[], input?: Buffer | string) {
  return execa(DOCKER, args, {
    env: dockerEnv(d),
    input: input ?? '', reject: false, timeout: 60_000, killSignal: 'SIGKILL', encoding: 'utf8'
  })
}

/** Every path under `dir`. */
async function walk (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name)
    out.push(p)
    if (e.isDirectory()) out.push(...await walk(p))
  }
  return out
}

dockerTest(t, 'docker CLI: import, images, tag, history, inspect, save, load, rmi', async t => {
  const d = await startDaemon(t)
  const rootfs = await rootfsTar()

  const imp = await docker(d, ['import', '--change', 'CMD ["sh"]', '--change', 'ENV A=1', '-m', 'from a test', '-', 'bb'], rootfs)
  t.equal(imp.exitCode, 0, imp.stderr)
  t.match(imp.stdout, /^sha256:[0-9a-f]{64}$/)
  const id = imp.stdout.trim()

  const images = await docker(d, ['images'])
  t.equal(images.exitCode, 0, images.stderr)
  t.match(images.stdout, new RegExp(`^bb\\s+latest\\s+${id.slice(7, 19)}`, 'm'))

  const gz = await docker(d, ['import', '-', 'localhost/gz:v1'], gzipSync(rootfs))
  t.equal(gz.exitCode, 0, gz.stderr)
  t.equal(gz.stdout.trim().length, 71)

  t.equal((await docker(d, ['tag', 'bb', 'library/bb:two'])).exitCode, 0)
  t.equal((await docker(d, ['tag', 'bb', 'localhost/x:v1'])).exitCode, 0)
  const ins = await docker(d, ['image', 'inspect', 'localhost/x:v1'])
  t.equal(ins.exitCode, 0, ins.stderr)
  const doc = JSON.parse(ins.stdout)[0]
  t.equal(doc.Id, id)
  t.same(doc.Config.Cmd, ['sh'])
  t.same(doc.Config.Env, ['A=1'])
  t.equal(doc.Comment, 'from a test')
  t.same([...doc.RepoTags].sort(), ['bb:latest', 'bb:two', 'localhost/x:v1'])
  t.equal(doc.RootFS.Layers.length, 1)

  const hist = await docker(d, ['history', 'bb'])
  t.equal(hist.exitCode, 0, hist.stderr)
  t.match(hist.stdout, /from a test/)

  const badTag = await docker(d, ['tag', 'bb', 'Bad'])
  t.not(badTag.exitCode, 0)
  const missing = await docker(d, ['image', 'inspect', 'nosuch'])
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, /No such image: nosuch/)

  const saved = join(d.dir, 'bb.tar')
  const save = await docker(d, ['save', '-o', saved, 'bb'])
  t.equal(save.exitCode, 0, save.stderr)
  t.ok((await lstat(saved)).size > rootfs.length / 2)

  const rmi = await docker(d, ['rmi', 'bb', 'bb:two', 'localhost/x:v1'])
  t.equal(rmi.exitCode, 0, rmi.stderr)
  t.match(rmi.stdout, /Untagged: bb:latest/)
  t.match(rmi.stdout, new RegExp(`Deleted: ${id}`))
  t.equal((await d.req('GET', `/images/${id}/json`)).status, 404)

  const garbage = join(d.dir, 'garbage.tar')
  await writeFile(garbage, 'not a tar archive'.repeat(100))
  const bad = await docker(d, ['load', '-i', garbage])
  t.equal(bad.exitCode, 1, 'load of a non-archive fails')
  t.match(bad.stderr, /invalid image archive: Invalid tar header/, 'with the daemon\'s message, read from the stream')
  const load = await docker(d, ['load', '-i', saved])
  t.equal(load.exitCode, 0, load.stderr)
  t.match(load.stdout, /Loaded image: bb:latest/)
  const again = await d.req('GET', '/images/bb/json')
  t.equal(again.body.Id, id, 'save then load gives the same image id')
  const tags = (await d.req('GET', '/images/json')).body.flatMap((i: any) => i.RepoTags)
  t.same(tags.sort(), ['bb:latest', 'bb:two', 'localhost/gz:v1'])

  // Pulls are test/pull.test.ts's; here only that an unreachable registry (nothing on port 1) fails clearly.
  const pull = await docker(d, ['pull', '127.0.0.1:1/alpine'])
  t.not(pull.exitCode, 0)
  t.match(pull.stderr, /Get "http:\/\/127\.0\.0\.1:1\/v2\/": connect: connection refused/)
})

t.test('API: layers, whiteouts, save/load round trip, delete and prune', async t => {
  const d = await startDaemon(t)
  const base = await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n', mode: 0o600, uid: 0, gid: 0 },
    { name: 'etc/hosts', body: '127.0.0.1 localhost\n' },
    { name: 'usr/share/doc/a', body: 'a' },
    { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'etc/hosts' },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'fifo', type: 'fifo', mode: 0o600 },
    { name: 'owned', body: 'x', uid: 1234, gid: 5678, mode: 0o4755, mtime: new Date('2020-01-02T03:04:05Z') },
    { name: 'xattr', body: 'x', pax: { 'SCHILY.xattr.user.note': 'hello' } }
  ])
  const top = await makeTar([
    { name: 'etc/.wh.hosts', body: '' },
    { name: 'usr/share/.wh..wh..opq', body: '' },
    { name: 'usr/share/new', body: 'new' }
  ])
  const { archive, id } = await saveArchive([base, top], 'multi:v1')
  const load = await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })
  t.equal(load.status, 200, load.raw.toString())
  t.equal(load.raw.toString(), '{"stream":"Loaded image: multi:v1\\n"}\n')

  const ins = await d.req('GET', '/images/multi:v1/json')
  t.equal(ins.body.Id, id)
  t.same(ins.body.RootFS.Layers, [`sha256:${sha(base)}`, `sha256:${sha(top)}`])
  const [low, up] = (ins.body.GraphDriver.Data.LowerDir as string).split(':').reverse() as [string, string]
  t.equal(await readFile(join(low, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n')
  t.equal(await readlink(join(low, 'link')), '/etc/passwd')
  t.equal((await lstat(join(low, 'hard'))).ino, (await lstat(join(low, 'etc/hosts'))).ino)
  const dev = await lstat(join(low, 'dev/null'))
  t.ok(dev.isCharacterDevice()); t.equal(dev.rdev, 259)
  t.ok((await lstat(join(low, 'fifo'))).isFIFO())
  const owned = await lstat(join(low, 'owned'))
  t.equal(owned.uid, 1234); t.equal(owned.gid, 5678); t.equal(owned.mode & 0o7777, 0o4755)
  t.equal(owned.mtime.toISOString(), '2020-01-02T03:04:05.000Z')
  t.equal(lgetxattr(join(low, 'xattr'), 'user.note')?.toString(), 'hello')
  const wh = await lstat(join(up, 'etc/hosts'))
  t.ok(wh.isCharacterDevice(), 'a whiteout is a character device'); t.equal(wh.rdev, 0, '0/0')
  t.equal(lgetxattr(join(up, 'usr/share'), 'trusted.overlay.opaque')?.toString(), 'y')
  t.equal(await readFile(join(up, 'usr/share/new'), 'utf8'), 'new')

  const hist = await d.req('GET', '/images/multi:v1/history')
  t.equal(hist.body.length, 2)
  t.equal(hist.body[0].Id, id); t.equal(hist.body[0].CreatedBy, 'layer 1'); t.equal(hist.body[1].Id, '<missing>')

  // Save through the API and load into a fresh store: same id, same layers.
  const saved = await d.req('GET', '/images/get?names=multi:v1')
  t.equal(saved.status, 200); t.equal(saved.headers['content-type'], 'application/x-tar')
  const d2 = await startDaemon(t)
  const re = await d2.req('POST', '/images/load', saved.raw)
  t.equal(re.status, 200, re.raw.toString())
  t.equal((await d2.req('GET', '/images/multi:v1/json')).body.Id, id)
  t.equal((await d2.req('GET', `/images/${id.slice(7, 19)}/get`)).status, 200)

  // Tags with slashes in paths; delete semantics.
  t.equal((await d.req('POST', '/images/multi:v1/tag?repo=localhost:5000/a/b&tag=t')).status, 201)
  t.equal((await d.req('GET', '/images/localhost:5000/a/b:t/json')).body.Id, id)
  const multi = await d.req('DELETE', `/images/${id}`)
  t.equal(multi.status, 409)
  t.match(multi.body.message, /must be forced\) - image is referenced in multiple repositories/)
  t.same((await d.req('DELETE', '/images/localhost:5000/a/b:t')).body, [{ Untagged: 'localhost:5000/a/b:t' }])
  const untag = await d.req('POST', '/images/multi:v1/tag?repo=keep')
  t.equal(untag.status, 201)
  t.same((await d.req('DELETE', '/images/multi:v1')).body, [{ Untagged: 'multi:v1' }])
  // Untagged by tagging another image: dangling, then pruned.
  const imp = await d.req('POST', '/images/create?fromSrc=-&repo=keep', base, { 'content-type': 'text/plain' })
  t.equal(imp.status, 200)
  const dangling = (await d.req('GET', '/images/json?filters={"dangling":["true"]}')).body
  t.same(dangling.map((i: any) => i.Id), [id])
  t.same(dangling[0].RepoTags, [])
  const prune = await d.req('POST', '/images/prune')
  t.same(prune.body.ImagesDeleted, [{ Deleted: id }, { Deleted: `sha256:${sha(`sha256:${sha(base)} sha256:${sha(top)}`)}` }], 'the image, then its top layer: keep:latest has the base')
  t.ok(prune.body.SpaceReclaimed > 0)
  t.equal(existsSync(up), false, 'the top layer went with the last image using it')
  t.equal(existsSync(low), true, 'the base layer stays: keep:latest uses it')
  const rm = await d.req('DELETE', '/images/keep?force=1')
  t.equal(rm.status, 200)
  t.same((await readdir(join(d.root, 'images', 'layers'))), [])
})

t.test('refusals: unknown images, bad archives, escapes, bad names', async t => {
  const d = await startDaemon(t)
  for (const [m, p] of [['GET', '/images/nosuch/json'], ['GET', '/images/nosuch/history'], ['POST', '/images/nosuch/tag?repo=x'], ['DELETE', '/images/nosuch'], ['GET', '/images/get?names=nosuch'], ['GET', '/images/me/nosuch/json']] as const) {
    const r = await d.req(m, p)
    t.equal(r.status, 404, p)
    t.match(r.body.message, /^No such image: (me\/)?nosuch/, p)
    t.equal(r.headers['content-type'], 'application/json')
  }
  const garbage = await d.req('POST', '/images/create?fromSrc=-&repo=bad', Buffer.from('this is not a tar archive at all'.repeat(40)))
  t.equal(garbage.status, 400)
  t.match(garbage.body.message, /invalid tar archive/)
  t.equal((await d.req('POST', '/images/create?fromSrc=-&repo=bad', '')).status, 400)
  t.equal((await d.req('POST', '/images/create?fromSrc=-&repo=Bad', await makeTar([{ name: 'a', body: 'a' }]))).status, 400)
  t.equal((await d.req('POST', '/images/create?fromSrc=-&repo=ok&changes=RUN%20x', await makeTar([{ name: 'a', body: 'a' }]))).status, 400)
  // Docker answers a load that fails with 200 and the error in the JSON-message stream.
  for (const [what, body] of [['not a tar', Buffer.from('not a tar'.repeat(100))], ['no manifest', await makeTar([{ name: 'x', body: 'x' }])]] as const) {
    const r = await d.req('POST', '/images/load', body)
    t.equal(r.status, 200, `load, ${what}: status`)
    t.match(r.raw.toString(), /^\{"errorDetail":\{"message":"[^"]+"\},"error":"[^"]+"\}\n$/, `load, ${what}: the error in the stream`)
  }
  const pull = await d.req('POST', '/images/create?fromImage=127.0.0.1%3A1%2Fbb&tag=latest')
  t.equal(pull.status, 500, 'a registry that is not there')
  t.match(pull.body.message, /connection refused/)

  const outside = join(d.dir, 'outside')
  await mkdir(outside)
  const escapes: Array<[string, TarEntry[]]> = [
    ['dot-dot', [{ name: 'a', body: 'a' }, { name: '../../../../escaped', body: 'x' }]],
    ['dot-dot in a pax path', [{ name: 'ok', body: 'x', pax: { path: 'x/../../escaped' } }]],
    ['through a symlink', [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/pwned', body: 'x' }]],
    ['through a relative symlink', [{ name: 'up', type: 'symlink', linkname: '../../../../..' }, { name: 'up/pwned', body: 'x' }]],
    ['hard link out', [{ name: 'h', type: 'link', linkname: '../../../../../etc/passwd' }]],
    ['whiteout through a symlink', [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/.wh.x', body: '' }]]
  ]
  for (const [what, entries] of escapes) {
    const r = await d.req('POST', '/images/create?fromSrc=-&repo=esc', await makeTar(entries))
    t.equal(r.status, 400, what)
    t.match(r.body.message, /refusing layer|escapes/, what)
  }
  // Found by the fuzzer: a name component over 255 bytes was a 500 (ENAMETOOLONG).
  const long = await d.req('POST', '/images/create?fromSrc=-&repo=long', await makeTar([{ name: 'x'.repeat(300), body: 'x' }]))
  t.equal(long.status, 400, 'a name too long for the file system')
  t.match(long.body.message, /name is too long/)
  t.same(await readdir(outside), [], 'nothing written outside the store')
  t.notOk((await walk(d.dir)).some(p => /escaped|pwned/.test(p)), 'no escaped file anywhere')
  t.same(await readdir(join(d.root, 'images', 'tmp')), [], 'no half-done layer left')
  t.same(await readdir(join(d.root, 'images', 'layers')), [])
  t.same((await d.req('GET', '/images/json')).body, [])

  const ok = await d.req('POST', '/images/create?fromSrc=-&repo=ok', await makeTar([{ name: 'a', body: 'a' }]))
  t.equal(ok.status, 200)
  for (const q of ['repo=UPPER', 'repo=ok&tag=bad%20tag', 'repo=a%2F%2Fb', `repo=${'a'.repeat(64)}`]) {
    const r = await d.req('POST', `/images/ok/tag?${q}`)
    t.equal(r.status, 400, q)
  }
  t.equal((await d.req('GET', '/images/get')).status, 400)
  t.equal((await d.req('GET', '/images/json?filters={"bogus":["x"]}')).status, 400)
})
