/**
 * Images benchmark: containers run from an image, and image import and load
 * throughput. One berthd (--log-level warn) in its own temp dir; the busybox
 * rootfs (test/.rootfs) is imported once as image `bb` (a tar of it POSTed to
 * /images/create?fromSrc=-), untimed.
 *
 *  1. `docker run --rm bb true` through the real docker CLI (/usr/local/bin/docker,
 *     DOCKER_HOST on berthd's socket, its own DOCKER_CONFIG), against, in the
 *     same rounds:
 *      - the same flow done directly over the API, as the CLI does it without
 *        its attach: POST /containers/create {Image, Cmd, HostConfig.AutoRemove},
 *        POST /wait?condition=removed (headers in before the start), start,
 *        read the wait (StatusCode 0); this separates the CLI's own cost;
 *      - the API bundle lifecycle of lifecycle.ts on the same busybox (create
 *        from an OCI bundle over the shared rootfs → wait → start → wait →
 *        DELETE): docker-run / this is the cost of the overlay and of making
 *        the spec from the image;
 *      - raw `runc run --bundle <dir> <id>` on that bundle: the baseline;
 *        the goal is docker run ≤ 2× raw runc run;
 *      - the API flow again with `SecurityOpt: seccomp=unconfined` (runc), and
 *        with and without it on crun: the per-container cost of Docker's
 *        default seccomp filter is the median of each round's difference.
 *     30 rounds (--rounds N; 5 with --quick) after 3 uncounted ones,
 *     all alternating within each round.
 *  2. Import and load throughput for one layer of 100 MiB (10 MiB with
 *     --quick) of random bytes (a tar of one file, made once): per round,
 *     POST /images/create?fromSrc=-&repo=big&tag=vN (timed), `tar -xf` of the
 *     same tar into a fresh temp dir (the raw baseline, timed), GET
 *     /images/big:vN/get into a file (timed, for reference), DELETE
 *     /images/big:vN, POST /images/load of the saved tar (timed), DELETE again.
 *     The layer is content-addressed, so the same bytes would be found in
 *     place: instead the image is deleted after each import and each load and
 *     its layer dir must then be gone, so every import and load unpacks the
 *     whole layer. 5 rounds (2 with --quick) after 1 uncounted one (none with
 *     --quick). MB/s is tar bytes (10^6) over the request's time, from its
 *     start to the end of the answer.
 *
 * One table: times in ms, throughput in MB/s; p90 is the 90th percentile of
 * the time (for a throughput row, the rate over that time); the ratio is
 * api time / raw time (for throughput: raw MB/s / api MB/s), so above 1 is
 * what berthd costs. Figures are printed and saved, never asserted; a failed
 * round (an exit code not 0, an error in a JSON-message stream, a layer left
 * after its image's removal) fails the run. Each part removes its containers
 * and images, also on failure; then every container and image still listed
 * is removed and reported, as are runtime state, mounts and processes left
 * (restart.ts's cleanup), and the temp dir is removed.
 * lifecycle.ts runs this after the interactive bench; it also runs on its own:
 *
 * usage: node dist/scripts/bench/images.js [--quick] [--rounds N]
 */
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import {
  call, interrupted, isRunning, makeBundle, median, now, percentile, progress, ROOTFS, round2, run, runStandalone,
  spawnDaemon, which, writeResults, type Daemon
} from './common.js'
import { setUpPeers, type Peer } from './peers.js'
import { inBenchDir, removeAll, RestartBenchError, untilServing, type Ctx } from './restart.js'

/** The docker client under test. */
const DOCKER = '/usr/local/bin/docker'
const WARMUP = 3
const TAR_WARMUP = 1
/** docker run ≤ GOAL × raw runc run. */
const GOAL = 2
/** The busybox image's name. */
const IMAGE = 'bb'
/** The throughput image's repository. */
const BIG = 'big'
/** Bytes per randomBytes() call while writing the layer's file. */
const CHUNK = 1024 * 1024
/** An import, load or save not answered by then is a failure. */
const TAR_TIMEOUT_MS = 120_000

/** Raised for anything that makes the figures meaningless or wrong. */
export class ImagesBenchError extends RestartBenchError {}

