/**
 * Registry pulls (POST /images/create?fromImage=) from a real registry
 * (Debian's docker-registry) with fixtures skopeo pushed: the progress stream,
 * tags and RepoDigests, the docker CLI and docker-py, platform pick from an
 * index, Docker's errors, up-to-date and shared layers, and a corrupt blob.
 */
import t from 'tap'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { DOCKER, dockerEnv, dockerTest, makeTar, rootfsTar, saveArchive, sha, startDaemon, until } from './helpers.js'
import { LAYOUT_REF, noRegistry, pull, pushArchive, startRegistry, statuses, stream, tempDir, writeLayout, type TestRegistry } from './registry-helpers.js'
import { HOST_ARCH } from '../src/images/types.js'

t.test('a pull streams Docker\'s progress, tags the image with its RepoDigest, and a second pull is up to date', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const id = await pushArchive(t, reg, [await rootfsTar()], 'bb:latest')
  const since = Math.floor(Date.now() / 1000)
  const first = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(first.status, 200)
  const s = statuses(first.msgs)
  t.same(first.msgs[0], { status: 'Pulling from bb', id: 'latest' })
  for (const want of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) t.ok(s.includes(want), `the stream says ${want}`)
  const down = first.msgs.filter(m => m.status === 'Downloading').at(-1)!
  t.ok(down.progressDetail!.current! > 0 && down.progressDetail!.current === down.progressDetail!.total, 'Downloading counts up to the blob\'s size')
  const digest = /^Digest: (sha256:[0-9a-f]{64})$/.exec(s.at(-2) ?? '')?.[1]
  t.ok(digest, 'the second-last line is the manifest digest')
  t.equal(s.at(-1), `Status: Downloaded newer image for ${reg.host}/bb:latest`)

  const inspect = await d.req('GET', `/images/${reg.host}/bb:latest/json`)
  t.equal(inspect.body.Id, id, 'the image id is the config\'s digest')
  t.same(inspect.body.RepoTags, [`${reg.host}/bb:latest`])
  t.same(inspect.body.RepoDigests, [`${reg.host}/bb@${digest!}`])
  const ev = await d.req('GET', `/events?since=${since}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent('{"type":["image"]}')}`)
  const events = ev.raw.toString().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { Action: string, Actor: { ID: string, Attributes: Record<string, string> } })
  t.ok(events.some(e => e.Action === 'pull' && e.Actor.ID === `${reg.host}/bb:latest` && e.Actor.Attributes.name === `${reg.host}/bb`), 'a pull event names the reference')

  const again = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.same(statuses(again.msgs).filter(x => x !== 'Already exists'), ['Pulling from bb', `Digest: ${digest!}`, `Status: Image is up to date for ${reg.host}/bb:latest`])

  const byDigest = await pull(d, `fromImage=${encodeURIComponent(`${reg.host}/bb@${digest!}`)}`)
  t.equal(byDigest.msgs.at(-1)?.status, `Status: Image is up to date for ${reg.host}/bb@${digest!}`, 'a pull by digest of what is there')
  t.equal(byDigest.msgs[0]?.id, digest, 'Pulling from names the digest')

  await d.stop()
  const d2 = await d.restart()
  t.same((await d2.req('GET', `/images/${reg.host}/bb/json`)).body.RepoDigests, [`${reg.host}/bb@${digest!}`], 'RepoDigests are kept across a restart')
  t.equal((await d2.req('DELETE', `/images/${reg.host}/bb:latest`)).status, 200)
  const fresh = await pull(d2, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(fresh.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/bb:latest`, 'after rmi the image is pulled anew')
})

t.test('a layer already in the store is not downloaded: Already exists', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const base = await rootfsTar()
  await pushArchive(t, reg, [base], 'base:1')
  const extra = await makeTar([{ name: 'etc/extra', body: 'more\n' }])
  await pushArchive(t, reg, [base, extra], 'app:1', { Cmd: ['cat', '/etc/extra'] })
  t.equal((await pull(d, `fromImage=${reg.host}/base&tag=1`)).status, 200)
  const app = await pull(d, `fromImage=${reg.host}/app&tag=1`)
  const per = (status: string): number => app.msgs.filter(m => m.status === status).length
  t.equal(per('Already exists'), 1, 'the base layer is there')
  t.equal(per('Pull complete'), 1, 'only the new layer is fetched')
  t.equal(per('Pulling fs layer'), 1)
  t.equal(app.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/app:1`)
  const img = await d.req('GET', `/images/${reg.host}/app:1/json`)
  t.equal(img.body.RootFS.Layers.length, 2)
})

