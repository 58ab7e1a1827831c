/**
 * Pull benchmark: berth's registry pull against `skopeo copy`, and what a
 * resumed pull downloads again.
 *
 * A 5-layer image of random (incompressible) bytes, 42 MiB a layer (210 MiB
 * of layer tars; 40 and 8 MiB with --quick), is written once as an OCI layout
 * and pushed with skopeo to Debian's docker-registry on 127.0.0.1 (a free
 * port, its own storage; test/registry-helpers.ts starts it). One berthd
 * (--log-level warn) in its own temp dir.
 *
 *  1. Per round, alternating: `POST /images/create?fromImage=…` read to the
 *     end of its progress stream (download, verify and unpack of every layer:
 *     the image is deleted after each pull and its layer dirs checked gone, so
 *     none is `Already exists`), then `skopeo copy docker://… oci:DIR` into a
 *     fresh dir (download and verify only; removed after). 5 rounds (2 with
 *     --quick) after 1 uncounted one. Ratio = berth time / skopeo time; the
 *     goal is ≤ 1.0.
 *  2. Resume: the same pull through a TCP proxy (test/registry-helpers.ts
 *     startProxy) that closes the connection of the first layer's download at
 *     50 % of it. Reported: the bytes the proxy passed on beyond the blobs'
 *     sizes (downloaded again; response headers included), the cut offset
 *     (what a pull without resume would fetch again), and the pull's time
 *     (which includes the 1 s wait before the retry).
 *
 *  3. Push, alternating per round: the pulled image tagged into a fresh
 *     registry and `POST /images/{name}/push` read to the end of its stream
 *     (every layer uploaded: its kept blob sent as it is, in 8 MiB chunks),
 *     then `skopeo copy oci:DIR docker://…` of the same image (the layout a
 *     skopeo pull wrote) into another fresh registry. Each registry is
 *     stopped and its storage removed after its push. Same rounds as 1.
 *
 * Figures are printed and saved, never asserted. Everything is removed at the
 * end, also on failure (restart.ts's inBenchDir), the registry stopped by pid.
 *
 * usage: node dist/scripts/bench/pull.js [--quick]
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { call, interrupted, median, now, percentile, progress, round2, run, runStandalone, spawnDaemon, writeResults, type Daemon } from './common.js'
import { inBenchDir, RestartBenchError, untilServing } from './restart.js'
import { makeTar } from '../../test/helpers.js'
import { LAYOUT_REF, noRegistry, SKOPEO, startProxy, startRegistry, writeLayout } from '../../test/registry-helpers.js'
import { HOST_ARCH } from '../../src/images/types.js'

const LAYERS = 5
const WARMUP = 1
/** A pull not finished by then is a failure. */
const PULL_TIMEOUT_MS = 300_000
const MiB = 1024 * 1024

/** Raised for anything that makes the figures meaningless or wrong. */
export class PullBenchError extends RestartBenchError {}

export interface PullOptions { quick: boolean, interrupted: () => boolean }

export interface PullResult {
  layers: number
  /** Bytes of the layer tars, and of the compressed blobs the registry serves. */
  tarBytes: number
  blobBytes: number
  rounds: number
  berth: { medianMs: number, p90Ms: number, mbPerS: number, samplesMs: number[] }
  skopeo: { medianMs: number, p90Ms: number, mbPerS: number, samplesMs: number[] }
  /** berth median / skopeo median. */
  ratio: number
  goal: number
  resume: { layerBytes: number, cutAt: number, downloadedAgain: number, withoutResume: number, ms: number, requests: number }
  push: { berth: PullResult['berth'], skopeo: PullResult['berth'], ratio: number }
}

