/**
 * The API fuzzer (issue 12): requests generated from openapi/berth.json for
 * every operation (wrong types, edge numbers, NUL and unicode, deep and huge
 * JSON, bad tars, traversal in ids and paths) against a real berthd. Every
 * 5xx fails unless it is a fault of the machine listed below; every error
 * body is `{"message": string}`; after every batch berthd is alive and
 * answers /_ping (no request may end the process); a running canary
 * container is untouched at the end; no tar entry lands outside a container.
 *
 * Seeded: the seed is printed, BERTH_FUZZ_SEED replays it. Bounded: about
 * 1000 requests by default, BERTH_FUZZ_RUNS=N for a long run.
 */
import t from 'tap'
import fc from 'fast-check'
import { existsSync, readFileSync, statSync, writeFileSync, rmSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { gzipSync } from 'node:zlib'
import { Client, Pool, type Dispatcher } from 'undici'
import { anyRequest, operations, touches, type FuzzRequest, type Pools } from './fuzz-gen.js'
import { importBusybox, makeBundle, makeTar, REPO, sleep, startDaemon, until } from './helpers.js'

const BATCH = 20
const RUNS = Number(process.env.BERTH_FUZZ_RUNS ?? 1000)
const SEED = Number(process.env.BERTH_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** No response head in this long: counted as a hang (a stop with a huge `t` rightly waits). */
const HEAD_MS = 3000
/** Streams (logs and events follow, attach, stats, wait) are cut after this long. */
const BODY_MS = 1000

/** 5xx answers that are faults of the machine, not of the request: the only ones that do not fail the test. */
const SERVER_FAULTS: Array<{ re: RegExp, why: string }> = [
  { re: /ENOSPC|no space left on device/i, why: 'the disk is full' },
  { re: /EDQUOT|quota exceeded/i, why: 'a disk quota is exhausted' },
  { re: /EMFILE|ENFILE|too many open files/i, why: 'the machine is out of file descriptors' },
  // Pulls and logins go to 127.0.0.1:1 (see fuzz-gen), where nothing listens: Docker's 500 for a registry it cannot reach.
  { re: /^Get "http:\/\/127\.0\.0\.1:1\/v2\/": connect: connection refused$/, why: 'the registry cannot be reached' }
]

interface Outcome { status: number | 'hang' | 'reset', contentType: string, body: Buffer, cut: boolean }

/** Sends `r` on `pool` without the contract check; a stream is cut after BODY_MS, a head not in after HEAD_MS is a hang. */
async function send (pool: Dispatcher, r: FuzzRequest): Promise<Outcome> {
  const ac = new AbortController()
  let timer = setTimeout(() => ac.abort(), HEAD_MS)
  try {
    const res = await pool.request({ method: r.method as 'GET', path: r.path, headers: r.headers, body: r.body, signal: ac.signal })
    clearTimeout(timer)
    let cut = false
    timer = setTimeout(() => { cut = true; ac.abort() }, BODY_MS)
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const c of res.body) { if (size < 65536) chunks.push(c as Buffer); size += (c as Buffer).length }
    } catch {}
    clearTimeout(timer)
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), cut }
  } catch {
    clearTimeout(timer)
    return { status: ac.signal.aborted ? 'hang' : 'reset', contentType: '', body: Buffer.alloc(0), cut: false }
  }
}

/** One line for a request in a report: method, path and body, each cut short. */
function describe (r: FuzzRequest): string {
  const cut = (s: string, n: number): string => s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s
  const body = r.body === undefined ? '' : ` body(${r.headers['content-type'] ?? '-'}): ${Buffer.isBuffer(r.body) ? `${r.body.length} bytes` : JSON.stringify(cut(r.body, 300))}`
  return `${r.method} ${cut(r.path, 300)}${body}`
}

