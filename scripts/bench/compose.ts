/**
 * Compose benchmark (issue 16): `docker-compose up -d` of the test stack
 * (test/compose.test.ts: web with a published port, db on a named volume,
 * worker depending on db, all on a user network) against the same network,
 * volume and containers made by hand with the docker CLI, one command after
 * the other as a person would type them (`network create`, `volume create`,
 * three `run -d` with --network-alias). One berthd (--log-level warn); the
 * busybox rootfs is imported once as `bb`, untimed. Each round runs both,
 * alternating which goes first, on a project of its own; the time is from
 * the first command's spawn to the last one's exit. Teardown (compose
 * down -v; rm -f, network rm, volume rm by hand) is untimed, and every round
 * must leave no container, network or volume behind. `docker-compose
 * version` is timed in each round too: Compose's Python start-up, which is
 * in its figure but not berthd's doing. 10 rounds (--rounds N;
 * 3 with --quick) after 1 uncounted one. Figures are printed and saved,
 * never asserted.
 *
 * usage: node dist/scripts/bench/compose.js [--quick] [--rounds N]
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { call, interrupted, isRunning, median, now, percentile, ROOTFS, round2, run, runStandalone, spawnDaemon, writeResults, type Daemon } from './common.js'
import { importTar } from './images.js'
import { inBenchDir, RestartBenchError, untilServing, type Ctx } from './restart.js'

const DOCKER = '/usr/local/bin/docker'
const COMPOSE = '/usr/bin/docker-compose'
const WARMUP = 1
const IMAGE = 'bb'

/** Raised for anything that makes the figures meaningless or wrong. */
export class ComposeBenchError extends RestartBenchError {}

export interface ComposeOptions {
  /** 3 rounds. */
  quick: boolean
  /** Rounds (default 10, 3 with quick). */
  rounds?: number
  interrupted: () => boolean
}

export interface ComposeRow { name: string, medianMs: number, p90Ms: number, rounds: number, samplesMs: number[] }

export interface ComposeResult { compose: string, docker: string, warmup: number, rows: ComposeRow[], ratio: number }

interface Service { name: string, command: string[], port?: string, volume?: string, dependsOn?: string }

/** The stack, from which both the Compose file and the commands by hand are made. */
const STACK: Service[] = [
  { name: 'web', port: '8080', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'] },
  { name: 'db', volume: '/data', command: ['sh', '-c', 'echo row >> /data/rows; exec sleep 1000'] },
  { name: 'worker', dependsOn: 'db', command: ['sh', '-c', 'while true; do wget -q -O - http://web:8080/ >/dev/null; sleep 1; done'] }
]

function composeFile (port: number): string {
  const services = Object.fromEntries(STACK.map(s => [s.name, {
    image: IMAGE, command: s.command, networks: ['app'],
    ...(s.port !== undefined ? { ports: [`127.0.0.1:${port}:${s.port}`] } : {}),
    ...(s.volume !== undefined ? { volumes: [`dbdata:${s.volume}`] } : {}),
    ...(s.dependsOn !== undefined ? { depends_on: [s.dependsOn] } : {})
  }]))
  return JSON.stringify({ version: '2.4', services, networks: { app: {} }, volumes: { dbdata: {} } })
}

/** The docker CLI commands that make the stack by hand, under Compose's names, dependencies first. */
function byHand (project: string, port: number): string[][] {
  return [
    ['network', 'create', `${project}_app`],
    ['volume', 'create', `${project}_dbdata`],
    ...STACK.map(s => [
      'run', '-d', '--name', `${project}_${s.name}_1`, '--network', `${project}_app`, '--network-alias', s.name,
      ...(s.port !== undefined ? ['-p', `127.0.0.1:${port}:${s.port}`] : []),
      ...(s.volume !== undefined ? ['-v', `${project}_dbdata:${s.volume}`] : []),
      IMAGE, ...s.command
    ])
  ]
}

async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise(resolve => srv.close(resolve))
  return port
}

/** Fails unless the daemon holds no container, no user network and no volume. */
async function checkEmpty (d: Daemon, after: string): Promise<void> {
  const containers = await call(d, 'GET', '/containers/json?all=1', 200) as unknown[]
  const networks = (await call(d, 'GET', '/networks', 200) as Array<{ Name: string }>).filter(n => !['bridge', 'host', 'none'].includes(n.Name))
  const volumes = (await call(d, 'GET', '/volumes', 200) as { Volumes: unknown[] | null }).Volumes ?? []
  if (containers.length + networks.length + volumes.length > 0) {
    throw new ComposeBenchError(`after ${after}: ${containers.length} container(s), ${networks.length} network(s), ${volumes.length} volume(s) left`)
  }
}

/** Every container, user network and volume removed (what a failed round left). */
async function removeEverything (d: Daemon): Promise<string[]> {
  const problems: string[] = []
  const attempt = async (what: string, f: () => Promise<unknown>): Promise<void> => { await f().catch((e: unknown) => problems.push(`${what}: ${(e as Error).message}`)) }
  for (const c of await call(d, 'GET', '/containers/json?all=1', 200) as Array<{ Id: string }>) await attempt(`remove ${c.Id.slice(0, 12)}`, () => call(d, 'DELETE', `/containers/${c.Id}?force=1`, 204))
  for (const n of await call(d, 'GET', '/networks', 200) as Array<{ Name: string }>) {
    if (!['bridge', 'host', 'none'].includes(n.Name)) await attempt(`remove network ${n.Name}`, () => call(d, 'DELETE', `/networks/${n.Name}`, 204))
  }
  for (const v of (await call(d, 'GET', '/volumes', 200) as { Volumes: Array<{ Name: string }> | null }).Volumes ?? []) await attempt(`remove volume ${v.Name}`, () => call(d, 'DELETE', `/volumes/${v.Name}?force=1`, 204))
  return problems
}

