/**
 * Chaos: random lifecycle operations on a few containers while berthd is
 * SIGKILLed and restarted at random moments. At the end every invariant is
 * checked: exit codes are ones the containers were told to exit with, and no
 * half-made container, leaked monitor, runtime state, exit file, zombie or
 * mount is left.
 *
 * usage: node dist/scripts/chaos.js [--rounds N] [--containers M] [--kill-every K]
 */
import { readdir, readFile } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { makeBundle, sleep, startDaemon, type Daemon } from '../test/helpers.js'

const MONITORED = new Set(['created', 'running', 'paused'])

/** Processes (live or zombie) whose command line mentions `needle`. */
function processes (needle: string): Array<{ pid: number, cmd: string, zombie: boolean }> {
  const out: Array<{ pid: number, cmd: string, zombie: boolean }> = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      if (cmd.includes(needle)) out.push({ pid: Number(p), cmd, zombie: / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))) })
    } catch {}
  }
  return out
}

/** One pass over the invariants; returns what is wrong. */
async function checkOnce (d: Daemon): Promise<string[]> {
  const problems: string[] = []
  const list = (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string, State: string }>
  const state = new Map(list.map(c => [c.Id, c.State]))
  for (const [id, s] of state) if (!['created', 'running', 'paused', 'exited'].includes(s)) problems.push(`${id.slice(0, 12)} is ${s}`)
  const monitored = (id: string): boolean => MONITORED.has(state.get(id) ?? '')
  for (const id of await readdir(join(d.state, 'containers')).catch(() => [])) {
    if (!monitored(id)) problems.push(`state dir of ${id.slice(0, 12)} (${state.get(id) ?? 'unknown'})`)
  }
  for (const rt of ['runc', 'crun']) {
    for (const id of await readdir(join(d.state, 'rt', rt)).catch(() => [])) {
      if (!monitored(id)) problems.push(`${rt} state of ${id.slice(0, 12)} (${state.get(id) ?? 'unknown'})`)
    }
  }
  for (const id of await readdir(join(d.state, 'exits')).catch(() => [])) {
    if (!monitored(id)) problems.push(`exit file of ${id.slice(0, 12)} (${state.get(id) ?? 'unknown'})`)
  }
  for (const id of await readdir(join(d.state, 'sock')).catch(() => [])) {
    if (!monitored(id)) problems.push(`attach link of ${id.slice(0, 12)}`)
  }
  for (const p of processes(d.state).filter(p => p.pid !== d.pid)) {
    const owner = [...state.keys()].find(id => p.cmd.includes(id))
    if (p.zombie) problems.push(`zombie ${p.pid} ${p.cmd.slice(0, 80)}`)
    else if (owner === undefined || !monitored(owner)) problems.push(`process ${p.pid} ${p.cmd.slice(0, 120)}`)
  }
  for (const [id, s] of state) {
    if (MONITORED.has(s)) {
      const pid = Number(await readFile(join(d.state, 'containers', id, 'conmon.pid'), 'utf8').catch(() => '0'))
      if (!(pid > 0) || processes(id).every(p => p.pid !== pid)) problems.push(`${id.slice(0, 12)} is ${s} but its monitor is gone`)
    }
  }
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(d.dir))
  for (const m of mounts) problems.push(`mount ${m}`)
  return problems
}

/**
 * Checks berth's invariants against a daemon, allowing a few seconds for
 * clean-ups already under way (a monitor exiting, an exit being committed).
 */
export async function checkInvariants (d: Daemon, settleMs = 4000): Promise<string[]> {
  const end = performance.now() + settleMs
  for (;;) {
    const problems = await checkOnce(d)
    if (problems.length === 0 || performance.now() > end) return problems
    await sleep(200)
  }
}

/**
 * Every exited container reports a code it could have exited with: the one
 * it was told (`code`), `code + 100` from its SIGTERM trap, or 137 (SIGKILL).
 */