export interface ImagesOptions {
  /** 5 docker-run rounds, a 10 MiB layer, 2 throughput rounds, no throughput warm-up. */
  quick: boolean
  /** docker-run rounds (default 30, 5 with quick). */
  rounds?: number
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
  /** Also time podman and containerd (peers.ts), where installed, in the same docker-run rounds. */
  peers?: boolean
}

/** One line of the table. */
export interface ImagesRow {
  name: string
  unit: 'ms' | 'MB/s'
  median: number
  p90: number
  rounds: number
  rawName?: string
  rawMedian?: number
  /** api time / raw time (throughput: raw MB/s / api MB/s). */
  ratio?: number
  /** docker-run rows: the API bundle lifecycle's median (ms) and this row's median over it. */
  bundleMedian?: number
  bundleRatio?: number
  goal?: number
  /** Medians of the parts of a round (ms). */
  detailMediansMs: Record<string, number>
  /** ms per round, or MB/s per round. */
  samples: number[]
}

export interface ImagesResult {
  image: string
  docker: string
  warmup: number
  tarWarmup: number
  /** Bytes of the throughput layer's one file, and of the tar imported. */
  layerBytes: number
  importTarBytes: number
  /** How each import and load is made to unpack the whole layer. */
  freshLayer: string
  rows: ImagesRow[]
  /** With --peers: peers that are not installed. */
  peersMissing?: string[]
  /** Per runtime: the median over rounds of (API docker-run flow with Docker's seccomp filter − the same with seccomp=unconfined), ms. */
  seccompCostMs: Record<string, number>
}

// ---- helpers -------------------------------------------------------------------------

/** Durations of one round, ms: the total and each step. */
interface Steps { total: number, [step: string]: number }

/** One throughput round: bytes moved and ms taken. */
interface Transfer { bytes: number, ms: number }

/** An image layer's dir in berthd's store. */
const layerDir = (dir: string, diffId: string): string => join(dir, 'root', 'images', 'layers', diffId.replace(/^sha256:/, ''))

/** Lines of /proc/self/mounts whose mount point is under `dir`. */
function mountsUnder (dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map(l => l.split(' ')[1] ?? '').filter(m => m.startsWith(`${dir}/`))
}

/**
 * POSTs the tar `file` to `path` and reads Docker's JSON-message stream to
 * its end; rejects on a status not 200 or a message carrying an error.
 */
async function postTar (d: Daemon, path: string, file: string): Promise<Array<Record<string, unknown>>> {
  const size = (await stat(file)).size
  const r = await d.pool.request({
    method: 'POST', path, headers: { 'content-type': 'application/x-tar', 'content-length': String(size) }, body: createReadStream(file)
  })
  const text = await r.body.text()
  if (r.statusCode !== 200) throw new ImagesBenchError(`POST ${path}: HTTP ${r.statusCode}: ${text}`)
  const msgs = text.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as Record<string, unknown>)
  const bad = msgs.find(m => m.error !== undefined || m.errorDetail !== undefined)
  if (bad !== undefined) throw new ImagesBenchError(`POST ${path}: ${JSON.stringify(bad)}`)
  return msgs
}

/** Imports the tar `file` as `repo:tag`; resolves with the image id. */
export async function importTar (d: Daemon, file: string, repo: string, tag: string): Promise<string> {
  const msgs = await postTar(d, `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`, file)
  const id = msgs.at(-1)?.status
  if (typeof id !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(id)) throw new ImagesBenchError(`import ${repo}:${tag}: the last message is not the image id: ${JSON.stringify(msgs.at(-1))}`)
  return id
}

/** The diffIDs of an image's layers. */
async function layersOf (d: Daemon, ref: string): Promise<string[]> {
  const info = await call(d, 'GET', `/images/${ref}/json`, 200) as { RootFS: { Layers: string[] } }
  return info.RootFS.Layers
}

/** DELETE /images/{ref}; its layers' dirs must then be gone. */
async function deleteImage (d: Daemon, dir: string, ref: string, diffIds: string[]): Promise<void> {
  await call(d, 'DELETE', `/images/${ref}`, 200)
  const left = diffIds.filter(id => existsSync(layerDir(dir, id)))
  if (left.length > 0) throw new ImagesBenchError(`DELETE /images/${ref}: layer dir still there: ${left.map(id => layerDir(dir, id)).join(', ')}`)
}

// ---- 1. docker run --rm -------------------------------------------------------------------