t.test('fuzz: generated requests for every route', async t => {
  t.setTimeout(120_000 + RUNS * 500)
  t.comment(`fuzz seed ${SEED}, ${RUNS} requests (replay: BERTH_FUZZ_SEED=${SEED} BERTH_FUZZ_RUNS=${RUNS})`)
  const doc = JSON.parse(readFileSync(join(REPO, 'openapi', 'berth.json'), 'utf8'))
  const ops = operations(doc)
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const bbId = ((await d.req('GET', '/images/bb/json')).body as { Id: string }).Id

  // A tar entry or PUT path that escapes a container lands in the host's tmp dir under this marker,
  // and a hard link that escapes raises the secret file's link count.
  const marker = `bt-fuzz-escape-${process.pid}`
  const secret = join(tmpdir(), `${marker}-secret`)
  writeFileSync(secret, 'secret')
  t.teardown(() => rmSync(secret, { force: true }))
  const up = '../'.repeat(30) + tmpdir().replace(/^\//, '')
  const tars = [
    await makeTar([{ name: `${marker}-put`, body: 'x' }, { name: 'dir', type: 'directory' }, { name: 'dir/f', body: 'y' }]),
    await makeTar([{ name: `${up}/${marker}-dotdot`, body: 'x' }]),
    await makeTar([{ name: `/${tmpdir()}/${marker}-abs`, body: 'x' }]),
    await makeTar([{ name: 'lnk', type: 'symlink', linkname: tmpdir() }, { name: `lnk/${marker}-via-link`, body: 'x' }]),
    await makeTar([{ name: 'hard', type: 'link', linkname: `${up}/${marker}-secret` }]),
    await makeTar([{ name: 'x'.repeat(300), body: 'x' }]),
    gzipSync(await makeTar([{ name: 'f', body: 'x'.repeat(100_000) }])),
    await makeTar([{ name: 'manifest.json', body: JSON.stringify([{ Config: `${up}/${marker}-secret`, RepoTags: ['fz:x'], Layers: [`${up}/${marker}-secret`] }]) }]),
    Buffer.from((await d.req('GET', '/images/bb/get')).raw)
  ]

  // The canary: running, with a file written inside, never named by a request that changes state.
  const token = `canary-${SEED}`
  const cr = await d.req('POST', '/containers/create?name=canary', { Image: bbId, Cmd: ['sh', '-c', `echo ${token} > /canary.txt; exec sleep 100000`] })
  const canary = { id: (cr.body as { Id: string }).Id, name: 'canary' }
  t.equal((await d.req('POST', `/containers/${canary.id}/start`)).status, 204, 'canary started')
  let canaryFile: Buffer = Buffer.alloc(0)
  const readCanaryFile = async (): Promise<Buffer> => (await d.req('GET', `/containers/${canary.id}/archive?path=/canary.txt`)).raw
  await until(async () => (canaryFile = await readCanaryFile()).includes(token), 10_000, 'the canary file')
  const canaryState = ((await d.req('GET', `/containers/${canary.id}/json`)).body as { State: Record<string, unknown> }).State

  const pools: Pools = { containers: [], execs: [], images: [bbId, 'bb'], bundles: [await makeBundle(d, ['sleep', '30']), await makeBundle(d, ['true'])], tars, canary }

  /** Keeps a few containers (created, running, exited), execs and images of the test's own to aim at. */
  const tend = async (): Promise<void> => {
    if ((await d.req('GET', '/images/bb/json')).status === 404) await d.req('POST', `/images/${bbId}/tag?repo=bb`)
    const list = ((await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string, Names: string[], State: string }>).filter(c => c.Id !== canary.id)
    for (const c of list.slice(12)) await d.req('DELETE', `/containers/${c.Id}?force=1`)
    const kept = list.slice(0, 12)
    if (!kept.some(c => c.State === 'running')) {
      const r = await d.req('POST', '/containers/create', { Image: bbId, Cmd: ['sleep', '1000'] })
      if (r.status === 201) await d.req('POST', `/containers/${(r.body as { Id: string }).Id}/start`)
    }
    if (!kept.some(c => c.State === 'created')) await d.req('POST', '/containers/create', { Image: bbId, Cmd: ['true'] })
    const now = ((await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string, Names: string[], State: string }>).filter(c => c.Id !== canary.id)
    pools.containers = now.flatMap(c => [c.Id, c.Names[0]?.slice(1) ?? c.Id])
    const running = now.find(c => c.State === 'running')
    if (running !== undefined) {
      const e = await d.req('POST', `/containers/${running.Id}/exec`, { Cmd: ['true'] })
      if (e.status === 201) pools.execs = [(e.body as { Id: string }).Id, ...pools.execs].slice(0, 5)
    }
    const images = (await d.req('GET', '/images/json')).body as Array<{ Id: string, RepoTags: string[] | null }>
    pools.images = [bbId, 'bb', ...images.flatMap(i => [i.Id, ...(i.RepoTags ?? [])]).filter(x => x !== bbId && x !== 'bb:latest').slice(0, 6)]
  }

  const counts = new Map<string, number>()
  const count = (k: string): void => { counts.set(k, (counts.get(k) ?? 0) + 1) }
  /** 5xx by route, status and message (ids blanked): the smallest request that got each. */
  const faults = new Map<string, { r: FuzzRequest, n: number, before: string[], allowed?: string }>()
  /** The last requests to each object (or to none) with their statuses: a 5xx that depends on state is reported with what led to it. */
  const recent = new Map<string, string[]>()
  const targetOf = (r: FuzzRequest): string => /\/(containers|exec|images)\/([^/?]+)/.exec(r.path)?.slice(1).join('/') ?? ''
  const badErrors: string[] = []
  const hangs = new Map<string, { r: FuzzRequest, n: number }>()
  let sent = 0
  let skipped = 0

  const size = (x: FuzzRequest): number => x.path.length + (x.body?.length ?? 0)
  /** The batch being sent, each request with its status: what a failed batch check reports. */
  let batchLog: string[] = []
  const check = async (r: FuzzRequest): Promise<void> => {
    if (touches(r.method, r.path, canary)) { skipped++; return }
    const started = performance.now()
    const o = await send(pool, r)
    sent++
    count(String(o.status))
    batchLog.push(`${describe(r)} → ${o.status} in ${Math.round(performance.now() - started)} ms`)
    const history = recent.get(targetOf(r)) ?? []
    recent.set(targetOf(r), [...history, `${describe(r)} → ${o.status}`].slice(-6))
    if (o.status === 'hang' || o.status === 'reset') {
      const k = `${o.status} ${r.method} ${r.op.template}`
      const prev = hangs.get(k)
      hangs.set(k, { r: prev === undefined || size(r) < size(prev.r) ? r : prev.r, n: (prev?.n ?? 0) + 1 })
      return
    }
    if (o.status >= 400 && r.method !== 'HEAD' && !o.cut) {
      let msg: unknown
      try { msg = JSON.parse(o.body.toString()).message } catch {}
      if (!o.contentType.startsWith('application/json') || typeof msg !== 'string') badErrors.push(`${describe(r)} → ${o.status} ${o.contentType} ${o.body.subarray(0, 200).toString()}`)
    }
    if (o.status >= 500) {
      const text = o.body.subarray(0, 2000).toString()
      let message = text
      try { message = JSON.parse(text).message } catch {}
      const key = `${r.method} ${r.op.template} ${o.status}: ${String(message).replace(/[0-9a-f]{12,64}/g, '<id>').slice(0, 300)}`
      const prev = faults.get(key)
      faults.set(key, {
        r: prev === undefined || size(r) < size(prev.r) ? r : prev.r,
        n: (prev?.n ?? 0) + 1,
        before: prev?.before ?? [...history, `${describe(r)} (the first one)`],
        allowed: SERVER_FAULTS.find(f => f.re.test(String(message)))?.why
      })
    }
  }

  /** The process-level test: berthd has not exited and answers /_ping. */
  const ping = async (client: Dispatcher): Promise<boolean> => await Promise.race([
    client.request({ method: 'GET', path: '/_ping' }).then(async r => { await r.body.dump(); return r.statusCode === 200 }, () => false),
    sleep(10_000).then(() => false)
  ])
  /** berthd's CPU seconds so far: a daemon that does not answer and burns CPU is stuck in a loop, one that does not is waiting. */
  const cpu = (): number => {
    const f = readFileSync(`/proc/${d.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  }
  const alive = async (): Promise<void> => {
    if (d.proc.exitCode === null) {
      const cpuBefore = cpu()
      // On a connection of its own: a connection of the pool that stopped answering is not a stuck daemon (see below).
      const fresh = new Client('http://localhost', { socketPath: d.socket })
      const ok = await ping(fresh)
      await fresh.destroy()
      if (ok) return
      throw new Error(`berthd stopped answering /_ping (${(cpu() - cpuBefore).toFixed(1)} s of CPU in the wait) after this batch:\n${batchLog.join('\n')}\n${d.stderr().split('\n').slice(-10).join('\n')}`)
    }
    throw new Error(`berthd exited (${String(d.proc.exitCode)}) after this batch:\n${batchLog.join('\n')}\n${d.stderr().split('\n').slice(-30).join('\n')}`)
  }
  /** Checked every batch, so a touched canary names the batch that touched it. */
  const canaryUntouched = async (): Promise<void> => {
    const st = ((await d.req('GET', `/containers/${canary.id}/json`)).body as { State: Record<string, unknown> }).State
    if (st.Running !== true || st.StartedAt !== canaryState.StartedAt) throw new Error(`the canary was touched in this batch:\n${batchLog.join('\n')}`)
  }

  /** The fuzz's own connections, replaced when one stops answering (reported: a connection must stay usable after any answer). */
  const newPool = (): Pool => new Pool('http://localhost', { socketPath: d.socket, bodyTimeout: 0, headersTimeout: 0 })
  let pool = newPool()
  t.teardown(async () => { await pool.destroy() })
  const stuck: string[] = []
  const connectionsAnswer = async (): Promise<void> => {
    if (await ping(pool)) return
    stuck.push(batchLog.join('\n    '))
    void pool.destroy()
    pool = newPool()
  }

  await tend()
  const gen = anyRequest(ops, pools)
  let dead = false
  // fc.check, not fc.assert: its report would print whole batches (schemas and tar bytes); the error names the requests.
  const run = await fc.check(fc.asyncProperty(fc.array(gen, { minLength: BATCH, maxLength: BATCH }), async batch => {
    if (dead) throw new Error('berthd is gone')
    batchLog = []
    for (const r of batch) await check(r)
    try { await alive() } catch (err) { dead = true; throw err }
    await connectionsAnswer()
    await canaryUntouched()
    await tend()
  }), { seed: SEED, numRuns: Math.max(1, Math.ceil(RUNS / BATCH)), endOnFailure: true })
  if (run.failed) t.fail(`the fuzz stopped in batch ${run.numRuns} (seed ${run.seed}, path ${String(run.counterexamplePath)}): ${String((run.errorInstance as Error | undefined)?.message ?? run.errorInstance)}`)

  if (!dead) {
    const st = ((await d.req('GET', `/containers/${canary.id}/json`)).body as { State: Record<string, unknown> }).State
    t.equal(st.Running, true, 'canary still running')
    t.equal(st.StartedAt, canaryState.StartedAt, 'canary not restarted')
    t.equal(st.Pid, canaryState.Pid, 'canary has the same process')
    t.same(await readCanaryFile(), canaryFile, 'the file in the canary is unchanged')
  }
  const escaped = readdirSync(tmpdir()).filter(n => n.startsWith(marker) && n !== `${marker}-secret`)
  t.same(escaped, [], 'no tar entry or archive path escaped a container')
  for (const n of escaped) rmSync(join(tmpdir(), n), { recursive: true, force: true })
  t.equal(existsSync(secret) ? statSync(secret).nlink : 1, 1, 'no hard link to a host file was made')

  for (const e of badErrors.slice(0, 20)) t.fail(`error body is not {"message": string}: ${e}`)
  for (const b of stuck.slice(0, 3)) t.fail(`a kept-alive connection stopped answering (a new one answered) after this batch:\n    ${b}`)
  for (const [key, f] of faults) {
    if (f.allowed !== undefined) continue
    t.fail(`5xx ×${f.n}: ${key}\n  smallest: ${describe(f.r)}\n  the first, and the requests to its object before it:\n    ${f.before.join('\n    ')}`)
  }
  const statuses = [...counts].sort().map(([k, v]) => `${k}:${v}`).join(' ')
  const left = [...faults].map(([k, f]) => `${k} ×${f.n}${f.allowed !== undefined ? ` (allowed: ${f.allowed})` : ''}`)
  t.comment(`fuzz summary: seed ${SEED}, ${sent} requests sent, ${skipped} skipped (they named the canary); statuses ${statuses}; ` +
    `5xx kinds ${faults.size}${left.length > 0 ? `: ${left.join(' | ')}` : ''}; hangs/resets ${[...hangs].map(([k, h]) => `${k} ×${h.n} (smallest: ${describe(h.r)})`).join(', ') || 'none'}`)
})