t.test('an index with two platforms: the host\'s is picked, or the one platform= names', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const dir = await tempDir(t)
  const other = HOST_ARCH === 'arm64' ? 'amd64' : 'arm64'
  const [hostId, otherId] = await writeLayout(dir, [
    { architecture: HOST_ARCH, layers: [await rootfsTar()] },
    { architecture: other, layers: [await makeTar([{ name: 'arch', body: other }])] }
  ])
  await reg.push(`oci:${dir}:${LAYOUT_REF}`, 'multi:latest', { all: true })
  const r = await pull(d, `fromImage=${reg.host}/multi&tag=latest`)
  t.equal(r.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/multi:latest`, JSON.stringify(r))
  const img = await d.req('GET', `/images/${reg.host}/multi/json`)
  t.equal(img.body.Id, hostId)
  t.equal(img.body.Architecture, HOST_ARCH)
  const indexDigest = statuses(r.msgs).find(s => s.startsWith('Digest: '))!.slice('Digest: '.length)
  t.same(img.body.RepoDigests, [`${reg.host}/multi@${indexDigest}`], 'RepoDigests holds the index\'s digest')
  const picked = await pull(d, `fromImage=${reg.host}/multi&tag=latest&platform=linux/${other}`)
  t.equal(picked.status, 200)
  t.equal((await d.req('GET', `/images/${reg.host}/multi/json`)).body.Id, otherId, 'platform= picks the other image')
  const none = await pull(d, `fromImage=${reg.host}/multi&tag=latest&platform=linux/s390x`)
  t.equal(none.status, 400)
  t.match(none.message, /no matching manifest for linux\/s390x/)
})

t.test('Docker\'s errors: unknown tag or repository, registry down, bad reference, corrupt blob', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const layer = await makeTar([{ name: 'f', body: 'x'.repeat(4096) }])
  await pushArchive(t, reg, [layer], 'bb:latest')

  const tag = await pull(d, `fromImage=${reg.host}/bb&tag=nope`)
  t.equal(tag.status, 404)
  t.equal(tag.message, `manifest for ${reg.host}/bb:nope not found: manifest unknown: manifest unknown`)
  // distribution 2.8 answers MANIFEST_UNKNOWN for a repository it never had, and Docker words that as for a tag.
  const repo = await pull(d, `fromImage=${reg.host}/nosuch&tag=latest`)
  t.equal(repo.status, 404)
  t.equal(repo.message, `manifest for ${reg.host}/nosuch:latest not found: manifest unknown: manifest unknown`)
  const down = await pull(d, 'fromImage=127.0.0.1:1/bb&tag=latest')
  t.equal(down.status, 500)
  t.equal(down.message, 'Get "http://127.0.0.1:1/v2/": connect: connection refused')
  const bad = await pull(d, 'fromImage=BAD//name&tag=latest')
  t.equal(bad.status, 400)
  t.match(bad.message, /invalid reference format/)

  // The registry serves what is on its disk: a blob changed there fails the digest check.
  const manifest = JSON.parse(await readFile(reg.blobFile(await manifestDigest(reg, 'bb', 'latest')), 'utf8')) as { layers: Array<{ digest: string }> }
  const file = reg.blobFile(manifest.layers[0]!.digest)
  const bytes = await readFile(file)
  bytes.writeUInt8(bytes.at(-1)! ^ 0xff, bytes.length - 1)
  await writeFile(file, bytes)
  const layersBefore = await readdir(join(d.root, 'images', 'layers'))
  const corrupt = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(corrupt.status, 200, 'the failure comes after the stream began')
  t.equal(corrupt.msgs.at(-1)?.errorDetail?.message, `filesystem layer verification failed for digest ${manifest.layers[0]!.digest}`)
  t.same(await readdir(join(d.root, 'images', 'layers')), layersBefore, 'no layer is left')
  t.equal((await d.req('GET', `/images/${reg.host}/bb/json`)).status, 404, 'no image is left')
  t.same((await readdir(join(d.root, 'images', 'tmp'))), [], 'no download is left')
})

t.test('zstd layers are refused before anything is downloaded, with a message that names the media type', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const dir = await tempDir(t)
  const { archive } = await saveArchive([await makeTar([{ name: 'f', body: 'z'.repeat(4096) }])], 'fixture:latest')
  await writeFile(join(dir, 'image.tar'), archive)
  // skopeo (an independent client) compresses the layer with zstd, in an OCI manifest.
  await reg.push(`docker-archive:${join(dir, 'image.tar')}`, 'zs:latest', { args: ['--format', 'oci', '--dest-compress-format', 'zstd'] })
  const layer = (JSON.parse(await readFile(reg.blobFile(await manifestDigest(reg, 'zs', 'latest')), 'utf8')) as { layers: Array<{ mediaType: string }> }).layers[0]!
  t.equal(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd', 'the fixture has a zstd layer')
  const r = await pull(d, `fromImage=${reg.host}/zs&tag=latest`)
  t.same([r.status, r.message], [400, `${reg.host}/zs:latest has zstd-compressed layers (media type "application/vnd.oci.image.layer.v1.tar+zstd"), which berth cannot unpack: it reads gzip and uncompressed layers only`])
  t.same(await readdir(join(d.root, 'images', 'ingest')), [], 'nothing was downloaded')
  t.equal((await d.req('GET', `/images/${reg.host}/zs/json`)).status, 404)
})

t.test('a registry that asks for Bearer tokens: an anonymous token per scope, and pull access denied without one', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { token: true })
  const d = await startDaemon(t)
  const layer = await makeTar([{ name: 'f', body: 'token\n' }])
  await pushArchive(t, reg, [layer], 'bb:latest')
  await pushArchive(t, reg, [layer], 'secret:latest')
  const asked = reg.tokens!.requests.length
  const r = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(r.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/bb:latest`, JSON.stringify(r))
  const mine = reg.tokens!.requests.slice(asked)
  t.same(mine.map(q => [q.get('service'), q.getAll('scope')]), [['berth-test-registry', ['repository:bb:pull']]], 'one token, asked for the pull scope and reused for the config and layer')
  const denied = await pull(d, `fromImage=${reg.host}/secret&tag=latest`)
  t.equal(denied.status, 404)
  t.match(denied.message, new RegExp(`^pull access denied for ${reg.host.replace(/\./g, '\\.')}/secret, repository does not exist or may require 'docker login'`))
})