/** `docker run --rm bb true` through the docker CLI. */
async function cliRun (env: NodeJS.ProcessEnv): Promise<Steps> {
  const t0 = now()
  await run(DOCKER, ['run', '--rm', IMAGE, 'true'], { env })
  return { total: now() - t0 }
}

/**
 * As `docker run` does: the wait's headers first, then start, then the wait's
 * body. Times each of the three; throws unless the container exited 0.
 */
async function waitAndStart (d: Daemon, id: string, condition: string, what: string): Promise<{ waitHeaders: number, start: number, exit: number }> {
  const t0 = now()
  const wait = await d.pool.request({ method: 'POST', path: `/containers/${id}/wait?condition=${condition}` })
  if (wait.statusCode !== 200) throw new ImagesBenchError(`wait ${id}: HTTP ${wait.statusCode}: ${await wait.body.text()}`)
  const t1 = now()
  try {
    await call(d, 'POST', `/containers/${id}/start`, 204)
  } catch (err) {
    wait.body.destroy()
    throw err
  }
  const t2 = now()
  const result = JSON.parse(await wait.body.text()) as { StatusCode: number, Error?: { Message: string } | null }
  const t3 = now()
  if (result.StatusCode !== 0) throw new ImagesBenchError(`container ${id} (${what}) exited with status ${result.StatusCode}${result.Error != null ? `: ${result.Error.Message}` : ''}`)
  return { waitHeaders: t1 - t0, start: t2 - t1, exit: t3 - t2 }
}

/**
 * The docker-run flow over the API: create (AutoRemove) → wait condition=removed (headers) → start → the wait's answer;
 * on `runtime`, with Docker's default seccomp filter unless `unconfined`. The seccomp pairs run with NetworkMode
 * none: the default bridge's netavark setup and teardown (150–250 ms, varying by as much) drowned the filter's cost.
 */
async function apiRun (d: Daemon, runtime = 'runc', unconfined?: boolean): Promise<Steps> {
  const t0 = now()
  const HostConfig = { AutoRemove: true, Runtime: runtime, ...(unconfined === undefined ? {} : { NetworkMode: 'none' }), ...(unconfined === true ? { SecurityOpt: ['seccomp=unconfined'] } : {}) }
  const { Id: id } = await call(d, 'POST', '/containers/create', 201, { Image: IMAGE, Cmd: ['true'], HostConfig }) as { Id: string }
  const t1 = now()
  const s = await waitAndStart(d, id, 'removed', `image ${IMAGE}`)
  return { total: now() - t0, create: t1 - t0, waitHeaders: s.waitHeaders, start: s.start, 'exit+removal': s.exit }
}

/** lifecycle.ts's API lifecycle on a bundle: create → wait (headers) → start → wait body → delete. */
async function apiBundle (d: Daemon, bundle: string): Promise<Steps> {
  const t0 = now()
  const { Id: id } = await call(d, 'POST', '/containers', 201, { Bundle: bundle, Runtime: 'runc' }) as { Id: string }
  const t1 = now()
  const s = await waitAndStart(d, id, 'next-exit', 'bundle')
  const t4 = now()
  await call(d, 'DELETE', `/containers/${id}`, 204)
  const t5 = now()
  return { total: t5 - t0, create: t1 - t0, ...s, delete: t5 - t4 }
}

let rawSeq = 0

/** `runc run --bundle <bundle> <id>`: create, start, wait and delete in one foreground process. */
async function rawRun (runc: string, root: string, bundle: string): Promise<Steps> {
  const id = `bm-run-${++rawSeq}`
  const t0 = now()
  await run(runc, ['--root', root, 'run', '--bundle', bundle, id])
  return { total: now() - t0 }
}

/** The seccomp pairs: the API flow per runtime with the filter and with seccomp=unconfined. */
const SECCOMP_RUNS = [['runc', false], ['runc', true], ['crun', false], ['crun', true]] as const
const seccompName = (runtime: string, unconfined: boolean): string =>
  `docker-run flow over the API (${runtime}, --network none, ${unconfined ? 'seccomp=unconfined' : 'Docker\'s seccomp filter'})`

interface RunSamples { cli: Steps[], api: Steps[], bundle: Steps[], raw: Steps[], peers: Map<string, Steps[]>, seccomp: Map<string, Steps[]> }

