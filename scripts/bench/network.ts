/**
 * Network benchmark (issue 15). One berthd (--log-level warn) in its own
 * temp dir, its default bridge and one user network on subnets of their own
 * (10.251.x.0/24); the busybox rootfs imported as `bb` with `docker import`.
 * Only 127.0.0.1 and the bench's own containers are reached.
 *
 *  1. `docker run --rm bb true` on the default bridge against the same with
 *     `--network none`, alternating in each round (30 rounds, 5 with
 *     --quick, after 3 uncounted): the network's added cost per container
 *     is the median of each round's difference (goal ≤ 15 ms), and the
 *     ratio of the medians.
 *  2. TCP throughput into a container (busybox `nc -l` into /dev/null, one
 *     connection per round): 200 MiB (20 with --quick) written by this
 *     process through a port published on 127.0.0.1 (kernel DNAT) against
 *     straight to the container's address, alternating, 5 rounds (2): the
 *     ratio published / direct (goal ≥ 0.9). A round ends when the
 *     container's cat read everything and its nc closed the connection.
 *  3. 100 containers (20 with --quick) on one user network, created and
 *     started at once over the API: the wall time, every one with its own
 *     address, every name resolving (busybox nslookup against aardvark-dns,
 *     from one of them), no error.
 *
 * Figures are printed and saved, never asserted; a wrong answer fails the run.
 * Everything made is removed, also on failure (restart.ts's inBenchDir).
 *
 * usage: node dist/scripts/bench/network.js [--quick] [--rounds N]
 */
import { mkdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { call, interrupted, median, now, round2, run, ROOTFS, runStandalone, spawnDaemon, writeResults, type Daemon } from './common.js'
import { inBenchDir, removeAll, RestartBenchError, untilServing } from './restart.js'

const DOCKER = '/usr/local/bin/docker'
const WARMUP = 3
const COST_GOAL_MS = 15
const THROUGHPUT_GOAL = 0.9
const PORT = 5000

export class NetworkBenchError extends RestartBenchError {}

export interface NetworkOptions { quick: boolean, rounds?: number, interrupted: () => boolean }

export interface NetworkResult {
  rounds: number
  runBridgeMedianMs: number
  runNoneMedianMs: number
  /** Median over rounds of (bridge − none), ms. */
  addedCostMs: number
  ratio: number
  throughputBytes: number
  publishedMBs: number[]
  directMBs: number[]
  throughputRatio: number
  many: { n: number, startAllMs: number, addresses: number, resolved: number, errors: string[] }
}

/** `docker run --rm bb true` with `args`; ms. */
async function dockerRun (env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
  const t0 = now()
  await run(DOCKER, ['run', '--rm', ...args, 'bb', 'true'], { env })
  return now() - t0
}

/** Writes `bytes` zeros to host:port and waits for the other side to close; MB/s (10^6). */
async function send (host: string, port: number, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(1024 * 1024)
  return await new Promise((resolve, reject) => {
    const t0 = now()
    const s = connect({ host, port })
    let left = bytes
    const pump = (): void => {
      while (left > 0) {
        left -= chunk.length
        if (!s.write(chunk)) { s.once('drain', pump); return }
      }
      s.end()
    }
    s.once('connect', pump)
    s.on('data', () => {})
    s.once('error', reject)
    s.once('close', () => {
      if (left <= 0) resolve(bytes / 1e6 / ((now() - t0) / 1000))
      else reject(new NetworkBenchError(`${host}:${port} closed early`))
    })
    s.setTimeout(120_000, () => s.destroy(new NetworkBenchError(`${host}:${port}: no progress for 120 s`)))
  })
}

/** Polls until host:port accepts (the sink's nc has started). */
async function untilListening (host: string, port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = connect({ host, port })
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new NetworkBenchError(`nothing listens on ${host}:${port}`)
}

async function measure (dir: string, d: Daemon, opts: NetworkOptions): Promise<NetworkResult> {
  const env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 's.sock')}`, DOCKER_CONFIG: join(dir, 'docker-config') }
  await mkdir(env.DOCKER_CONFIG, { recursive: true })
  await run('sh', ['-c', `tar -C ${ROOTFS} -c . | ${DOCKER} import - bb >/dev/null`], { env })
  const check = (): void => { if (opts.interrupted()) throw new NetworkBenchError('interrupted') }

  // 1. The per-container cost of the default bridge.
  const rounds = opts.rounds ?? (opts.quick ? 5 : 30)
  const bridge: number[] = []; const none: number[] = []
  for (let i = 0; i < WARMUP + rounds; i++) {
    check()
    const b = await dockerRun(env, [])
    const n = await dockerRun(env, ['--network', 'none'])
    if (i >= WARMUP) { bridge.push(b); none.push(n) }
    process.stderr.write(`\rdocker run bridge/none ${i + 1}/${WARMUP + rounds}   `)
  }
  process.stderr.write('\n')
  const diffs = bridge.map((b, i) => b - none[i]!)

  // 2. Throughput: published port on 127.0.0.1 against the container's address.
  await call(d, 'POST', '/networks/create', 201, { Name: 'benchnet', IPAM: { Config: [{ Subnet: '10.251.1.0/24' }] } })
  const sink = await call(d, 'POST', '/containers/create?name=sink', 201, {
    Image: 'bb', Cmd: ['nc', '-ll', '-p', String(PORT), '-e', 'sh', '-c', 'cat > /dev/null'],
    HostConfig: { NetworkMode: 'benchnet', PortBindings: { [`${PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } }
  }) as { Id: string }
  await call(d, 'POST', `/containers/${sink.Id}/start`, 204)
  const ins = await call(d, 'GET', `/containers/${sink.Id}/json`, 200) as { NetworkSettings: { Networks: { benchnet: { IPAddress: string } }, Ports: Record<string, Array<{ HostPort: string }>> } }
  const ip = ins.NetworkSettings.Networks.benchnet.IPAddress
  const hostPort = Number(ins.NetworkSettings.Ports[`${PORT}/tcp`]![0]!.HostPort)
  const bytes = (opts.quick ? 20 : 200) * 1024 * 1024
  const published: number[] = []; const direct: number[] = []
  await untilListening(ip, PORT)
  for (let i = 0; i < (opts.quick ? 2 : 5); i++) {
    check()
    direct.push(await send(ip, PORT, bytes))
    published.push(await send('127.0.0.1', hostPort, bytes))
    process.stderr.write(`\rthroughput round ${i + 1}   `)
  }
  process.stderr.write('\n')
  await call(d, 'DELETE', `/containers/${sink.Id}?force=1`, 204)

  // 3. Many containers on one network at once.
  const n = opts.quick ? 20 : 100
  const errors: string[] = []
  const t0 = now()
  const ids = await Promise.all(Array.from({ length: n }, async (_, i) => {
    try {
      const c = await call(d, 'POST', `/containers/create?name=m${i}`, 201, { Image: 'bb', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'benchnet' } }) as { Id: string }
      await call(d, 'POST', `/containers/${c.Id}/start`, 204)
      return c.Id
    } catch (err) { errors.push((err as Error).message); return undefined }
  }))
  const startAllMs = now() - t0
  const addrs = new Set<string>()
  for (const id of ids) {
    if (id === undefined) continue
    const c = await call(d, 'GET', `/containers/${id}/json`, 200) as { NetworkSettings: { Networks: { benchnet?: { IPAddress: string } } } }
    const a = c.NetworkSettings.Networks.benchnet?.IPAddress ?? ''
    if (a !== '') addrs.add(a)
  }
  // Every name from one of them; names are asked of aardvark-dns only (all exist: nothing is forwarded).
  const names = Array.from({ length: n }, (_, i) => `m${i}`).join(' ')
  const out = await run(DOCKER, ['exec', 'm0', 'sh', '-c', `for h in ${names}; do nslookup $h 2>/dev/null | grep -q '^Address: 10\\.251\\.1\\.' && echo ok; done`], { env, capture: true })
  const resolved = out.split('\n').filter(l => l === 'ok').length
  errors.push(...await removeAll(d))
  await call(d, 'DELETE', '/networks/benchnet', 204)

  return {
    rounds, runBridgeMedianMs: round2(median(bridge)), runNoneMedianMs: round2(median(none)), addedCostMs: round2(median(diffs)),
    ratio: round2(median(bridge) / median(none)), throughputBytes: bytes,
    publishedMBs: published.map(round2), directMBs: direct.map(round2), throughputRatio: round2(median(published) / median(direct)),
    many: { n, startAllMs: Math.round(startAllMs), addresses: addrs.size, resolved, errors }
  }
}