/** Reads a pull's progress stream to its end; throws on an error line or a status not 200. */
async function pullOnce (d: Daemon, ref: string): Promise<Array<{ status?: string, error?: string }>> {
  const r = await d.pool.request({ method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(ref)}` })
  const text = await r.body.text()
  if (r.statusCode !== 200) throw new PullBenchError(`pull ${ref}: HTTP ${r.statusCode}: ${text}`)
  const msgs = text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { status?: string, error?: string })
  const bad = msgs.find(m => m.error !== undefined)
  if (bad !== undefined) throw new PullBenchError(`pull ${ref}: ${bad.error!}`)
  if (msgs.some(m => m.status === 'Already exists')) throw new PullBenchError(`pull ${ref}: a layer was already there; the figures would not be a full pull`)
  return msgs
}

/** Reads a push's progress stream to its end; throws on an error line, or when a layer was not uploaded. */
async function pushOnce (d: Daemon, name: string): Promise<void> {
  const r = await d.pool.request({ method: 'POST', path: `/images/${encodeURIComponent(name)}/push?tag=latest` })
  const text = await r.body.text()
  if (r.statusCode !== 200) throw new PullBenchError(`push ${name}: HTTP ${r.statusCode}: ${text}`)
  const msgs = text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { status?: string, error?: string })
  const bad = msgs.find(m => m.error !== undefined)
  if (bad !== undefined) throw new PullBenchError(`push ${name}: ${bad.error!}`)
  if (msgs.filter(m => m.status === 'Pushed').length !== LAYERS) throw new PullBenchError(`push ${name}: not every layer was uploaded: ${JSON.stringify(msgs.filter(m => m.status !== 'Pushing'))}`)
}

/** Deletes the pulled image; its layer dirs must then be gone. */
async function removeImage (d: Daemon, dir: string, ref: string): Promise<void> {
  await call(d, 'DELETE', `/images/${ref}`, 200)
  const left = (await readdir(join(dir, 'root', 'images', 'layers'))).filter(n => !n.startsWith('.'))
  if (left.length > 0) throw new PullBenchError(`DELETE /images/${ref}: ${left.length} layer dir(s) still there`)
}

async function measure (dir: string, ctx: { d: Daemon | undefined }, opts: PullOptions): Promise<PullResult> {
  const checkpoint = (): void => { if (opts.interrupted()) throw new PullBenchError('interrupted') }
  const teardowns: Array<() => unknown> = []
  const tap = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }
  try {
    const layerMiB = opts.quick ? 8 : 42
    const rounds = opts.quick ? 2 : 5
    progress('pull bench: writing the image', false)
    const layers: Buffer[] = []
    for (let i = 0; i < LAYERS; i++) layers.push(await makeTar([{ name: `layer${i}.bin`, body: randomBytes(layerMiB * MiB) }]))
    const tarBytes = layers.reduce((n, l) => n + l.length, 0)
    const layout = join(dir, 'layout')
    await writeLayout(layout, [{ architecture: HOST_ARCH, layers }])
    layers.length = 0
    const reg = await startRegistry(tap)
    await reg.push(`oci:${layout}:${LAYOUT_REF}`, 'big:latest', { all: true })
    await rm(layout, { recursive: true, force: true })
    const index = JSON.parse(await readFile(reg.blobFile((await readFile(join(reg.storage, 'docker', 'registry', 'v2', 'repositories', 'big', '_manifests', 'tags', 'latest', 'current', 'link'), 'utf8')).trim()), 'utf8')) as { manifests: Array<{ digest: string }> }
    const manifest = JSON.parse(await readFile(reg.blobFile(index.manifests[0]!.digest), 'utf8')) as { layers: Array<{ digest: string, size: number }> }
    const blobBytes = manifest.layers.reduce((n, l) => n + l.size, 0)

    ctx.d = spawnDaemon(dir, { logLevel: 'warn', timeoutMs: PULL_TIMEOUT_MS })
    await untilServing(ctx.d)
    const d = ctx.d
    const ref = `${reg.host}/big:latest`
    const berth: number[] = []
    const skopeo: number[] = []
    for (let i = 0; i < WARMUP + rounds; i++) {
      checkpoint()
      const warm = i < WARMUP
      progress(`pull bench: ${warm ? 'warm-up' : `round ${i + 1 - WARMUP}/${rounds}`}`, false)
      let t0 = now()
      await pullOnce(d, ref)
      const b = now() - t0
      await removeImage(d, dir, ref)
      const out = join(dir, `oci-${i}`)
      t0 = now()
      await run(SKOPEO, ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:big`])
      const s = now() - t0
      await rm(out, { recursive: true, force: true })
      if (!warm) { berth.push(b); skopeo.push(s) }
    }

    // Resume: the first layer's connection is closed at half of it.
    checkpoint()
    progress('pull bench: resume', false)
    const proxy = await startProxy(tap, reg.host)
    const first = manifest.layers[0]!
    const cutAt = Math.floor(first.size / 2)
    proxy.rule = { digest: first.digest, after: cutAt, mode: 'cut' }
    const viaProxy = `${proxy.host}/big:latest`
    const t0 = now()
    await pullOnce(d, viaProxy)
    const ms = now() - t0
    const sent = manifest.layers.reduce((n, l) => n + proxy.sent(l.digest), 0)
    await removeImage(d, dir, viaProxy)

    // Push: each push into a registry of its own, so that nothing is there or mountable.
    await pullOnce(d, ref)
    const layout2 = join(dir, 'oci-push')
    await run(SKOPEO, ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout2}:big`])
    const pushTo = async (fn: (host: string) => Promise<void>): Promise<number> => {
      const own: Array<() => unknown> = []
      try {
        const target = await startRegistry({ teardown: f => { own.push(f) } })
        const t0 = now()
        await fn(target.host)
        return now() - t0
      } finally {
        for (const f of own.reverse()) await f()
      }
    }
    const pushBerth: number[] = []
    const pushSkopeo: number[] = []
    for (let i = 0; i < WARMUP + rounds; i++) {
      checkpoint()
      progress(`pull bench: push ${i < WARMUP ? 'warm-up' : `round ${i + 1 - WARMUP}/${rounds}`}`, false)
      const b = await pushTo(async host => {
        await call(d, 'POST', `/images/${encodeURIComponent(ref)}/tag?repo=${encodeURIComponent(`${host}/big`)}&tag=latest`, 201)
        await pushOnce(d, `${host}/big`)
        await call(d, 'DELETE', `/images/${encodeURIComponent(`${host}/big:latest`)}`, 200)
      })
      const s = await pushTo(async host => { await run(SKOPEO, ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout2}:big`, `docker://${host}/big:latest`]) })
      if (i >= WARMUP) { pushBerth.push(b); pushSkopeo.push(s) }
    }
    await rm(layout2, { recursive: true, force: true })
    await removeImage(d, dir, ref)
    progress('pull bench: done', true)

    const stats = (xs: number[]): PullResult['berth'] => ({ medianMs: round2(median(xs)), p90Ms: round2(percentile(xs, 90)), mbPerS: round2(blobBytes / 1e6 / (median(xs) / 1000)), samplesMs: xs.map(round2) })
    return {
      layers: LAYERS, tarBytes, blobBytes, rounds,
      berth: stats(berth), skopeo: stats(skopeo), ratio: round2(median(berth) / median(skopeo)), goal: 1,
      resume: { layerBytes: first.size, cutAt, downloadedAgain: sent - blobBytes, withoutResume: cutAt, ms: round2(ms), requests: proxy.gets(first.digest) },
      push: { berth: stats(pushBerth), skopeo: stats(pushSkopeo), ratio: round2(median(pushBerth) / median(pushSkopeo)) }
    }
  } finally {
    for (const fn of teardowns.reverse()) await fn()
  }
}