async function dockerRuns (d: Daemon, dir: string, runc: string, rounds: number, peers: Peer[], checkpoint: () => void): Promise<RunSamples> {
  const bundle = await makeBundle(join(dir, 'b-true'), ['/bin/true'])
  const rawRoot = join(dir, 'rawroot')
  const env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 's.sock')}`, DOCKER_CONFIG: join(dir, 'docker-config') }
  await mkdir(env.DOCKER_CONFIG, { recursive: true })
  const crun = which('crun') !== undefined
  const pairs = SECCOMP_RUNS.filter(([rt]) => rt === 'runc' || crun)
  const out: RunSamples = { cli: [], api: [], bundle: [], raw: [], peers: new Map(peers.map(p => [p.name, []])), seccomp: new Map(pairs.map(([rt, u]) => [seccompName(rt, u), []])) }
  const total = WARMUP + rounds
  for (let i = 0; i < total; i++) {
    // Alternate the four within each round so all see the same machine state.
    checkpoint()
    const c = await cliRun(env)
    checkpoint()
    const a = await apiRun(d)
    checkpoint()
    const b = await apiBundle(d, bundle)
    checkpoint()
    const r = await rawRun(runc, rawRoot, bundle)
    const p: Array<[string, Steps]> = []
    for (const peer of peers) { checkpoint(); p.push([peer.name, { total: await peer.once() }]) }
    const sc: Array<[string, Steps]> = []
    for (const [rt, u] of pairs) { checkpoint(); sc.push([seccompName(rt, u), await apiRun(d, rt, u)]) }
    const warm = i < WARMUP
    progress(`images bench: docker run, ${warm ? 'warm-up' : 'round'} ${warm ? i + 1 : i + 1 - WARMUP}/${warm ? WARMUP : rounds}`, i === total - 1)
    if (warm) continue
    out.cli.push(c); out.api.push(a); out.bundle.push(b); out.raw.push(r)
    for (const [name, steps] of p) out.peers.get(name)!.push(steps)
    for (const [name, steps] of sc) out.seccomp.get(name)!.push(steps)
  }
  return out
}

// ---- 2. import and load throughput -----------------------------------------------------------

/** Writes one file of `bytes` random bytes and a tar holding it; resolves with the tar's path. */
async function makeLayerTar (dir: string, bytes: number): Promise<string> {
  const src = join(dir, 'big-src')
  await mkdir(src)
  await pipeline(async function * () {
    for (let off = 0; off < bytes; off += CHUNK) yield randomBytes(Math.min(CHUNK, bytes - off))
  }, createWriteStream(join(src, 'big.bin')))
  const tar = join(dir, 'big.tar')
  await run('tar', ['-C', src, '-cf', tar, 'big.bin'])
  await rm(src, { recursive: true, force: true })
  return tar
}

/** GET /images/{ref}/get into `file`. */
async function saveTo (d: Daemon, ref: string, file: string): Promise<void> {
  const r = await d.pool.request({ method: 'GET', path: `/images/${ref}/get` })
  if (r.statusCode !== 200) throw new ImagesBenchError(`GET /images/${ref}/get: HTTP ${r.statusCode}: ${await r.body.text()}`)
  await pipeline(r.body, createWriteStream(file))
}

interface TarSamples { import: Transfer[], load: Transfer[], save: Transfer[], raw: Transfer[] }

async function throughput (d: Daemon, dir: string, bytes: number, rounds: number, warmup: number, checkpoint: () => void): Promise<{ samples: TarSamples, tarBytes: number }> {
  const tar = await makeLayerTar(dir, bytes)
  const tarBytes = (await stat(tar)).size
  const saved = join(dir, 'saved.tar')
  const out: TarSamples = { import: [], load: [], save: [], raw: [] }
  const total = warmup + rounds
  const mb = (t: Transfer): string => (t.bytes / 1e6 / (t.ms / 1000)).toFixed(0)
  for (let i = 0; i < total; i++) {
    const keep = i >= warmup
    const label = `images bench: ${bytes / 1024 / 1024} MiB layer, ${keep ? 'round' : 'warm-up'} ${keep ? i + 1 - warmup : i + 1}/${keep ? rounds : warmup}`
    const ref = `${BIG}:v${i + 1}`
    checkpoint()
    progress(`${label}: import`, false)
    let t0 = now()
    await importTar(d, tar, BIG, `v${i + 1}`)
    const imp = { bytes: tarBytes, ms: now() - t0 }
    const diffIds = await layersOf(d, ref)
    checkpoint()
    progress(`${label}: tar -xf`, false)
    const x = await mkdtemp(join(dir, 'x-'))
    t0 = now()
    await run('tar', ['-C', x, '-xf', tar])
    const raw = { bytes: tarBytes, ms: now() - t0 }
    await rm(x, { recursive: true, force: true })
    checkpoint()
    progress(`${label}: save`, false)
    t0 = now()
    await saveTo(d, ref, saved)
    const save = { bytes: (await stat(saved)).size, ms: now() - t0 }
    await deleteImage(d, dir, ref, diffIds)
    checkpoint()
    progress(`${label}: load`, false)
    t0 = now()
    const msgs = await postTar(d, '/images/load', saved)
    const load = { bytes: save.bytes, ms: now() - t0 }
    if (!msgs.some(m => m.stream === `Loaded image: ${ref}\n`)) throw new ImagesBenchError(`load of ${ref}'s save: no "Loaded image: ${ref}" in ${JSON.stringify(msgs)}`)
    const loadedIds = await layersOf(d, ref)
    if (loadedIds.join() !== diffIds.join()) throw new ImagesBenchError(`load of ${ref}'s save: layers ${loadedIds.join()}, not ${diffIds.join()}`)
    await deleteImage(d, dir, ref, diffIds)
    await rm(saved, { force: true })
    progress(`${label}: import ${mb(imp)}, load ${mb(load)}, save ${mb(save)}, tar -xf ${mb(raw)} MB/s`, i === total - 1)
    if (!keep) continue
    out.import.push(imp); out.load.push(load); out.save.push(save); out.raw.push(raw)
  }
  await rm(tar, { force: true })
  return { samples: out, tarBytes }
}