t.test('a client that hangs up mid-pull: the pull finishes, the daemon stays up', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await pushArchive(t, reg, [await rootfsTar()], 'bb:latest')
  const ac = new AbortController()
  const r = await d.client.request({ method: 'POST', path: `/images/create?fromImage=${reg.host}/bb&tag=latest`, signal: ac.signal })
  t.equal(r.statusCode, 200)
  ac.abort()
  await r.body.text().catch(() => {})
  await until(async () => (await d.req('GET', `/images/${reg.host}/bb/json`)).status === 200, 20_000, 'the pull to finish')
  t.equal((await d.req('GET', '/_ping')).status, 200)
  const again = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(again.msgs.at(-1)?.status, `Status: Image is up to date for ${reg.host}/bb:latest`)
})

t.test('blobs behind a redirect are followed, as registries on object storage answer', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await pushArchive(t, reg, [await makeTar([{ name: 'f', body: 'redirected\n' }])], 'bb:latest')
  // A front that sends blob GETs to the registry with a 307 and passes everything else through.
  const redirected: string[] = []
  const front = createServer((req, res) => {
    const path = req.url ?? '/'
    if (path.includes('/blobs/')) { redirected.push(path); res.writeHead(307, { location: `http://${reg.host}${path}` }).end(); return }
    request(`http://${reg.host}${path}`, { headers: { accept: req.headers.accept ?? '*/*' } }).then(async r => {
      res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? '') }).end(Buffer.from(await r.body.arrayBuffer()))
    }, () => res.writeHead(502).end())
  })
  await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { front.close(() => resolve()); front.closeAllConnections() }))
  const host = `127.0.0.1:${(front.address() as { port: number }).port}`
  const r = await pull(d, `fromImage=${host}/bb&tag=latest`)
  t.equal(r.msgs.at(-1)?.status, `Status: Downloaded newer image for ${host}/bb:latest`, JSON.stringify(r))
  t.equal(redirected.length, 2, 'the config and the layer came through the redirect')
})

