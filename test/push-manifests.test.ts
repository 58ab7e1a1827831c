/**
 * What a push sends (against Debian's docker-registry on 127.0.0.1): an
 * image pulled as an OCI manifest, from an OCI index, or as a Docker
 * manifest another client wrote goes back as those bytes, so its digest
 * does not change; a layer bigger than a chunk goes up in PATCHes with
 * Content-Range, and passes a proxy that refuses big request bodies.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeTar, rootfsTar, saveArchive, sha, startDaemon, type Daemon } from './helpers.js'
import { LAYOUT_REF, noRegistry, pull, pushArchive, startRegistry, statuses, stream, tempDir, writeLayout, type TestRegistry } from './registry-helpers.js'
import { HOST_ARCH } from '../src/images/types.js'

const push = async (d: Daemon, name: string, tag: string): ReturnType<typeof stream> => await stream(d, `/images/${name}/push?tag=${tag}`)
/** The manifest digest a tag of the registry points at, read from its storage. */
const tagged = async (reg: TestRegistry, repo: string, tag: string): Promise<string> =>
  (await readFile(join(reg.storage, 'docker', 'registry', 'v2', 'repositories', repo, '_manifests', 'tags', tag, 'current', 'link'), 'utf8')).trim()
const pushedDigest = (msgs: Array<{ aux?: { Digest: string } }>): string | undefined => msgs.at(-1)?.aux?.Digest

