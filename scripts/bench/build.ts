/**
 * Build benchmark: berth's `POST /build` against `buildah bud` of the same
 * context run directly, in the same run.
 *
 * A 5-step Dockerfile on the busybox rootfs (FROM, RUN, COPY, RUN, ENV). One
 * berthd (--log-level warn) in its own temp dir with busybox imported as `bb`;
 * buildah gets the same image (saved from berth, pulled from that
 * docker-archive) in a storage of its own beside it, with the flags berth uses
 * (overlay, --layers, --pull=never, --format docker, chroot isolation).
 *
 *  - cold: with no cache (nocache=1 / --no-cache): every step runs, and berth
 *    also exports the result from buildah and loads it into its store.
 *  - cached: the same build again: every step from the cache.
 *
 * Alternating rounds (5, 2 with --quick) after 1 uncounted one. Ratio = berth
 * median / buildah median; goals ≤ 1.2 cold, ≤ 1.5 cached. Figures are
 * printed and saved, never asserted; everything is removed at the end.
 *
 *  - memory: berthd's resident memory (VmRSS, sampled every 50 ms) before and
 *    at its peak during one build of a 200 MiB context (random bytes, so the
 *    tar is as big as that; `COPY big /big`), streamed from a file. The
 *    context is unpacked to disk as it arrives, so the peak should stay far
 *    below the context's size.
 *
 * usage: node dist/scripts/bench/build.js [--quick]
 */
import { execa } from 'execa'
import { createReadStream } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { BenchError, interrupted, median, now, progress, ROOTFS, round2, rssKb, runStandalone, sleep, spawnDaemon, writeResults, type Daemon } from './common.js'
import { inBenchDir, RestartBenchError, untilServing } from './restart.js'

const WARMUP = 1
const DOCKERFILE = 'FROM bb\nRUN echo a > /a\nCOPY f /f\nRUN ls / > /b\nENV X=1\n'
const BIG_MIB = 200

export class BuildBenchError extends RestartBenchError {}

export interface BuildOptions { quick: boolean, interrupted: () => boolean }

interface Pair { berthMs: number, buildahMs: number, ratio: number, berthSamplesMs: number[], buildahSamplesMs: number[] }
/** berthd's memory around a build of a big context. */
interface Memory { contextMiB: number, buildMs: number, rssBeforeMiB: number, rssPeakMiB: number }
export interface BuildResult { rounds: number, steps: number, cold: Pair, cached: Pair, memory: Memory }

/** Sends the context tar to POST /build and reads the stream to its end; throws on an errorDetail line. */
async function berthBuild (d: Daemon, tar: Buffer | Readable, query: string): Promise<void> {
  const r = await d.pool.request({ method: 'POST', path: `/build?t=bench${query}`, body: tar, headers: { 'content-type': 'application/x-tar' } })
  const text = await r.body.text()
  if (r.statusCode !== 200 || text.includes('"errorDetail"')) throw new BuildBenchError(`berth build failed: ${r.statusCode} ${text.slice(-500)}`)
}

const pair = (b: number[], h: number[]): Pair => ({ berthMs: round2(median(b)), buildahMs: round2(median(h)), ratio: round2(median(b) / median(h)), berthSamplesMs: b.map(round2), buildahSamplesMs: h.map(round2) })

/** Builds a context of BIG_MIB MiB of random bytes while sampling berthd's VmRSS; the result is removed. */
async function bigContext (d: Daemon, dir: string): Promise<Memory> {
  progress(`build bench: a ${BIG_MIB} MiB context`, false)
  const ctx = join(dir, 'big')
  await mkdir(ctx)
  await writeFile(join(ctx, 'Dockerfile'), 'FROM bb\nCOPY big /big\n')
  const f = await open(join(ctx, 'big'), 'w')
  for (let i = 0; i < BIG_MIB; i++) await f.write(randomBytes(1024 * 1024))
  await f.close()
  const tar = join(dir, 'big.tar')
  await execa('tar', ['-C', ctx, '-cf', tar, '.'])
  await sleep(500)
  const before = rssKb(d.pid)
  let peak = before
  let sampling = true
  const sampler = (async () => { while (sampling) { peak = Math.max(peak, rssKb(d.pid)); await sleep(50) } })()
  const t0 = now()
  try {
    await berthBuild(d, createReadStream(tar), '&nocache=1')
  } finally {
    sampling = false
    await sampler
  }
  const buildMs = now() - t0
  await d.pool.request({ method: 'DELETE', path: '/images/bench?force=1' }).then(async r => { await r.body.dump() })
  const mib = (kb: number): number => round2(kb / 1024)
  return { contextMiB: BIG_MIB, buildMs: round2(buildMs), rssBeforeMiB: mib(before), rssPeakMiB: mib(peak) }
}