/** Runs the pull bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function pullBench (opts: PullOptions): Promise<PullResult> {
  if (noRegistry !== false) throw new PullBenchError(noRegistry)
  if (!existsSync(SKOPEO)) throw new PullBenchError(`no skopeo at ${SKOPEO}`)
  return await inBenchDir('bp-', 'pull bench', PullBenchError, async ctx => await measure(ctx.dir, ctx, opts))
}

/** The Markdown table. */
export function printPull (r: PullResult): void {
  const mb = (b: number): string => (b / MiB).toFixed(1)
  console.log([
    `pull of ${r.layers} layers, ${mb(r.tarBytes)} MiB of tars (${mb(r.blobBytes)} MiB compressed), ${r.rounds} rounds, alternating`,
    '',
    '| measurement | median | p90 | MB/s (compressed) | ratio | goal |',
    '|---|---:|---:|---:|---:|---|',
    `| berth pull (download, verify, unpack) | ${r.berth.medianMs.toFixed(0)} ms | ${r.berth.p90Ms.toFixed(0)} ms | ${r.berth.mbPerS.toFixed(0)} | ${r.ratio.toFixed(2)} | ≤ ${r.goal} × skopeo (${r.ratio <= r.goal ? 'met' : 'missed'}) |`,
    `| skopeo copy docker:// oci: (download, verify) | ${r.skopeo.medianMs.toFixed(0)} ms | ${r.skopeo.p90Ms.toFixed(0)} ms | ${r.skopeo.mbPerS.toFixed(0)} | | |`,
    `| berth push (kept blobs, 8 MiB chunks) | ${r.push.berth.medianMs.toFixed(0)} ms | ${r.push.berth.p90Ms.toFixed(0)} ms | ${r.push.berth.mbPerS.toFixed(0)} | ${r.push.ratio.toFixed(2)} | ≤ ${r.goal} × skopeo (${r.push.ratio <= r.goal ? 'met' : 'missed'}) |`,
    `| skopeo copy oci: docker:// | ${r.push.skopeo.medianMs.toFixed(0)} ms | ${r.push.skopeo.p90Ms.toFixed(0)} ms | ${r.push.skopeo.mbPerS.toFixed(0)} | | |`,
    '',
    `resume: the first layer (${r.resume.layerBytes} bytes) cut at ${r.resume.cutAt}; downloaded again: ${r.resume.downloadedAgain} bytes ` +
      `(response headers included; without resume: ${r.resume.withoutResume}); ${r.resume.requests} requests for that layer; pull took ${r.resume.ms.toFixed(0)} ms incl. the 1 s retry wait`
  ].join('\n'))
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true })
  const result = await pullBench({ quick: values.quick === true, interrupted })
  printPull(result)
  const skopeo = (await run(SKOPEO, ['--version'], { capture: true })).trim()
  await writeResults('pull', { quick: values.quick === true, versions: { node: process.version, skopeo }, pull: result })
}

runStandalone(import.meta.url, 'pull bench', main)
