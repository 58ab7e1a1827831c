/**
 * Pulls that survive faults, against a real registry behind a TCP proxy the
 * test controls: a layer download cut mid-body resumes with a Range request
 * (in the same pull, and in the next one after berthd is SIGKILLed); a
 * registry that ignores Range is started over cleanly; a partial download
 * whose bytes are wrong is removed; two pulls at once download each layer
 * once; `Extracting` reports progress. And the daemon's registry options:
 * a TLS registry trusted through certs.d (refused with Docker's x509 message
 * without it), --insecure-registry, --registry-mirror, /info RegistryConfig.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { berthdCommand, makeTar, startDaemon, until, type Daemon } from './helpers.js'
import { noRegistry, pull, pushArchive, startProxy, startRegistry, statuses, type Msg, type TestRegistry } from './registry-helpers.js'

const MiB = 1024 * 1024

/** An image of one layer of `mib` MiB of random bytes pushed as `repo:latest`; returns the layer's blob digest and size. */
async function bigImage (t: Tap, reg: TestRegistry, repo: string, mib: number): Promise<{ digest: string, size: number }> {
  const tar = await makeTar([{ name: 'random.bin', body: randomBytes(mib * MiB) }])
  await pushArchive(t, reg, [tar], `${repo}:latest`)
  // skopeo compresses the docker-archive's layer with its own gzip: the blob pushed is found in the manifest.
  const link = join(reg.storage, 'docker', 'registry', 'v2', 'repositories', repo, '_manifests', 'tags', 'latest', 'current', 'link')
  const manifest = JSON.parse(await readFile(reg.blobFile((await readFile(link, 'utf8')).trim()), 'utf8')) as { layers: Array<{ digest: string, size: number }> }
  return manifest.layers[0]!
}
type Tap = Parameters<typeof pushArchive>[0]

const ingestOf = (d: Daemon): string => join(d.root, 'images', 'ingest')
const succeeded = (r: { msgs: Msg[] }, ref: string): boolean => r.msgs.at(-1)?.status === `Status: Downloaded newer image for ${ref}`

t.test('a layer download cut mid-body resumes with a Range request in the same pull: nothing is fetched twice', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const proxy = await startProxy(t, reg.host)
  const d = await startDaemon(t)
  const layer = await bigImage(t, reg, 'big', 4)
  proxy.rule = { digest: layer.digest, after: MiB, mode: 'cut' }
  const r = await pull(d, `fromImage=${proxy.host}/big&tag=latest`)
  t.ok(succeeded(r, `${proxy.host}/big:latest`), JSON.stringify(r.msgs.slice(-3)))
  t.equal(proxy.gets(layer.digest), 2, 'the layer was asked for twice')
  const [range] = proxy.ranges(layer.digest)
  const from = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1])
  t.ok(from > 0.9 * MiB && from < MiB, `the second asked from where the first stopped (${range ?? 'no Range'})`)
  const again = proxy.sent(layer.digest) - layer.size
  t.ok(again < 4096, `bytes fetched beyond the layer's size: ${again} (response headers only), of ${MiB} cut off`)
  const s = statuses(r.msgs)
  t.ok(s.includes('Retrying in 1 second'), 'the retry is shown')
  const id = layer.digest.slice(7, 19)
  const mine = r.msgs.filter(m => m.id === id).map(m => m.status)
  t.ok(mine.indexOf('Extracting') > mine.indexOf('Download complete') && mine.lastIndexOf('Extracting') < mine.indexOf('Pull complete'), 'Extracting comes between Download complete and Pull complete')
  const ex = r.msgs.filter(m => m.id === id && m.status === 'Extracting')
  t.ok(ex.every(m => m.progressDetail!.total === layer.size), 'Extracting totals the compressed layer\'s size')
  t.equal(ex.at(-1)!.progressDetail!.current, layer.size, 'and counts up to it')
  const downs = r.msgs.filter(m => m.id === id && m.status === 'Downloading').map(m => m.progressDetail!.current!)
  t.same(downs, [...downs].sort((a, b) => a - b), 'Downloading never goes back')
  t.equal((await d.req('GET', `/images/${proxy.host}/big:latest/json`)).status, 200)
  t.same(await readdir(ingestOf(d)), [], 'the download is gone from the ingest dir once unpacked')
})