/** The manifest digest a tag points at, from the registry's own storage. */
async function manifestDigest (reg: TestRegistry, repo: string, tag: string): Promise<string> {
  const link = join(reg.storage, 'docker', 'registry', 'v2', 'repositories', repo, '_manifests', 'tags', tag, 'current', 'link')
  return (await readFile(link, 'utf8')).trim()
}

dockerTest(t, 'docker pull and docker run of the pulled image; docker images --digests', async t => {
  if (noRegistry !== false) { t.fail(noRegistry); return }
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await pushArchive(t, reg, [await rootfsTar()], 'bb:latest')
  const env = dockerEnv(d)
  const p = await execa(DOCKER, ['pull', `${reg.host}/bb:latest`], { env, reject: false })
  t.equal(p.exitCode, 0, p.stderr)
  t.match(p.stdout, /latest: Pulling from bb/)
  t.match(p.stdout, /Digest: sha256:[0-9a-f]{64}/)
  t.match(p.stdout, new RegExp(`Status: Downloaded newer image for ${reg.host.replace(/\./g, '\\.')}/bb:latest`))
  t.match(p.stdout.trim().split('\n').at(-1), `${reg.host}/bb:latest`, 'the CLI prints the pulled reference last')
  const r = await execa(DOCKER, ['run', '--rm', `${reg.host}/bb`, 'echo', 'pulled and ran'], { env, reject: false })
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout, 'pulled and ran')
  const images = await execa(DOCKER, ['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}'], { env })
  t.match(images.stdout, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/bb latest sha256:[0-9a-f]{64}$`, 'm'))
  const missing = await execa(DOCKER, ['pull', `${reg.host}/bb:nope`], { env, reject: false })
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, `Error response from daemon: manifest for ${reg.host}/bb:nope not found: manifest unknown`)
})

/** Docker's ChainID of each layer of a stack of layer tars (image-spec config.md), bottom first. */
function chainsOf (layers: Buffer[]): string[] {
  const out: string[] = []
  for (const l of layers) out.push(out.length === 0 ? `sha256:${sha(l)}` : `sha256:${sha(`${out.at(-1)!} sha256:${sha(l)}`)}`)
  return out
}

/** go-units HumanSize, as the docker CLI prints sizes: decimal units, 4 significant digits. */
function humanSize (n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  for (; n >= 1000 && i < units.length - 1; i++) n /= 1000
  return `${Number(n.toPrecision(4))}${units[i]!}`
}

/** `docker images --digests` as `repository tag digest` lines, sorted. */
async function imageLines (env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await execa(DOCKER, ['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}'], { env })
  return r.stdout.split('\n').filter(l => l !== '').sort()
}

dockerTest(t, 'docker rmi of a pulled image: by tag, by digest, by id with two tags, each answered line for line as Docker', async t => {
  if (noRegistry !== false) { t.fail(noRegistry); return }
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const layers = [await rootfsTar(), await makeTar([{ name: 'etc/extra', body: 'more\n' }])]
  const id = await pushArchive(t, reg, layers, 'bb:latest')
  const [base, top] = chainsOf(layers) as [string, string]
  const digest = await manifestDigest(reg, 'bb', 'latest')
  const env = dockerEnv(d)
  const docker = async (...args: string[]): Promise<{ exitCode?: number, stdout: string, stderr: string }> => await execa(DOCKER, args, { env, reject: false })
  const lines = (out: string): string[] => out.split('\n').filter(l => l !== '')
  const name = `${reg.host}/bb`
  const layerDirs = async (): Promise<string[]> => (await readdir(join(d.root, 'images', 'layers'))).filter(n => !n.startsWith('.'))

  t.equal((await docker('pull', `${name}:latest`)).exitCode, 0)
  const byTag = await docker('rmi', name)
  t.equal(byTag.exitCode, 0, byTag.stderr)
  t.same(lines(byTag.stdout), [`Untagged: ${name}:latest`, `Untagged: ${name}@${digest}`, `Deleted: ${id}`, `Deleted: ${top}`, `Deleted: ${base}`],
    'the tag, the repository\'s digest with its last tag, the image, then each layer top first')
  t.same(await layerDirs(), [], 'the layers are gone')
  t.same(await imageLines(env), [], 'docker images --digests lists nothing')

  t.equal((await docker('pull', `${name}:latest`)).exitCode, 0)
  t.equal((await docker('tag', `${name}:latest`, 'extra:1')).exitCode, 0)
  t.same(await imageLines(env), [`${name} latest ${digest}`, 'extra 1 <none>'], 'the digest shows beside its repository\'s tag only')
  const byId = await docker('rmi', id.slice(7, 19))
  t.equal(byId.exitCode, 1)
  t.equal(byId.stderr.trim(), `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`)
  const byDigest = await docker('rmi', `${name}@${digest}`)
  t.equal(byDigest.exitCode, 0, byDigest.stderr)
  t.same(lines(byDigest.stdout), [`Untagged: ${name}@${digest}`], 'by digest: only the digest, while tags are left')
  t.same(await imageLines(env), [`${name} latest <none>`, 'extra 1 <none>'])
  const forced = await docker('rmi', '-f', id.slice(7, 19))
  t.equal(forced.exitCode, 0, forced.stderr)
  t.same(lines(forced.stdout), [`Untagged: ${name}:latest`, 'Untagged: extra:1', `Deleted: ${id}`, `Deleted: ${top}`, `Deleted: ${base}`],
    'by id with force: every reference in lexical order (127.0.0.1/… before docker.io/library/extra), then the image and its layers')
  t.same(await imageLines(env), [])

  t.equal((await docker('pull', `${name}@${digest}`)).exitCode, 0)
  t.same(await imageLines(env), [`${name} <none> ${digest}`], 'pulled by digest: no tag')
  const lastDigest = await docker('rmi', `${name}@${digest}`)
  t.equal(lastDigest.exitCode, 0, lastDigest.stderr)
  t.same(lines(lastDigest.stdout), [`Untagged: ${name}@${digest}`, `Deleted: ${id}`, `Deleted: ${top}`, `Deleted: ${base}`], 'its last reference: the image and its layers go too')
  t.same(await layerDirs(), [])
  const gone = await docker('rmi', `${name}@${digest}`)
  t.equal(gone.exitCode, 1)
  t.equal(gone.stderr.trim(), `Error response from daemon: No such image: ${name}@${digest}`)

  // A running container's image: not deleted even with force; untagged by name with force, then pruned as dangling.
  t.equal((await docker('pull', `${name}:latest`)).exitCode, 0)
  t.teardown(async () => { await docker('rm', '-f', 'busy') })
  const run = await docker('run', '-d', '--name', 'busy', name, 'sleep', '60')
  t.equal(run.exitCode, 0, run.stderr)
  const running = await docker('rmi', '-f', id.slice(7, 19))
  t.equal(running.exitCode, 1)
  t.equal(running.stderr.trim(), `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (cannot be forced) - image is being used by running container ${run.stdout.trim().slice(0, 12)}`)
  const used = await docker('rmi', name)
  t.equal(used.stderr.trim(), `Error response from daemon: conflict: unable to remove repository reference "${name}" (must force) - container ${run.stdout.trim().slice(0, 12)} is using its referenced image ${id.slice(7, 19)}`)
  const untagged = await docker('rmi', '-f', name)
  t.equal(untagged.exitCode, 0, untagged.stderr)
  t.same(lines(untagged.stdout), [`Untagged: ${name}:latest`, `Untagged: ${name}@${digest}`], 'with force: untagged, the image kept for its container')
  t.same(await imageLines(env), ['<none> <none> <none>'])
  t.equal((await docker('rm', '-f', 'busy')).exitCode, 0)
  const dangling = await docker('image', 'prune', '-f')
  t.same(lines(dangling.stdout).slice(0, 4), ['Deleted Images:', `deleted: ${id}`, `deleted: ${top}`, `deleted: ${base}`], 'then pruned as dangling, with its layers')
  t.same(await layerDirs(), [])
})

dockerTest(t, 'docker run of an image not there pulls it first; docker image prune -a removes the pulled image and its layers', async t => {
  if (noRegistry !== false) { t.fail(noRegistry); return }
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const id = await pushArchive(t, reg, [await rootfsTar()], 'bb:latest')
  const env = dockerEnv(d)
  const r = await execa(DOCKER, ['run', '--rm', `${reg.host}/bb`, 'echo', 'pulled on demand'], { env, reject: false })
  t.equal(r.exitCode, 0, r.stderr)
  t.equal(r.stdout, 'pulled on demand')
  t.match(r.stderr, `Unable to find image '${reg.host}/bb:latest' locally`)
  t.match(r.stderr, `Status: Downloaded newer image for ${reg.host}/bb:latest`)
  // --rm is the daemon's: the container may still be going when the client returns.
  await until(async () => (await d.req('GET', '/containers/json?all=1')).body.length === 0, 10_000, 'the --rm container to go')
  const digest = (await d.req('GET', `/images/${reg.host}/bb/json`)).body.RepoDigests[0] as string
  t.match(digest, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/bb@sha256:[0-9a-f]{64}$`))
  const layer = `sha256:${sha(await rootfsTar())}`
  const size = (await d.req('GET', `/images/${reg.host}/bb/json`)).body.Size as number
  const prune = await execa(DOCKER, ['image', 'prune', '-a', '-f'], { env })
  t.same(prune.stdout.split('\n'), ['Deleted Images:', `untagged: ${reg.host}/bb:latest`, `untagged: ${digest}`, `deleted: ${id}`, `deleted: ${layer}`, '', `Total reclaimed space: ${humanSize(size)}`],
    'as Docker: the tag and the digest untagged, then the image and its layer deleted, and the layer\'s size')
  t.same(await imageLines(env), [], 'docker images --digests lists nothing')
  t.equal((await d.req('GET', `/images/${reg.host}/bb/json`)).status, 404)
  t.same((await readdir(join(d.root, 'images', 'layers'))).filter(n => !n.startsWith('.')), [], 'no layer is left')

  // The API: every reference of each image, a repository's digest after its last tag, in lexical order.
  t.equal((await pull(d, `fromImage=${reg.host}/bb&tag=latest`)).status, 200)
  t.equal((await d.req('POST', `/images/${reg.host}/bb:latest/tag?repo=extra&tag=1`)).status, 201)
  const api = await d.req('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`)
  t.equal(api.status, 200)
  t.same(api.body.ImagesDeleted, [{ Untagged: `${reg.host}/bb:latest` }, { Untagged: digest }, { Untagged: 'extra:1' }, { Deleted: id }, { Deleted: layer }])
  t.equal(api.body.SpaceReclaimed, size, 'the dropped layer\'s size')
  t.same((await d.req('GET', '/images/json')).body, [], 'nothing left')
})