// ---- the bench ---------------------------------------------------------------------------------

function timeRow (name: string, samples: Steps[], raw?: ImagesRow, bundle?: ImagesRow, goal?: number): ImagesRow {
  const totals = samples.map(s => s.total)
  const detailMediansMs: Record<string, number> = {}
  for (const k of Object.keys(samples[0] ?? {})) if (k !== 'total') detailMediansMs[k] = round2(median(samples.map(s => s[k]!)))
  const row: ImagesRow = { name, unit: 'ms', median: round2(median(totals)), p90: round2(percentile(totals, 90)), rounds: samples.length, detailMediansMs, samples: totals.map(round2) }
  if (raw !== undefined) Object.assign(row, { rawName: raw.name, rawMedian: raw.median, ratio: round2(row.median / raw.median) })
  if (bundle !== undefined) Object.assign(row, { bundleMedian: bundle.median, bundleRatio: round2(row.median / bundle.median) })
  if (goal !== undefined) row.goal = goal
  return row
}

function rateRow (name: string, runs: Transfer[], raw?: ImagesRow): ImagesRow {
  const bytes = median(runs.map(r => r.bytes))
  const rate = (ms: number): number => round2(bytes / 1e6 / (ms / 1000))
  const ms = runs.map(r => r.ms)
  // The median rate is the rate of the median time; p90 is the rate over the 90th percentile time.
  const row: ImagesRow = {
    name, unit: 'MB/s', median: rate(median(ms)), p90: rate(percentile(ms, 90)), rounds: runs.length,
    detailMediansMs: { time: round2(median(ms)) }, samples: runs.map(r => round2(r.bytes / 1e6 / (r.ms / 1000)))
  }
  if (raw !== undefined) Object.assign(row, { rawName: raw.name, rawMedian: raw.median, ratio: round2(raw.median / row.median) })
  return row
}

/**
 * Removes what the parts left (every container, then every image: none
 * should be left), runc state under the raw root and mounts under `dir`;
 * returns what it found.
 */
