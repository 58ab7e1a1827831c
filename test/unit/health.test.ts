/** Healthchecks' pure parts (state machine, config, output cap, HEALTHCHECK changes) and the monitor with a fake probe and store. */
import t from 'tap'
import pino from 'pino'
import { Readable } from 'node:stream'
import { afterProbe, CappedOutput, checkHealthConfig, goDuration, healthText, mergeHealthConfig, MAX_OUTPUT, nextDelay, probeCommand, started, stopped, timings, type AskedHealth, type HealthState, type ProbeResult } from '../../src/containers/health.js'
import { collectProbe, HealthMonitor, restartsOnUnhealthy, type ProbeOutcome } from '../../src/containers/healthcheck.js'
import { applyChanges, parseGoDuration } from '../../src/images/changes.js'
import type { ContainerRecord } from '../../src/store/records.js'

const S = 1e9
const T0 = Date.parse('2026-01-01T00:00:00Z')
const at = (ms: number, code: number): ProbeResult => ({ Start: new Date(T0 + ms).toISOString(), End: new Date(T0 + ms + 5).toISOString(), ExitCode: code, Output: '' })
/** Runs results (ms after the start, exit code) through the machine from a fresh start. */
const replay = (cfg: Parameters<typeof afterProbe>[2], results: Array<[number, number]>): HealthState =>
  results.reduce((h, [ms, code]) => afterProbe(h, at(ms, code), cfg, T0), started(undefined))

t.test('state machine: passes, failing streak, retries', async t => {
  const cfg = { Test: ['CMD', 'x'], Retries: 2 }
  t.match(replay(cfg, [[1000, 0]]), { Status: 'healthy', FailingStreak: 0 }, 'one pass: healthy')
  t.match(replay(cfg, [[1000, 1]]), { Status: 'starting', FailingStreak: 1 }, 'one failure of two allowed: still starting')
  t.match(replay(cfg, [[1000, 1], [2000, 1]]), { Status: 'unhealthy', FailingStreak: 2 }, 'Retries failures: unhealthy')
  t.match(replay(cfg, [[1000, 0], [2000, 1]]), { Status: 'healthy', FailingStreak: 1 }, 'healthy stays healthy below Retries')
  t.match(replay(cfg, [[1000, 1], [2000, 1], [3000, 0]]), { Status: 'healthy', FailingStreak: 0 }, 'a pass ends the streak')
  t.match(replay({ Test: ['CMD', 'x'] }, [[1, 1], [2, 1]]), { Status: 'starting' }, 'default retries: 3')
  t.match(replay({ Test: ['CMD', 'x'] }, [[1, 1], [2, 1], [3, 1]]), { Status: 'unhealthy', FailingStreak: 3 })
  t.match(replay(cfg, [[1000, -1], [2000, 2]]), { Status: 'unhealthy' }, 'any non-zero code (timeouts: -1) is a failure')
})

t.test('state machine: StartPeriod, the log, stop and start', async t => {
  const cfg = { Test: ['CMD', 'x'], Retries: 1, StartPeriod: 10 * S }
  t.match(replay(cfg, [[1000, 1], [5000, 1], [9000, 1]]), { Status: 'starting', FailingStreak: 0 }, 'failures inside the start period do not count')
  t.match(replay(cfg, [[1000, 1], [11_000, 1]]), { Status: 'unhealthy', FailingStreak: 1 }, 'after it they do')
  t.match(replay(cfg, [[1000, 0], [2000, 1]]), { Status: 'unhealthy' }, 'once healthy, the start period no longer shields')
  const many = replay({ Test: ['CMD', 'x'] }, [1, 2, 3, 4, 5, 6, 7].map(i => [i * 1000, 0]))
  t.equal(many.Log.length, 5, 'the last 5 results kept')
  t.equal(many.Log[0]!.Start, at(3000, 0).Start, 'oldest first')
  const h = stopped(many)
  t.match(h, { Status: 'unhealthy', FailingStreak: 0 }, 'stopped probes leave it unhealthy, as moby does')
  t.match(started(h), { Status: 'starting', FailingStreak: 0, Log: many.Log }, 'a start: starting, the log kept')
  t.equal(healthText(started(undefined)), 'health: starting')
  t.equal(healthText(many), 'healthy')
})