const PYTHON = '/usr/bin/python3'
t.test('docker-py images.pull', { skip: noRegistry !== false ? noRegistry : existsSync(PYTHON) ? false : 'python3 is not installed' }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const id = await pushArchive(t, reg, [await rootfsTar()], 'py/bb:v1')
  const script = `
import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
img = c.images.pull(sys.argv[2] + '/py/bb', tag='v1')
try:
    c.images.pull(sys.argv[2] + '/py/bb', tag='nope')
    err = None
except docker.errors.NotFound as e:
    err = e.explanation
print(json.dumps({'id': img.id, 'tags': img.tags, 'digests': img.attrs['RepoDigests'], 'err': err}))
`
  const r = await execa(PYTHON, ['-c', script, d.socket, reg.host], { reject: false, timeout: 120_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { id: string, tags: string[], digests: string[], err: string }
  t.equal(out.id, id)
  t.same(out.tags, [`${reg.host}/py/bb:v1`])
  t.match(out.digests[0], new RegExp(`^${reg.host.replace(/\./g, '\\.')}/py/bb@sha256:[0-9a-f]{64}$`))
  t.match(out.err, /manifest unknown/)
})

/** The image manifest a tag of `repo` points at in the test registry's storage. */
async function storedManifest (reg: TestRegistry, repo: string, tag: string): Promise<{ layers: Array<{ digest: string, size: number }> }> {
  const link = join(reg.storage, 'docker', 'registry', 'v2', 'repositories', repo, '_manifests', 'tags', tag, 'current', 'link')
  return JSON.parse(await readFile(reg.blobFile((await readFile(link, 'utf8')).trim()), 'utf8')) as { layers: Array<{ digest: string, size: number }> }
}

t.test('five layers: those beyond the three downloads show Waiting; each is kept as its registry blob, which save gunzips to the layer tar and push sends as it is', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const reg2 = await startRegistry(t)
  const d = await startDaemon(t)
  const tars = await Promise.all([0, 1, 2, 3, 4].map(async i => await makeTar([{ name: `f${i}`, body: `layer ${i}\n`.repeat(1000 * (i + 1)) }])))
  await pushArchive(t, reg, tars, 'five:1')
  const { layers } = await storedManifest(reg, 'five', '1')
  const r = await pull(d, `fromImage=${reg.host}/five&tag=1`)
  t.equal(r.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/five:1`)
  const short = layers.map(l => l.digest.slice(7, 19))
  t.same(r.msgs.filter(m => m.status === 'Waiting').map(m => m.id), short.slice(3), 'the fourth and fifth layers wait for a download slot')
  for (const id of short.slice(3)) {
    const mine = r.msgs.filter(m => m.id === id).map(m => m.status)
    t.same(mine.slice(0, 2), ['Pulling fs layer', 'Waiting'], `${id}: Waiting right after Pulling fs layer`)
  }

  for (const [i, l] of layers.entries()) {
    const dir = join(d.root, 'images', 'layers', sha(tars[i]!))
    const files = await readdir(dir)
    t.notOk(files.includes('layer.tar'), `layer ${i}: no uncompressed copy`)
    t.equal(sha(await readFile(join(dir, 'blob'))), l.digest.slice(7), `layer ${i}: the registry's blob is kept`)
  }

  const saved = await d.req('GET', `/images/get?names=${encodeURIComponent(`${reg.host}/five:1`)}`)
  t.equal(saved.status, 200)
  const out = await tempDir(t)
  await writeFile(join(out, 'save.tar'), saved.raw)
  await execa('tar', ['-xf', join(out, 'save.tar'), '-C', out])
  for (const tar of tars) t.ok((await readFile(join(out, 'blobs', 'sha256', sha(tar)))).equals(tar), 'save gives the layer tar back')

  t.equal((await d.req('POST', `/images/${reg.host}/five:1/tag?repo=${reg2.host}/five&tag=1`)).status, 201)
  const pushed = await stream(d, `/images/${reg2.host}/five/push?tag=1`)
  t.equal(pushed.status, 200)
  t.notOk(pushed.msgs.some(m => m.error !== undefined), JSON.stringify(pushed.msgs.slice(-2)))
  t.same((await storedManifest(reg2, 'five', '1')).layers.map(l => l.digest), layers.map(l => l.digest), 'push sends the kept blobs as they are')
})