export async function buildBench (opts: BuildOptions): Promise<BuildResult> {
  const rounds = opts.quick ? 2 : 5
  const checkpoint = (): void => { if (opts.interrupted()) throw new BuildBenchError('interrupted') }
  return await inBenchDir('bbu-', 'build bench', BuildBenchError, async ctx => {
    const dir = ctx.dir
    const context = join(dir, 'ctx')
    await mkdir(context)
    await writeFile(join(context, 'Dockerfile'), DOCKERFILE)
    await writeFile(join(context, 'f'), 'data\n')
    const tar = Buffer.from((await execa('tar', ['-C', context, '-c', '.'], { encoding: 'buffer' })).stdout)
    ctx.d = spawnDaemon(dir, { logLevel: 'warn', timeoutMs: 300_000 })
    await untilServing(ctx.d)
    const d = ctx.d
    const rootfs = (await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })).stdout
    const imp = await d.pool.request({ method: 'POST', path: '/images/create?fromSrc=-&repo=bb', body: rootfs, headers: { 'content-type': 'application/x-tar' } })
    await imp.body.text()
    if (imp.statusCode !== 200) throw new BuildBenchError(`import of bb failed: ${imp.statusCode}`)

    // buildah's own storage, given the same base image.
    const buildah = ['--root', join(dir, 'bh'), '--runroot', join(dir, 'bhr'), '--storage-driver', 'overlay']
    const saved = join(dir, 'bb.tar')
    const get = await d.pool.request({ method: 'GET', path: '/images/bb/get' })
    await writeFile(saved, Buffer.from(await get.body.arrayBuffer()))
    const id = (await execa('buildah', [...buildah, 'pull', '-q', `docker-archive:${saved}`])).stdout.trim()
    await execa('buildah', [...buildah, 'tag', id, 'docker.io/library/bb:latest'])
    const bud = (extra: string[]) => execa('buildah', [...buildah, 'bud', '-q', '--layers', '--pull=never', '--format', 'docker', '--isolation', 'chroot', '--force-rm', ...extra, context], { env: { TMPDIR: dir } })

    const samples = { cold: { b: [] as number[], h: [] as number[] }, cached: { b: [] as number[], h: [] as number[] } }
    try {
      for (const kind of ['cold', 'cached'] as const) {
        for (let i = 0; i < WARMUP + rounds; i++) {
          checkpoint()
          const warm = i < WARMUP
          progress(`build bench: ${kind} ${warm ? 'warm-up' : `round ${i + 1 - WARMUP}/${rounds}`}`, false)
          let t0 = now()
          await berthBuild(d, tar, kind === 'cold' ? '&nocache=1' : '')
          const b = now() - t0
          t0 = now()
          await bud(kind === 'cold' ? ['--no-cache'] : [])
          const h = now() - t0
          if (!warm) { samples[kind].b.push(b); samples[kind].h.push(h) }
        }
      }
    } finally {
      await execa('buildah', [...buildah, 'rm', '--all'], { reject: false })
      await execa('buildah', [...buildah, 'rmi', '--all', '--force'], { reject: false })
      await execa('umount', [join(dir, 'bh', 'overlay')], { reject: false })
    }
    checkpoint()
    const memory = await bigContext(d, dir)
    progress('build bench: done', true)
    return { rounds, steps: 5, cold: pair(samples.cold.b, samples.cold.h), cached: pair(samples.cached.b, samples.cached.h), memory }
  })
}

export function printBuild (r: BuildResult): void {
  console.log(`build: a ${r.steps}-step Dockerfile on busybox, median of ${r.rounds} rounds`)
  console.log('              berth POST /build   buildah bud   ratio (goal)')
  console.log(`  cold        ${String(r.cold.berthMs).padStart(10)} ms   ${String(r.cold.buildahMs).padStart(8)} ms   ${r.cold.ratio} (≤ 1.2)`)
  console.log(`  cached      ${String(r.cached.berthMs).padStart(10)} ms   ${String(r.cached.buildahMs).padStart(8)} ms   ${r.cached.ratio} (≤ 1.5)`)
  const m = r.memory
  console.log(`  berthd memory during a build of a ${m.contextMiB} MiB context (${m.buildMs} ms): VmRSS ${m.rssBeforeMiB} MiB before, peak ${m.rssPeakMiB} MiB`)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true })
  if ((await execa('buildah', ['--version'], { reject: false })).exitCode !== 0) throw new BenchError('buildah is not installed; run: bash scripts/setup.sh')
  const result = await buildBench({ quick: values.quick === true, interrupted })
  printBuild(result)
  await writeResults('build', { quick: values.quick === true, build: result })
}

runStandalone(import.meta.url, 'build bench', main)