t.test('a registry that ignores Range (200, not 206): the download starts over cleanly', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const proxy = await startProxy(t, reg.host)
  const d = await startDaemon(t)
  const layer = await bigImage(t, reg, 'big', 2)
  proxy.stripRange = true
  proxy.rule = { digest: layer.digest, after: MiB, mode: 'cut' }
  const r = await pull(d, `fromImage=${proxy.host}/big&tag=latest`)
  t.ok(succeeded(r, `${proxy.host}/big:latest`), JSON.stringify(r.msgs.slice(-3)))
  t.equal(proxy.ranges(layer.digest).length, 1, 'berth asked for a range')
  const sent = proxy.sent(layer.digest)
  t.ok(sent > layer.size + 0.9 * MiB && sent < layer.size + MiB + 4096, `the whole layer came again (${sent} bytes for a ${layer.size}-byte layer)`)
})

t.test('berthd SIGKILLed mid-layer: the next pull resumes the partial download', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const proxy = await startProxy(t, reg.host)
  const d = await startDaemon(t)
  const layer = await bigImage(t, reg, 'big', 4)
  proxy.rule = { digest: layer.digest, after: 2 * MiB, mode: 'stall' }
  const first = d.client.request({ method: 'POST', path: `/images/create?fromImage=${proxy.host}/big&tag=latest` }).then(r => r.body.text()).catch(() => '')
  await proxy.held()
  const partial = join(ingestOf(d), layer.digest.slice(7))
  await until(async () => ((await stat(partial).catch(() => undefined))?.size ?? 0) > 1.9 * MiB, 20_000, 'the partial download to reach the stall')
  await d.stop('SIGKILL')
  await first
  const kept = (await stat(partial)).size
  const d2 = await d.restart()
  const before = proxy.sent(layer.digest)
  const r = await pull(d2, `fromImage=${proxy.host}/big&tag=latest`)
  t.ok(succeeded(r, `${proxy.host}/big:latest`), JSON.stringify(r.msgs.slice(-3)))
  t.same(proxy.ranges(layer.digest), [`bytes=${kept}-`], 'the second pull asked for the rest')
  const second = proxy.sent(layer.digest) - before
  t.ok(second < layer.size - kept + 4096, `the second pull fetched ${second} bytes; ${layer.size - kept} were missing`)
  t.same(await readdir(ingestOf(d2)), [])
  proxy.release()
})

t.test('a partial download whose bytes are wrong is removed and the pull fails clearly; the next pull starts afresh', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  const layer = await bigImage(t, reg, 'big', 1)
  await mkdir(ingestOf(d), { recursive: true })
  await writeFile(join(ingestOf(d), layer.digest.slice(7)), randomBytes(1000))
  const r = await pull(d, `fromImage=${reg.host}/big&tag=latest`)
  t.equal(r.msgs.at(-1)?.errorDetail?.message, `filesystem layer verification failed for digest ${layer.digest}`)
  t.same(await readdir(ingestOf(d)), [], 'the partial is removed')
  t.equal((await d.req('GET', `/images/${reg.host}/big/json`)).status, 404, 'no image is left')
  t.ok(succeeded(await pull(d, `fromImage=${reg.host}/big&tag=latest`), `${reg.host}/big:latest`), 'the next pull downloads it whole')
})