t.test('timings and the next probe\'s delay', async t => {
  t.same(timings({ Test: [] }), { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 }, 'Docker\'s defaults')
  const cfg = { Test: ['CMD', 'x'], Interval: 2 * S, StartPeriod: 10 * S, StartInterval: S / 2 }
  t.equal(nextDelay(started(undefined), cfg, T0, T0 + 1000), 500, 'StartInterval while starting in the start period')
  t.equal(nextDelay(started(undefined), cfg, T0, T0 + 11_000), 2000, 'Interval after it')
  t.equal(nextDelay({ Status: 'healthy', FailingStreak: 0, Log: [] }, cfg, T0, T0 + 1000), 2000, 'Interval once healthy')
})

t.test('config: Docker\'s checks, merge with the image\'s, the probe argv', async t => {
  const bad: Array<[AskedHealth, string]> = [
    [{ Interval: 999_999 }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Timeout: 1 }, 'Timeout in Healthcheck cannot be less than 1ms'],
    [{ StartPeriod: 5 }, 'StartPeriod in Healthcheck cannot be less than 1ms'],
    [{ StartInterval: 5 }, 'StartInterval in Healthcheck cannot be less than 1ms'],
    [{ Retries: -1 }, 'Retries in Healthcheck cannot be negative'],
    [{ Test: ['BOGUS'] }, 'unknown healthcheck type \'BOGUS\' (expected CMD, CMD-SHELL or NONE)'],
    [{ Test: ['CMD'] }, 'Healthcheck CMD needs a command']
  ]
  for (const [h, msg] of bad) t.throws(() => checkHealthConfig(h), { message: msg, code: 'INVALID_ARGUMENT' }, msg)
  for (const h of [null, undefined, {}, { Interval: 1e6, Test: ['NONE'] }, { Test: [] }]) t.doesNotThrow(() => checkHealthConfig(h), JSON.stringify(h))
  const image = { Test: ['CMD-SHELL', 'img'], Interval: 5 * S, Retries: 4 }
  t.same(mergeHealthConfig(image, undefined), image, 'no body healthcheck: the image\'s')
  t.same(mergeHealthConfig(image, { Interval: S, Test: [], Timeout: 0 }), { Test: ['CMD-SHELL', 'img'], Interval: S, Retries: 4 }, 'zero body fields are the image\'s')
  t.same(mergeHealthConfig(image, { Test: ['NONE'] }), { Test: ['NONE'], Interval: 5 * S, Retries: 4 }, '--no-healthcheck')
  t.same(mergeHealthConfig(undefined, { Test: ['CMD', 'a'], Interval: null }), { Test: ['CMD', 'a'] })
  t.equal(mergeHealthConfig(undefined, null), undefined)
  t.same(probeCommand({ Test: ['CMD', 'a', 'b'] }), ['a', 'b'])
  t.same(probeCommand({ Test: ['CMD-SHELL', 'a && b'] }), ['/bin/sh', '-c', 'a && b'])
  for (const test of [['NONE'], [], ['CMD']]) t.equal(probeCommand({ Test: test }), undefined, JSON.stringify(test))
  t.same([30_000, 1500, 500, 90_000, 3_600_000, 0.5].map(goDuration), ['30s', '1.5s', '500ms', '1m30s', '1h0m0s', '0.5ms'], 'Go\'s Duration.String')
  t.ok(restartsOnUnhealthy({ labels: { 'berth.restart-on-unhealthy': 'true' } }))
  t.notOk(restartsOnUnhealthy({ labels: { 'berth.restart-on-unhealthy': 'false' } }))
})

t.test('output is capped at 4096 bytes, marked with ...', async t => {
  const small = new CappedOutput()
  small.add(Buffer.from('ok\n'))
  t.equal(small.text(), 'ok\n')
  const big = new CappedOutput()
  for (let i = 0; i < 300; i++) big.add(Buffer.alloc(4000, 'x'))
  t.equal(big.text(), `${'x'.repeat(MAX_OUTPUT)}...`)
  const exact = new CappedOutput()
  exact.add(Buffer.alloc(MAX_OUTPUT, 'y'))
  t.equal(exact.text(), 'y'.repeat(MAX_OUTPUT), 'exactly the cap is not cut')
})

t.test('collectProbe: a probe past its timeout is killed', async t => {
  // A stream that never ends stands for the probe's output; the "process" is a sleep of our own.
  const { spawn } = await import('node:child_process')
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  t.teardown(() => { child.kill('SIGKILL') })
  const exited = new Promise(resolve => child.once('exit', (_code, signal) => resolve(signal)))
  const output = new Readable({ read () {} })
  output.push('partial')
  child.once('exit', () => output.push(null))
  const r = await collectProbe(output, () => child.pid!, 100)
  t.same(r, { output: 'partial', timedOut: true })
  t.equal(await exited, 'SIGKILL')
})

