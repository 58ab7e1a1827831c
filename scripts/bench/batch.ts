/**
 * Concurrency benchmark: N containers (`sleep 3600` on the shared busybox
 * bundle) created and started all at once through berthd's API, against N
 * `runc create` + `runc start` chains run at once straight from the CLI (no
 * monitor). Batches alternate, API then raw, so both see the same machine;
 * each batch is timed from its first request to its last container running,
 * then removed untimed (API: DELETE ?force=1; raw: kill and delete). N = 20
 * (3 batches, 1 with --quick) and 100 (1 batch): issue 7 asks the 20 batch
 * for ≤ 1.3 × raw, and the 100 batch for no errors and per-container time
 * no worse than at 20.
 *
 * usage: node dist/scripts/bench/batch.js [--quick]
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  call, interrupted, makeBundle, median, now, progress, round2, run, runStandalone, spawnDaemon, which, writeResults, type Daemon
} from './common.js'
import { inBenchDir, removeAll, RestartBenchError, untilServing, type Ctx } from './restart.js'

const GOAL_RATIO = 1.3

export class BatchBenchError extends RestartBenchError {}

export interface BatchOptions {
  quick: boolean
  interrupted: () => boolean
}

export interface BatchRow {
  n: number
  batches: number
  apiMedianMs: number
  rawMedianMs: number
  ratio: number
  /** API ms per container at this N. */
  apiPerContainerMs: number
  errors: number
  apiSamplesMs: number[]
  rawSamplesMs: number[]
}

export interface BatchResult { rows: BatchRow[], goal: number, linear: boolean | undefined }

/** Runs `fn` on 0..n-1 all at once; resolves with the ms from start to the last one, and the failures. */
async function allAtOnce (n: number, fn: (i: number) => Promise<void>): Promise<{ ms: number, errors: string[] }> {
  const t0 = now()
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)))
  const ms = now() - t0
  return { ms, errors: settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map(s => (s.reason as Error).message) }
}

async function apiBatch (d: Daemon, bundle: string, n: number): Promise<{ ms: number, errors: string[] }> {
  const r = await allAtOnce(n, async () => {
    const { Id: id } = await call(d, 'POST', '/containers', 201, { Bundle: bundle }) as { Id: string }
    await call(d, 'POST', `/containers/${id}/start`, 204)
  })
  const problems = await removeAll(d)
  return { ms: r.ms, errors: [...r.errors, ...problems] }
}

let seq = 0

async function rawBatch (runc: string, root: string, bundle: string, scratch: string, n: number): Promise<{ ms: number, errors: string[] }> {
  const ids = Array.from({ length: n }, () => `bq-${++seq}`)
  const r = await allAtOnce(n, async i => {
    await run(runc, ['--root', root, 'create', '--bundle', bundle, ids[i]!], { stderrFile: join(scratch, `${ids[i]!}.err`) })
    await run(runc, ['--root', root, 'start', ids[i]!])
  })
  await removeRaw(runc, root)
  return r
}

/** Kills and deletes every container under a raw runtime root. */
async function removeRaw (runc: string, root: string): Promise<void> {
  const ids = await readdir(root).catch(() => [] as string[])
  await Promise.all(ids.map(async id => {
    await run(runc, ['--root', root, 'kill', id, 'KILL']).catch(() => {})
    await run(runc, ['--root', root, 'delete', '--force', id]).catch(() => {})
  }))
}

async function measure (ctx: Ctx, opts: BatchOptions, runc: string): Promise<BatchResult> {
  const checkpoint = (): void => { if (opts.interrupted()) throw new BatchBenchError('interrupted') }
  ctx.d = spawnDaemon(ctx.dir, { logLevel: 'warn' })
  await untilServing(ctx.d)
  const d = ctx.d
  const bundle = await makeBundle(join(ctx.dir, 'b-sleep'), ['sleep', '3600'])
  const rawRoot = join(ctx.dir, 'rawroot')
  const rows: BatchRow[] = []
  try {
    // One small warm-up of each, untimed.
    await apiBatch(d, bundle, 4)
    await rawBatch(runc, rawRoot, bundle, ctx.dir, 4)
    for (const [n, batches] of [[20, opts.quick ? 1 : 3], [100, 1]] as const) {
      const api: number[] = []; const raw: number[] = []; const errors: string[] = []
      for (let b = 0; b < batches; b++) {
        checkpoint()
        const a = await apiBatch(d, bundle, n)
        checkpoint()
        const r = await rawBatch(runc, rawRoot, bundle, ctx.dir, n)
        api.push(a.ms); raw.push(r.ms); errors.push(...a.errors, ...r.errors)
        progress(`batch bench: ${n} at once, batch ${b + 1}/${batches}: api ${a.ms.toFixed(0)} ms, raw ${r.ms.toFixed(0)} ms`, b === batches - 1)
      }
      for (const e of errors.slice(0, 5)) process.stderr.write(`batch bench: ${n} at once: ${e}\n`)
      const apiMedianMs = round2(median(api)); const rawMedianMs = round2(median(raw))
      rows.push({
        n, batches, apiMedianMs, rawMedianMs, ratio: round2(apiMedianMs / rawMedianMs), apiPerContainerMs: round2(apiMedianMs / n),
        errors: errors.length, apiSamplesMs: api.map(round2), rawSamplesMs: raw.map(round2)
      })
    }
  } finally {
    await removeRaw(runc, rawRoot)
  }
  const [twenty, hundred] = rows
  return { rows, goal: GOAL_RATIO, linear: twenty !== undefined && hundred !== undefined ? hundred.apiPerContainerMs <= twenty.apiPerContainerMs * 1.1 : undefined }
}

/** Runs the batch bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function batchBench (opts: BatchOptions): Promise<BatchResult> {
  const runc = which('runc')
  if (runc === undefined) throw new BatchBenchError('runc not found on PATH; run: bash scripts/setup.sh')
  return await inBenchDir('bq-', 'batch bench', BatchBenchError, async ctx => await measure(ctx, opts, runc))
}

export function printBatch (r: BatchResult): void {
  const lines = [
    '| N created and started at once | api median ms | raw runc median ms | ratio | api ms per container | errors | goal |',
    '|---:|---:|---:|---:|---:|---:|---|'
  ]
  for (const row of r.rows) {
    const goal = row.n === 20
      ? `≤ ${r.goal} × raw (${row.ratio <= r.goal ? 'met' : 'missed'})`
      : `no errors, per container ≤ N=20's (${row.errors === 0 && r.linear === true ? 'met' : 'missed'})`
    lines.push(`| ${row.n} | ${row.apiMedianMs.toFixed(0)} | ${row.rawMedianMs.toFixed(0)} | ${row.ratio.toFixed(2)} | ${row.apiPerContainerMs.toFixed(1)} | ${row.errors} | ${goal} |`)
  }
  console.log(lines.join('\n'))
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true })
  const result = await batchBench({ quick: values.quick === true, interrupted })
  printBatch(result)
  const versions = { node: process.version, runc: (await run('runc', ['--version'], { capture: true })).split('\n')[0] ?? '' }
  await writeResults('batch', { versions, batch: result })
}

runStandalone(import.meta.url, 'batch bench', main)