async function measure (ctx: Ctx, opts: ComposeOptions): Promise<ComposeResult> {
  const rounds = opts.rounds ?? (opts.quick ? 3 : 10)
  const { dir } = ctx
  ctx.d = spawnDaemon(dir, { logLevel: 'warn' })
  await untilServing(ctx.d)
  const d = ctx.d
  const env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 's.sock')}`, DOCKER_CONFIG: join(dir, 'docker-config') }
  const file = join(dir, 'docker-compose.yml')
  const samples = { compose: [] as number[], hand: [] as number[], startup: [] as number[] }
  let failure: unknown
  try {
    const bbTar = join(dir, 'bb.tar')
    await run('tar', ['-C', ROOTFS, '-cf', bbTar, '.'])
    await importTar(d, bbTar, IMAGE, 'latest')

    const viaCompose = async (project: string): Promise<number> => {
      await writeFile(file, composeFile(await freePort()))
      const t0 = now()
      await run(COMPOSE, ['-p', project, '-f', file, 'up', '-d'], { env })
      const ms = now() - t0
      await run(COMPOSE, ['-p', project, '-f', file, 'down', '-v', '-t', '0'], { env })
      await checkEmpty(d, `compose down -v of ${project}`)
      return ms
    }
    const viaCli = async (project: string): Promise<number> => {
      const commands = byHand(project, await freePort())
      const t0 = now()
      for (const c of commands) await run(DOCKER, c, { env })
      const ms = now() - t0
      await run(DOCKER, ['rm', '-f', ...STACK.map(s => `${project}_${s.name}_1`)], { env })
      await run(DOCKER, ['network', 'rm', `${project}_app`], { env })
      await run(DOCKER, ['volume', 'rm', `${project}_dbdata`], { env })
      await checkEmpty(d, `removing ${project} by hand`)
      return ms
    }
    for (let i = 0; i < WARMUP + rounds; i++) {
      if (opts.interrupted()) throw new ComposeBenchError('interrupted')
      // Alternate which goes first, so that neither always meets the other's leftovers (page cache, freed ports).
      const order = i % 2 === 0 ? [viaCompose, viaCli] as const : [viaCli, viaCompose] as const
      const times = new Map<unknown, number>()
      for (const f of order) times.set(f, await f(`bc${i}${f === viaCompose ? 'c' : 'h'}`))
      // Compose's own start-up (Python imports), no daemon call: what of its time is not berthd's.
      const t0 = now()
      await run(COMPOSE, ['version', '--short'], { env })
      const startup = now() - t0
      if (i >= WARMUP) { samples.compose.push(times.get(viaCompose)!); samples.hand.push(times.get(viaCli)!); samples.startup.push(startup) }
      process.stderr.write(`\r${i < WARMUP ? 'warm-up' : `round ${i + 1 - WARMUP}/${rounds}`}   `)
    }
    process.stderr.write('\n')
  } catch (err) {
    failure = err
  } finally {
    if (isRunning(d)) for (const p of await removeEverything(d).catch((e: unknown) => [(e as Error).message])) process.stderr.write(`compose bench: ${p}\n`)
  }
  if (failure !== undefined) throw failure
  const row = (name: string, ms: number[]): ComposeRow => ({ name, medianMs: round2(median(ms)), p90Ms: round2(percentile(ms, 90)), rounds: ms.length, samplesMs: ms.map(round2) })
  const rows = [
    row('docker-compose up -d (network, volume, 3 containers)', samples.compose),
    row('the same by hand: docker network create, volume create, 3 × run -d', samples.hand),
    row('docker-compose version (its start-up alone, no daemon)', samples.startup)
  ]
  return {
    compose: (await run(COMPOSE, ['version', '--short'], { capture: true })).trim(),
    docker: (await run(DOCKER, ['--version'], { capture: true })).trim(),
    warmup: WARMUP, rows, ratio: round2(rows[0]!.medianMs / rows[1]!.medianMs)
  }
}

/** Runs the compose bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function composeBench (opts: ComposeOptions): Promise<ComposeResult> {
  if (opts.rounds !== undefined && (!Number.isInteger(opts.rounds) || opts.rounds < 1)) throw new ComposeBenchError(`rounds must be a positive integer, got ${opts.rounds}`)
  for (const bin of [DOCKER, COMPOSE]) if (!existsSync(bin)) throw new ComposeBenchError(`no ${bin}; run: bash scripts/setup.sh`)
  return await inBenchDir('bc-', 'compose bench', ComposeBenchError, async ctx => await measure(ctx, opts))
}

/** The Markdown table. */
export function printCompose (r: ComposeResult): void {
  console.log(['| measurement | median | p90 | rounds |', '|---|---:|---:|---:|',
    ...r.rows.map(x => `| ${x.name} | ${x.medianMs.toFixed(0)} ms | ${x.p90Ms.toFixed(0)} ms | ${x.rounds} |`)].join('\n'))
  console.log(`\ncompose / by hand: ${r.ratio.toFixed(2)} (${r.compose}; ${r.docker})`)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const result = await composeBench({ quick, rounds: values.rounds === undefined ? undefined : Number(values.rounds), interrupted })
  printCompose(result)
  await writeResults('compose', { quick, node: process.version, compose: result })
}

runStandalone(import.meta.url, 'compose bench', main)