t.test('an image pulled from an OCI index is pushed back as the index where the registry has its other platform, else as its OCI manifest, digests unchanged', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const other = await startRegistry(t)
  const d = await startDaemon(t)
  const dir = await tempDir(t)
  const otherArch = HOST_ARCH === 'amd64' ? 'arm64' : 'amd64'
  await writeLayout(dir, [{ architecture: HOST_ARCH, layers: [await rootfsTar()] }, { architecture: otherArch, layers: [await makeTar([{ name: 'other', body: 'x' }])] }])
  await reg.push(`oci:${dir}:${LAYOUT_REF}`, 'multi:v1', { all: true })
  const index = await tagged(reg, 'multi', 'v1')
  const hostManifest = (JSON.parse(await readFile(reg.blobFile(index), 'utf8')) as { manifests: Array<{ digest: string, platform: { architecture: string } }> })
    .manifests.find(m => m.platform.architecture === HOST_ARCH)!.digest

  const pulled = await pull(d, `fromImage=${reg.host}/multi&tag=v1`)
  t.equal(pulled.msgs.at(-2)?.status, `Digest: ${index}`)

  t.equal((await d.req('POST', `/images/${reg.host}/multi:v1/tag?repo=${reg.host}/multi&tag=v2`)).status, 201)
  const back = await push(d, `${reg.host}/multi`, 'v2')
  t.equal(pushedDigest(back.msgs), index, `the push back names the index's digest: ${JSON.stringify(back.msgs)}`)
  t.ok(statuses(back.msgs).includes('Layer already exists'), 'the layer is not sent again')
  t.equal(await tagged(reg, 'multi', 'v2'), index, 'the new tag points at the index the image was pulled from')

  const name = `${other.host}/copy`
  t.equal((await d.req('POST', `/images/${reg.host}/multi:v1/tag?repo=${name}&tag=v1`)).status, 201)
  const away = await push(d, name, 'v1')
  t.equal(pushedDigest(away.msgs), hostManifest, `a registry without the other platform gets the image's own manifest: ${JSON.stringify(away.msgs)}`)
  const stored = JSON.parse(await readFile(other.blobFile(await tagged(other, 'copy', 'v1')), 'utf8')) as { mediaType: string, layers: Array<{ mediaType: string }> }
  t.equal(stored.mediaType, 'application/vnd.oci.image.manifest.v1+json', 'still an OCI manifest')
  t.equal(stored.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip')
  t.same((await d.req('GET', `/images/${name}:v1/json`)).body.RepoDigests.sort(), [`${reg.host}/multi@${index}`, `${name}@${hostManifest}`].sort())

  // A fresh daemon pulls what the push put, to the same image.
  const d2 = await startDaemon(t)
  const again = await pull(d2, `fromImage=${name}&tag=v1`)
  t.equal(again.msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:v1`)
  t.equal((await d2.req('GET', `/images/${name}:v1/json`)).body.Id, (await d.req('GET', `/images/${name}:v1/json`)).body.Id)
})

t.test('a Docker manifest another client wrote is pushed back byte for byte; a built image gets a manifest of its own', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await pushArchive(t, reg, [await rootfsTar()], 'bb:v1')
  const original = await tagged(reg, 'bb', 'v1')
  t.equal((await pull(d, `fromImage=${reg.host}/bb&tag=v1`)).status, 200)
  t.equal((await d.req('POST', `/images/${reg.host}/bb:v1/tag?repo=${reg.host}/again&tag=v1`)).status, 201)
  const pushed = await push(d, `${reg.host}/again`, 'v1')
  t.equal(pushedDigest(pushed.msgs), original, 'the digest skopeo\'s manifest had')
  t.ok(statuses(pushed.msgs).includes('Mounted from bb'), JSON.stringify(pushed.msgs))

  // An image with one more layer (a commit, here a load) has no kept manifest: one is written.
  const { archive } = await saveArchive([await rootfsTar(), await makeTar([{ name: 'extra', body: 'y' }])], `${reg.host}/built:v1`)
  t.equal((await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })).status, 200)
  const built = await push(d, `${reg.host}/built`, 'v1')
  const digest = pushedDigest(built.msgs)!
  const manifest = await readFile(reg.blobFile(digest))
  t.equal(`sha256:${sha(manifest)}`, digest)
  t.equal((JSON.parse(manifest.toString()) as { mediaType: string }).mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
})

t.test('a layer bigger than a chunk goes up in PATCHes with Content-Range, through a proxy that refuses bodies over 10 MiB', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const [rhost, rport] = [reg.host.split(':')[0]!, Number(reg.host.split(':')[1])]
  const seen: Array<{ method: string, range?: string, length: number }> = []
  const LIMIT = 10 * 1024 * 1024
  const proxy = createServer((req, res) => {
    const length = Number(req.headers['content-length'] ?? 0)
    seen.push({ method: req.method!, length, ...req.headers['content-range'] !== undefined ? { range: req.headers['content-range'] } : {} })
    // As nginx's client_max_body_size: a declared or streamed body past the limit is a 413.
    if (length > LIMIT || (req.headers['transfer-encoding'] !== undefined && req.method !== 'GET')) { res.writeHead(413).end(); req.resume(); return }
    const up = httpRequest({ host: rhost, port: rport, method: req.method, path: req.url, headers: req.headers }, r => { res.writeHead(r.statusCode!, r.headers); r.pipe(res) })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { proxy.close(() => resolve()); proxy.closeAllConnections() }))
  const host = `127.0.0.1:${(proxy.address() as { port: number }).port}`

  // 20 MiB of random bytes: the gzip stream is as big, so it takes three chunks of 8 MiB.
  const { archive, id } = await saveArchive([await makeTar([{ name: 'big.bin', body: randomBytes(20 * 1024 * 1024) }])], `${host}/big:v1`)
  t.equal((await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })).status, 200)
  const pushed = await push(d, `${host}/big`, 'v1')
  t.ok(pushedDigest(pushed.msgs), JSON.stringify(pushed.msgs.filter(m => m.status !== 'Pushing')))
  const patches = seen.filter(s => s.method === 'PATCH')
  t.same(patches.map(p => p.range), ['0-8388607', '8388608-16777215'], 'two full chunks, each with its range')
  const put = seen.filter(s => s.method === 'PUT' && s.length > 1024 * 1024 && s.length < 8 * 1024 * 1024)
  t.ok(put.length >= 1, 'the rest of the layer goes with the closing PUT')
  t.notOk(seen.some(s => s.length > LIMIT), 'no request body is over the limit')

  const d2 = await startDaemon(t)
  t.equal((await pull(d2, `fromImage=${host}/big&tag=v1`)).msgs.at(-1)?.status, `Status: Downloaded newer image for ${host}/big:v1`)
  t.equal((await d2.req('GET', `/images/${host}/big:v1/json`)).body.Id, id, 'the pulled image is the pushed one')
})
