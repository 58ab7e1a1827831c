/**
 * --userns-remap benchmark (issue 17): what remapping costs. One berthd with
 * `--userns-remap default` (it makes the `berth-remap` user if missing,
 * as dockerd makes dockremap; the user stays, as dockremap does):
 *
 *  - the per-container lifecycle of an image container (create, start,
 *    wait for `true`, remove) remapped and with `UsernsMode: host`,
 *    alternating in one run so that the machine's load hits both alike, on
 *    runc and crun;
 *  - the one-time cost of an image's shifted layer copy: the first create
 *    (no start) of the image, which copies, against the median create after it, for
 *    the busybox image and for a bigger one (the host's /usr/lib/python3,
 *    when present: thousands of small files).
 *
 * Figures are printed and saved, never asserted.
 *
 * usage: node dist/scripts/bench/userns.js [--quick] [--rounds N]
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { call, interrupted, median, now, percentile, progress, ROOTFS, round2, runStandalone, spawnDaemon, writeResults, type Daemon } from './common.js'
import { inBenchDir, RestartBenchError, untilServing } from './restart.js'

export class UsernsBenchError extends RestartBenchError {}

export interface UsernsOptions { quick: boolean, rounds: number, interrupted: () => boolean }

interface Lifecycle { runtime: string, mode: 'remapped' | 'host', medianMs: number, p90Ms: number }
interface CopyCost { image: string, files: number, firstCreateMs: number, laterCreateMs: number, copyMs: number }
export interface UsernsResult { rounds: number, lifecycle: Lifecycle[], copy: CopyCost[] }

const BIG = '/usr/lib/python3'

async function importTar (d: Daemon, repo: string, dir: string): Promise<number> {
  const tar = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 })
  const r = await d.pool.request({ method: 'POST', path: `/images/create?fromSrc=-&repo=${repo}`, body: tar })
  if (r.statusCode !== 200) throw new UsernsBenchError(`import ${repo}: HTTP ${r.statusCode}: ${await r.body.text()}`)
  await r.body.dump()
  return Number(execFileSync('sh', ['-c', `find ${dir} | wc -l`]).toString().trim())
}

/** One create and remove of `image` (the copy is made at create); its ms. */
async function createMs (d: Daemon, image: string): Promise<number> {
  const t0 = now()
  const { Id } = await call(d, 'POST', '/containers/create', 201, { Image: image, Cmd: ['true'] }) as { Id: string }
  const ms = now() - t0
  await call(d, 'DELETE', `/containers/${Id}`, 204)
  return ms
}

/** One create → start → wait → remove of `image` running `true`; its ms, and the create's. */
async function lifecycle (d: Daemon, image: string, runtime: string, host: boolean): Promise<number> {
  const t0 = now()
  const { Id } = await call(d, 'POST', '/containers/create', 201, { Image: image, Cmd: ['true'], HostConfig: { Runtime: runtime, ...(host ? { UsernsMode: 'host' } : {}) } }) as { Id: string }
  await call(d, 'POST', `/containers/${Id}/start`, 204)
  await call(d, 'POST', `/containers/${Id}/wait`, 200)
  await call(d, 'DELETE', `/containers/${Id}`, 204)
  return now() - t0
}

async function measure (d: Daemon, opts: UsernsOptions): Promise<UsernsResult> {
  const images: Array<[string, string]> = [['ub', ROOTFS], ...(existsSync(BIG) ? [['upy', BIG] as [string, string]] : [])]
  const copy: CopyCost[] = []
  for (const [repo, dir] of images) {
    const files = await importTar(d, repo, dir)
    const first = await createMs(d, repo)
    const later: number[] = []
    for (let i = 0; i < 5; i++) later.push(await createMs(d, repo))
    copy.push({ image: repo === 'ub' ? 'busybox' : BIG, files, firstCreateMs: round2(first), laterCreateMs: round2(median(later)), copyMs: round2(first - median(later)) })
  }
  const samples = new Map<string, number[]>()
  const runtimes = ['runc', 'crun']
  for (let i = 0; i < opts.rounds + 3; i++) {
    for (const rt of runtimes) {
      for (const host of [false, true]) {
        if (opts.interrupted()) throw new UsernsBenchError('interrupted')
        const total = await lifecycle(d, 'ub', rt, host)
        if (i >= 3) samples.set(`${rt} ${String(host)}`, [...(samples.get(`${rt} ${String(host)}`) ?? []), total])
      }
    }
    progress(`round ${i + 1}/${opts.rounds + 3}`, false)
  }
  progress('measured', true)
  const out: Lifecycle[] = []
  for (const rt of runtimes) {
    for (const host of [false, true]) {
      const s = samples.get(`${rt} ${String(host)}`)!
      out.push({ runtime: rt, mode: host ? 'host' : 'remapped', medianMs: round2(median(s)), p90Ms: round2(percentile(s, 90)) })
    }
  }
  return { rounds: opts.rounds, lifecycle: out, copy }
}

/** Runs the userns bench in its own temp dir; always cleans up. */
export async function usernsBench (opts: UsernsOptions): Promise<UsernsResult> {
  return await inBenchDir('bu-', 'userns bench', UsernsBenchError, async ctx => {
    // The remapped root must reach its rootfs under the bench dir (mkdtemp makes it 0700).
    await chmod(ctx.dir, 0o711)
    const d = ctx.d = spawnDaemon(ctx.dir, { logLevel: 'warn', args: ['--userns-remap', 'default'] })
    await untilServing(d)
    return await measure(d, opts)
  })
}

/** The Markdown tables. */
export function printUserns (r: UsernsResult): void {
  console.log(['| image container lifecycle (`true`) | median ms | p90 ms |', '|---|---:|---:|',
    ...r.lifecycle.map(l => `| ${l.runtime}, ${l.mode === 'host' ? '--userns=host' : 'remapped'} | ${l.medianMs} | ${l.p90Ms} |`)].join('\n'))
  console.log(['', '| one-time layer copy per image | files | first create ms | later create ms | copy ms |', '|---|---:|---:|---:|---:|',
    ...r.copy.map(c => `| ${c.image} | ${c.files} | ${c.firstCreateMs} | ${c.laterCreateMs} | ${c.copyMs} |`)].join('\n'))
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const rounds = values.rounds !== undefined ? Number(values.rounds) : quick ? 5 : 30
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsernsBenchError(`--rounds must be a positive integer, got ${String(values.rounds)}`)
  const r = await usernsBench({ quick, rounds, interrupted })
  printUserns(r)
  await writeResults('userns', r as unknown as Record<string, unknown>)
}

runStandalone(import.meta.url, 'bench', main)