async function leftovers (ctx: Ctx, runc: string): Promise<string[]> {
  const { dir, d } = ctx
  const problems: string[] = []
  if (d !== undefined && isRunning(d)) {
    try {
      problems.push(...await removeAll(d))
      const images = await call(d, 'GET', '/images/json?all=1', 200) as Array<{ Id: string, RepoTags: string[] | null }>
      for (const img of images) {
        problems.push(`removed leftover image ${img.Id.slice(7, 19)} (${(img.RepoTags ?? []).join(', ')})`)
        await call(d, 'DELETE', `/images/${img.Id}?force=1`, 200).catch((e: unknown) => problems.push(`could not remove image ${img.Id.slice(7, 19)}: ${(e as Error).message}`))
      }
      const layers = (await readdir(join(dir, 'root', 'images', 'layers')).catch(() => [] as string[])).filter(n => !n.startsWith('.'))
      if (layers.length > 0) problems.push(`${layers.length} layer dir(s) left with no image: ${layers.join(', ')}`)
    } catch (err) {
      problems.push(`could not remove containers and images: ${(err as Error).message}`)
    }
  }
  const rawRoot = join(dir, 'rawroot')
  for (const id of await readdir(rawRoot).catch(() => [] as string[])) {
    problems.push(`raw runc state left for ${id}`)
    await run(runc, ['--root', rawRoot, 'delete', '--force', id]).catch((e: unknown) => problems.push((e as Error).message))
  }
  for (const m of mountsUnder(dir)) {
    problems.push(`mount left: ${m}`)
    await run('umount', ['-l', m]).catch((e: unknown) => problems.push((e as Error).message))
  }
  return problems
}

async function measure (ctx: Ctx, opts: ImagesOptions, runc: string): Promise<ImagesResult> {
  const checkpoint = (): void => { if (opts.interrupted()) throw new ImagesBenchError('interrupted') }
  const rounds = opts.rounds ?? (opts.quick ? 5 : 30)
  const bytes = (opts.quick ? 10 : 100) * 1024 * 1024
  const tarRounds = opts.quick ? 2 : 5
  const tarWarmup = opts.quick ? 0 : TAR_WARMUP
  const { dir } = ctx
  ctx.d = spawnDaemon(dir, { logLevel: 'warn', timeoutMs: TAR_TIMEOUT_MS })
  await untilServing(ctx.d)
  const d = ctx.d
  const docker = (await run(DOCKER, ['--version'], { capture: true })).trim()

  let failure: unknown
  let result: ImagesResult | undefined
  try {
    const rows: ImagesRow[] = []
    // 1. docker run --rm, on the busybox image imported once.
    const bbTar = join(dir, 'bb.tar')
    await run('tar', ['-C', ROOTFS, '-cf', bbTar, '.'])
    await importTar(d, bbTar, IMAGE, 'latest')
    await rm(bbTar, { force: true })
    const bbLayers = await layersOf(d, `${IMAGE}:latest`)
    const peers = opts.peers === true ? await setUpPeers(dir) : undefined
    for (const m of peers?.missing ?? []) console.log(`peers: ${m}; skipped`)
    let s: RunSamples
    try {
      s = await dockerRuns(d, dir, runc, rounds, peers?.peers ?? [], checkpoint)
    } finally {
      await peers?.stop()
    }
    const removed = await removeAll(d)
    if (removed.length > 0) throw new ImagesBenchError(removed.join('\n'))
    await deleteImage(d, dir, `${IMAGE}:latest`, bbLayers)
    const raw = timeRow('raw runc run --bundle (true)', s.raw)
    const bundle = timeRow('api bundle lifecycle (runc, true)', s.bundle, raw)
    rows.push(
      timeRow(`docker run --rm ${IMAGE} true (docker CLI)`, s.cli, raw, bundle, GOAL),
      timeRow('docker-run flow over the API (create AutoRemove, wait removed, start)', s.api, raw, bundle),
      bundle, raw,
      ...[...s.peers].map(([name, samples]) => timeRow(name, samples, raw, bundle)),
      ...[...s.seccomp].map(([name, samples]) => timeRow(name, samples, raw, bundle))
    )
    // Paired by round, so that drift in the machine's load cancels out.
    const seccompCostMs: Record<string, number> = {}
    for (const rt of ['runc', 'crun']) {
      const on = s.seccomp.get(seccompName(rt, false)); const off = s.seccomp.get(seccompName(rt, true))
      if (on !== undefined && off !== undefined) seccompCostMs[rt] = round2(median(on.map((x, i) => x.total - off[i]!.total)))
    }
    checkpoint()

    // 2. import and load throughput.
    const { samples: t, tarBytes } = await throughput(d, dir, bytes, tarRounds, tarWarmup, checkpoint)
    const mib = bytes / 1024 / 1024
    const rawTar = rateRow(`raw tar -xf, ${mib} MiB layer tar`, t.raw)
    rows.push(
      rateRow(`import (POST /images/create?fromSrc=-), ${mib} MiB layer`, t.import, rawTar),
      rateRow(`load (POST /images/load), ${mib} MiB layer`, t.load, rawTar),
      rateRow(`save (GET /images/{name}/get), ${mib} MiB layer`, t.save),
      rawTar
    )
    result = {
      image: IMAGE, docker, warmup: WARMUP, tarWarmup, layerBytes: bytes, importTarBytes: tarBytes,
      freshLayer: 'one random tar for all rounds; the image is deleted after each import and each load, and its layer dir checked gone',
      rows,
      seccompCostMs,
      ...(peers !== undefined ? { peersMissing: peers.missing } : {})
    }
  } catch (err) {
    failure = err
  }
  // Whatever happened: the parts' containers and images (when not already gone), runtime state and mounts.
  const problems = await leftovers(ctx, runc)
  for (const p of problems) process.stderr.write(`images bench: ${p}\n`)
  if (failure !== undefined) throw failure
  if (problems.length > 0) throw new ImagesBenchError(`found ${problems.length} leftover(s): ${problems[0]!}`)
  return result!
}