async function checkExitCodes (d: Daemon, ids: string[], expected: Map<string, number>, counts: Record<string, number>): Promise<string[]> {
  const problems: string[] = []
  for (const id of ids) {
    const st = (await d.req('GET', `/containers/${id}/json`)).body.State as { Status: string, ExitCode: number, StartedAt: string, Error: string }
    const code = expected.get(id)
    if (st.Status !== 'exited' || code === undefined || st.StartedAt.startsWith('0001')) continue
    if (![code, code + 100, 137].includes(st.ExitCode)) problems.push(`${id.slice(0, 12)} exited ${st.ExitCode} (${st.Error}), told ${code}`)
    counts.checked = (counts.checked ?? 0) + 1
  }
  return problems
}

const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)]!

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' }, containers: { type: 'string', default: '6' }, 'kill-every': { type: 'string', default: '15' } } })
  const rounds = Number(values.rounds); const slots = Number(values.containers); const killEvery = Number(values['kill-every'])
  const failures: string[] = []
  const teardowns: Array<() => unknown> = []
  const tap = { teardown: (fn: () => unknown) => { teardowns.push(fn) }, fail: (msg: string) => { failures.push(msg) } }
  let d = await startDaemon(tap)
  const counts: Record<string, number> = { kills: 0 }
  /** code = natural exit; code + 100 = SIGTERM (trapped); 137 = SIGKILL. */
  const expected = new Map<string, number>()
  const ids: Array<string | undefined> = Array.from({ length: slots })
  const t0 = Date.now()
  try {
    for (let round = 0; round < rounds; round++) {
      const slot = Math.floor(Math.random() * slots)
      const id = ids[slot]
      const op = id === undefined ? 'create' : pick(['start', 'start', 'stop', 'kill', 'delete', 'wait', 'restart'] as const)
      counts[op] = (counts[op] ?? 0) + 1
      let pending: Promise<unknown>
      if (op === 'create') {
        const code = 1 + Math.floor(Math.random() * 50)
        const bundle = await makeBundle(d, ['sh', '-c', `trap "exit ${code + 100}" TERM; sleep 0.${Math.floor(Math.random() * 9) + 1}; exit ${code}`])
        pending = d.req('POST', '/containers', { Bundle: bundle }).then(r => {
          if (r.status === 201) { ids[slot] = r.body.Id as string; expected.set(r.body.Id as string, code) }
        })
      } else if (op === 'delete') {
        pending = d.req('DELETE', `/containers/${id!}?force=1`).then(r => { if (r.status === 204 || r.status === 404) ids[slot] = undefined })
      } else if (op === 'wait') {
        pending = Promise.race([d.req('POST', `/containers/${id!}/wait`).catch(() => undefined), sleep(1500)])
      } else {
        pending = d.req('POST', `/containers/${id!}/${op}${op === 'stop' || op === 'restart' ? '?t=1' : ''}`)
      }
      // Handled at once: a request cut short by a kill is expected, not an error.
      pending = pending.catch(() => undefined)
      if (round % killEvery === killEvery - 1) {
        await sleep(Math.floor(Math.random() * 40))
        await d.stop('SIGKILL')
        await pending
        d = await d.restart()
        counts.kills!++
        // A create whose answer was lost may or may not exist: adopt what berthd has.
        const known = new Set(((await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>).map(c => c.Id))
        for (let i = 0; i < slots; i++) if (ids[i] !== undefined && !known.has(ids[i]!)) ids[i] = undefined
        const problems = await checkInvariants(d)
        for (const p of problems) failures.push(`after kill ${counts.kills}: ${p}`)
        for (const p of await checkExitCodes(d, [...known], expected, counts)) failures.push(`after kill ${counts.kills}: ${p}`)
      } else {
        await pending
      }
    }
    // Let every container finish, then check each exit code against what it was told.
    const list = (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>
    await Promise.all(list.map(c => d.req('POST', `/containers/${c.Id}/wait`)))
    for (const p of await checkExitCodes(d, list.map(c => c.Id), expected, counts)) failures.push(`at the end: ${p}`)
    for (const p of await checkInvariants(d)) failures.push(`at the end: ${p}`)
  } finally {
    for (const fn of teardowns) await fn()
  }
  process.stdout.write(`chaos: ${rounds} rounds on ${slots} containers in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${JSON.stringify(counts)}\n`)
  if (failures.length > 0) {
    process.stdout.write(`chaos: ${failures.length} invariant failures:\n${failures.map(f => `  ${f}`).join('\n')}\n`)
    process.exit(1)
  }
  process.stdout.write('chaos: every invariant held\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