t.test('HEALTHCHECK in import --change', async t => {
  t.same([parseGoDuration('1m30s'), parseGoDuration('500ms'), parseGoDuration('1.5s'), parseGoDuration('0'), parseGoDuration('5'), parseGoDuration('1x')], [90 * S, S / 2, 1.5 * S, 0, undefined, undefined])
  t.same(applyChanges({}, ['HEALTHCHECK --interval=2s --retries=5 CMD curl -f http://x/ || exit 1']).Healthcheck,
    { Interval: 2 * S, Retries: 5, Test: ['CMD-SHELL', 'curl -f http://x/ || exit 1'] })
  t.same(applyChanges({}, ['HEALTHCHECK --timeout=1s --start-period=3s --start-interval=100ms CMD ["true", "x"]']).Healthcheck,
    { Timeout: S, StartPeriod: 3 * S, StartInterval: S / 10, Test: ['CMD', 'true', 'x'] })
  t.same(applyChanges({}, ['healthcheck NONE']).Healthcheck, { Test: ['NONE'] })
  for (const [change, msg] of [
    ['HEALTHCHECK --interval=1us CMD true', /cannot be less than 1ms/],
    ['HEALTHCHECK --interval=soon CMD true', /invalid duration "soon"/],
    ['HEALTHCHECK --retries=-1 CMD true', /--retries cannot be negative/],
    ['HEALTHCHECK --bogus=1 CMD true', /Unknown flag: bogus/],
    ['HEALTHCHECK RUN true', /Unknown type "RUN" in HEALTHCHECK/],
    ['HEALTHCHECK CMD', /Missing command after HEALTHCHECK CMD/],
    ['HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/]
  ] as const) t.throws(() => applyChanges({}, [change]), { message: msg, code: 'INVALID_ARGUMENT' }, change)
})

t.test('HealthMonitor with a fake probe and store', async t => {
  const saved: Array<[string, HealthState]> = []
  const events: string[] = []
  const unhealthy: string[] = []
  let code = 0
  const probes: number[] = []
  const monitor = new HealthMonitor({
    store: { save: async (id, h) => { saved.push([id, h]) }, load: async () => ({ Status: 'healthy', FailingStreak: 0, Log: [] }) },
    probe: async () => { probes.push(Date.now()); return { exitCode: code, output: `code ${code}`, timedOut: false } satisfies ProbeOutcome },
    event: (_rec, action) => events.push(action),
    restart: async id => { unhealthy.push(id) },
    log: pino({ level: 'silent' })
  })
  t.teardown(() => monitor.close())
  const rec = { id: 'c1', labels: { 'berth.restart-on-unhealthy': 'true' }, status: 'running', startedAt: new Date().toISOString(), healthcheck: { Test: ['CMD', 'x'], Interval: 20e6, Retries: 2 } } as unknown as ContainerRecord
  const wait = async (ok: () => boolean): Promise<void> => { for (let i = 0; i < 200 && !ok(); i++) await new Promise(resolve => setTimeout(resolve, 10)) }

  monitor.onEvent(rec, 'start')
  t.equal(monitor.status('c1'), 'starting')
  await wait(() => monitor.status('c1') === 'healthy')
  t.same(events, ['health_status: healthy'])
  code = 1
  await wait(() => monitor.status('c1') === 'unhealthy')
  t.same(events, ['health_status: healthy', 'health_status: unhealthy'])
  t.same(unhealthy, ['c1'], 'restarted: it has the label')
  t.equal(monitor.state('c1')!.Log.at(-1)!.Output, 'code 1')
  await monitor.flushed()
  t.equal(saved.at(-1)![1].Status, 'unhealthy', 'the change was saved')

  monitor.onEvent(rec, 'pause')
  const n = probes.length
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(probes.length, n, 'no probes while paused')
  monitor.onEvent(rec, 'unpause')
  t.equal(monitor.status('c1'), 'starting', 'unpause starts over, as moby does')
  monitor.onEvent(rec, 'destroy')
  t.equal(monitor.status('c1'), 'none')

  // A berthd restart: the saved status is kept and probes continue.
  await monitor.reload(rec)
  t.equal(monitor.status('c1'), 'healthy', 'status from the store')
  code = 0
  const before = probes.length
  await wait(() => probes.length > before)
  t.ok(probes.length > before, 'probes re-armed')
  monitor.onEvent(rec, 'die')
  t.equal(monitor.status('c1'), 'unhealthy')
  const none = { ...rec, id: 'c2', healthcheck: { Test: ['NONE'] } } as unknown as ContainerRecord
  monitor.onEvent(none, 'start')
  t.equal(monitor.status('c2'), 'none', 'NONE: no health at all')
})