/** Runs the images bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function imagesBench (opts: ImagesOptions): Promise<ImagesResult> {
  if (opts.rounds !== undefined && (!Number.isInteger(opts.rounds) || opts.rounds < 1)) throw new ImagesBenchError(`rounds must be a positive integer, got ${opts.rounds}`)
  if (!existsSync(DOCKER)) throw new ImagesBenchError(`no docker client at ${DOCKER}`)
  const runc = which('runc')
  if (runc === undefined) throw new ImagesBenchError('runc not found on PATH; run: bash scripts/setup.sh')
  // 'bm-': short, as conmon's attach socket path must fit in sun_path.
  return await inBenchDir('bm-', 'images bench', ImagesBenchError, async ctx => await measure(ctx, opts, runc))
}

// ---- output ----------------------------------------------------------------------------------

/** The Markdown table; (to stderr) the medians behind each row. */
export function printImages (r: ImagesResult): void {
  const fmt = (x: number, unit: string): string => `${x.toFixed(1)} ${unit}`
  const lines = [
    '| measurement | median | p90 | rounds | raw median | ratio (api/raw time) | ratio (/api bundle lifecycle) | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---|'
  ]
  for (const row of r.rows) {
    const api = row.ratio !== undefined
    const goal = row.goal !== undefined && api ? `≤ ${row.goal} × raw (${row.ratio! <= row.goal ? 'met' : 'missed'})` : ''
    lines.push(`| ${row.name} | ${fmt(row.median, row.unit)} | ${fmt(row.p90, row.unit)} | ${row.rounds} | ${api ? fmt(row.rawMedian!, row.unit) : ''} | ${api ? row.ratio!.toFixed(2) : ''} | ${row.bundleRatio !== undefined ? row.bundleRatio.toFixed(2) : ''} | ${goal} |`)
  }
  console.log(lines.join('\n'))
  const cost = Object.entries(r.seccompCostMs).map(([rt, ms]) => `${rt} ${ms.toFixed(1)} ms`)
  if (cost.length > 0) console.log(`\nDocker's seccomp filter per container (median of each round's filter − unconfined): ${cost.join(', ')}`)
  console.log(`\nthroughput: MB/s = tar bytes (10^6) / time; import tar ${(r.importTarBytes / 1e6).toFixed(1)} MB; ${r.freshLayer}`)
  for (const row of r.rows) {
    const parts = Object.entries(row.detailMediansMs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
    if (parts.length > 0) process.stderr.write(`  ${row.name} medians: ${parts.join(', ')}\n`)
  }
}

// ---- standalone --------------------------------------------------------------------------------

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, peers: { type: 'boolean' } }, strict: true })
  const quick = values.quick === true
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds)
  const result = await imagesBench({ quick, rounds, interrupted, peers: values.peers === true })
  printImages(result)
  const versions: Record<string, string> = { node: process.version, docker: result.docker }
  versions.runc = (await run('runc', ['--version'], { capture: true })).split('\n')[0] ?? ''
  await writeResults('images', { quick, versions, images: result })
}

runStandalone(import.meta.url, 'images bench', main)