t.test('two pulls of the same image at once download each layer once', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const proxy = await startProxy(t, reg.host)
  const d = await startDaemon(t)
  const a = await makeTar([{ name: 'a.bin', body: randomBytes(2 * MiB) }])
  const b = await makeTar([{ name: 'b.bin', body: randomBytes(2 * MiB) }])
  await pushArchive(t, reg, [a, b], 'two:latest')
  const link = join(reg.storage, 'docker', 'registry', 'v2', 'repositories', 'two', '_manifests', 'tags', 'latest', 'current', 'link')
  const manifest = JSON.parse(await readFile(reg.blobFile((await readFile(link, 'utf8')).trim()), 'utf8')) as { config: { digest: string }, layers: Array<{ digest: string }> }
  // The first layer's response is held until the second pull has asked for the config: it then finds the download running.
  proxy.rule = { digest: manifest.layers[0]!.digest, after: MiB, mode: 'stall' }
  const both = Promise.all([pull(d, `fromImage=${proxy.host}/two&tag=latest`), pull(d, `fromImage=${proxy.host}/two&tag=latest`)])
  await proxy.held()
  await until(() => proxy.gets(manifest.config.digest) === 2, 20_000, 'the second pull to fetch the config')
  await new Promise(resolve => setTimeout(resolve, 300))
  proxy.release()
  const [one, two] = await both
  for (const r of [one, two]) t.match(r.msgs.at(-1)?.status, new RegExp(`^Status: (Downloaded newer image|Image is up to date) for ${proxy.host}/two:latest$`), JSON.stringify(r.msgs.slice(-3)))
  for (const l of manifest.layers) t.equal(proxy.gets(l.digest), 1, `layer ${l.digest.slice(7, 19)} was downloaded once`)
  const joined = two.msgs.filter(m => m.id === manifest.layers[0]!.digest.slice(7, 19) && m.status === 'Downloading')
  t.ok(joined.length > 0 || one.msgs.some(m => m.status === 'Downloading'), 'the shared download\'s progress is shown')
  t.same(await readdir(ingestOf(d)), [])
})

t.test('a TLS registry: refused with Docker\'s x509 message, trusted through certs.d, or reached unverified with --insecure-registry; /info', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { tls: true })
  await pushArchive(t, reg, [await makeTar([{ name: 'f', body: 'tls\n' }])], 'sec:latest')
  const d = await startDaemon(t)
  const refused = await pull(d, `fromImage=${reg.host}/sec&tag=latest`)
  t.equal(refused.status, 500)
  t.equal(refused.message, `Get "https://${reg.host}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`)
  const certs = join(d.root, 'certs.d', reg.host)
  await mkdir(certs, { recursive: true })
  await copyFile(reg.certs!.caFile, join(certs, 'ca.crt'))
  t.ok(succeeded(await pull(d, `fromImage=${reg.host}/sec&tag=latest`), `${reg.host}/sec:latest`), 'pulled with the CA from certs.d, no restart')

  const insecure = await startDaemon(t, ['--insecure-registry', reg.host, '--insecure-registry', '10.9.0.0/16'])
  t.ok(succeeded(await pull(insecure, `fromImage=${reg.host}/sec&tag=latest`), `${reg.host}/sec:latest`), '--insecure-registry: TLS without verification')
  const info = (await insecure.req('GET', '/info')).body.RegistryConfig
  t.same(info.InsecureRegistryCIDRs, ['127.0.0.0/8', '10.9.0.0/16'])
  t.same(info.IndexConfigs[reg.host], { Name: reg.host, Mirrors: [], Secure: false, Official: false })
  t.same(info.Mirrors, [])
})

t.test('--registry-mirror: docker.io references come from the mirrors, a dead one skipped; /info lists them', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  await pushArchive(t, reg, [await makeTar([{ name: 'f', body: 'mirrored\n' }])], 'library/mirrored:latest')
  const d = await startDaemon(t, ['--registry-mirror', 'http://127.0.0.1:1', '--registry-mirror', `http://${reg.host}`])
  const r = await pull(d, 'fromImage=mirrored&tag=latest')
  t.ok(succeeded(r, 'mirrored:latest'), JSON.stringify(r))
  t.same(statuses(r.msgs)[0], 'Pulling from library/mirrored')
  const img = (await d.req('GET', '/images/mirrored/json')).body
  t.same(img.RepoTags, ['mirrored:latest'])
  t.match(img.RepoDigests[0], /^mirrored@sha256:[0-9a-f]{64}$/)
  const info = (await d.req('GET', '/info')).body.RegistryConfig
  t.same(info.Mirrors, ['http://127.0.0.1:1/', `http://${reg.host}/`])
  t.same(info.IndexConfigs['docker.io'].Mirrors, info.Mirrors)
})

t.test('berthd refuses bad registry options with a clear message', async t => {
  for (const [args, want] of [
    [['--registry-mirror', 'https://m.example/v2/'], /invalid mirror: path, query, or fragment/],
    [['--insecure-registry', 'http://reg.example'], /should not contain '::\/\/'|should not contain/]
  ] as const) {
    const r = await execa(...berthdCommand([...args, '--socket', '/nonexistent/s.sock']), { reject: false, timeout: 20_000 })
    t.equal(r.exitCode, 2, r.stderr)
    t.match(r.stderr, want)
  }
})