export async function networkBench (opts: NetworkOptions): Promise<NetworkResult> {
  return await inBenchDir('bn-', 'network bench', NetworkBenchError, async ctx => {
    ctx.d = spawnDaemon(ctx.dir, { logLevel: 'warn', args: ['--bridge-subnet', '10.251.0.0/24'] })
    await untilServing(ctx.d)
    return await measure(ctx.dir, ctx.d, opts)
  })
}

export function printNetwork (r: NetworkResult): void {
  const lines = [
    '| network | median | detail | goal |',
    '|---|---:|---|---|',
    `| docker run --rm bb true, default bridge − --network none | ${r.addedCostMs} ms | ${r.runBridgeMedianMs} vs ${r.runNoneMedianMs} ms (×${r.ratio}), ${r.rounds} rounds | ≤ ${COST_GOAL_MS} ms |`,
    `| TCP into a container, published 127.0.0.1 port / its address | ×${r.throughputRatio} | ${median(r.publishedMBs)} vs ${median(r.directMBs)} MB/s, ${r.throughputBytes / 1024 / 1024} MiB each | ≥ ${THROUGHPUT_GOAL} |`,
    `| ${r.many.n} containers started at once on one network | ${r.many.startAllMs} ms | ${r.many.addresses} addresses, ${r.many.resolved} names resolved, ${r.many.errors.length} errors | all |`
  ]
  console.log(lines.join('\n'))
  for (const e of r.many.errors) process.stderr.write(`  error: ${e}\n`)
}

runStandalone(import.meta.url, 'network bench', async () => {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } }, strict: true })
  const r = await networkBench({ quick: values.quick === true, ...(values.rounds !== undefined ? { rounds: Number(values.rounds) } : {}), interrupted })
  printNetwork(r)
  await writeResults('network', { ...r })
})
