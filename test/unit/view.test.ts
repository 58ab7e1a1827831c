import t from 'tap'
import { dieAttributes, humanDuration, statusText, summary, SummaryCache, inspect } from '../../src/containers/view.js'
import type { ContainerRecord, Status } from '../../src/store/records.js'
import type { HealthState } from '../../src/store/health.js'
import { record } from './fixtures.js'

const rec = record

const S = 1000; const M = 60 * S; const H = 60 * M; const D = 24 * H

t.test('humanDuration', async t => {
  const rows: Array<[number, string]> = [
    [-5000, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1000, '1 second'],
    [1999, '1 second'],
    [2000, '2 seconds'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H + 29 * M, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [48 * H, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [364 * D, '12 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [365 * 5 * D, '5 years']
  ]
  for (const [ms, want] of rows) t.equal(humanDuration(ms), want, `${ms} ms`)
})

t.test('statusText', async t => {
  const started = Date.parse('2024-01-02T03:04:05Z')
  const rows: Array<[string, Partial<ContainerRecord>, number, string]> = [
    ['running', { status: 'running' }, started + 5 * M, 'Up 5 minutes'],
    ['running, just started', { status: 'running' }, started + 300, 'Up Less than a second'],
    ['paused', { status: 'paused' }, started + 3 * H, 'Up 3 hours (Paused)'],
    ['exited', { status: 'exited', exitCode: 137, finishedAt: '2024-01-02T04:00:00Z' }, Date.parse('2024-01-02T04:00:10Z'), 'Exited (137) 10 seconds ago'],
    ['exited 0', { status: 'exited', exitCode: 0, finishedAt: '2024-01-02T04:00:00Z' }, Date.parse('2024-01-02T06:00:00Z'), 'Exited (0) 2 hours ago'],
    ['exited, never started', { status: 'exited', startedAt: '0001-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z' }, started, 'Created'],
    ['exited, never started, with an error', { status: 'exited', exitCode: 255, error: 'boom', startedAt: '0001-01-01T00:00:00Z', finishedAt: '2024-01-02T03:04:05Z' }, started + 2 * S, 'Exited (255) 2 seconds ago'],
    ['created', { status: 'created', startedAt: '0001-01-01T00:00:00Z' }, started, 'Created'],
    ['creating', { status: 'creating', startedAt: '0001-01-01T00:00:00Z' }, started, 'Created'],
    ['restarting', { status: 'restarting', exitCode: 3, finishedAt: '2024-01-02T04:00:00Z' }, Date.parse('2024-01-02T04:00:02Z'), 'Restarting (3) 2 seconds ago'],
    ['removing', { status: 'removing' }, started, 'Removal In Progress']
  ]
  for (const [name, over, now, want] of rows) t.equal(statusText(rec(over), now), want, name)
})

t.test('summary', async t => {
  const now = Date.parse('2024-01-02T03:05:05Z')
  const s = summary(rec(), now)
  t.equal(s.Id, rec().id)
  t.same(s.Names, ['/web'])
  t.ok(s.Names.every(n => n.startsWith('/')), 'names start with /')
  t.equal(s.Command, "/bin/sh -c 'echo hi'", 'an argument with a space in single quotes, as moby writes it')
  t.equal(summary(rec({ args: ['-c', 'echo "a b"', 'x\ty'] }), now).Command, '/bin/sh -c \'echo "a b"\' x\ty', 'nothing escaped; only a space quotes')
  t.equal(s.Created, 1704164645, 'unix seconds, floored')
  t.equal(s.State, 'running')
  t.equal(s.Status, 'Up About a minute')
  t.same(s.Labels, { app: 'shop' })
  t.same(s.Ports, [])
  t.same(s.Mounts, [])
  t.equal(s.HostConfig.NetworkMode, 'none')
  t.equal(summary(rec({ args: [] }), now).Command, '/bin/sh', 'no args')
  t.equal(summary(rec({ status: 'creating' }), now).State, 'created', 'creating shows as created')
  t.equal(summary(rec({ status: 'exited', finishedAt: '2024-01-02T03:05:00Z', exitCode: 3 }), now).Status, 'Exited (3) 5 seconds ago')
})

t.test('SummaryCache: the text JSON.stringify gives, Status as of each call, rebuilt when a shown field changes', async t => {
  const cache = new SummaryCache()
  const r = rec({ status: 'running', startedAt: '2024-01-02T03:04:00Z', labels: { a: 'b "c"' } })
  const same = (now: number, what: string): void => { t.equal(cache.json(r, now), JSON.stringify(summary(r, now)), what) }
  const now = Date.parse('2024-01-02T03:04:05Z')
  same(now, 'first call')
  t.match(cache.json(r, now + 5 * M), /"Status":"Up 5 minutes"/, 'Status follows the clock')
  same(now + 5 * M, 'later')
  r.name = 'renamed'
  same(now, 'renamed')
  r.status = 'exited'; r.exitCode = 2; r.finishedAt = '2024-01-02T03:04:03Z'
  same(now, 'exited')
  r.labels = { x: 'y' }
  same(now, 'labels replaced')
  r.createBody = { HostConfig: { NetworkMode: 'host', Binds: ['/a:/b:ro'] } }
  same(now, 'create body replaced')
  const other = rec({ id: 'f'.repeat(64), createBody: { HostConfig: { Tmpfs: { '/t': '' } } } })
  t.equal(cache.json(other, now), JSON.stringify(summary(other, now)), 'another container has its own text')
  t.equal(`[${cache.join([r, other], now)}]`, JSON.stringify([summary(r, now), summary(other, now)]), 'a list')
  t.equal(`[${cache.join([], now)}]`, '[]', 'an empty list')
})

t.test('SummaryCache.list: the bytes of JSON.stringify, the same buffer while nothing shown changed', async t => {
  const cache = new SummaryCache()
  const a = rec({ status: 'running', startedAt: '2024-01-02T03:04:00.500Z' })
  const b = rec({ id: 'f'.repeat(64), name: 'other', status: 'exited', startedAt: '2024-01-02T03:00:00Z', finishedAt: '2024-01-02T03:01:00Z', exitCode: 1 })
  const now = Date.parse('2024-01-02T03:04:05Z')
  const want = (recs: ContainerRecord[], at: number): string => JSON.stringify(recs.map(r => summary(r, at)))
  const first = cache.list([a, b], now)
  t.equal(first.toString(), want([a, b], now), 'the list as JSON')
  t.equal(cache.list([a, b], now + 400), first, 'within the same second of Up: the same buffer')
  const later = cache.list([a, b], now + 600)
  t.not(later, first, 'a second later: a new answer')
  t.equal(later.toString(), want([a, b], now + 600), 'with the new Status')
  t.equal(cache.list([b], now).toString(), want([b], now), 'another selection has its own answer')
  t.equal(cache.list([a, b], now + 600), later, 'and the earlier one is still kept')
  b.exitCode = 2
  t.equal(cache.list([a, b], now + 600).toString(), want([a, b], now + 600), 'an exit code changed in place: the answer follows')
  b.error = 'boom'; b.startedAt = '0001-01-01T00:00:00Z'
  t.equal(cache.list([a, b], now + 600).toString(), want([a, b], now + 600), 'an error changed in place: the answer follows')
  a.status = 'paused'
  t.equal(cache.list([a, b], now + 600).toString(), want([a, b], now + 600), 'paused')
  a.status = 'restarting'; a.finishedAt = '2024-01-02T03:04:04Z'; a.exitCode = 3
  t.equal(cache.list([a, b], now + 600).toString(), want([a, b], now + 600), 'restarting, since its finish')
  t.equal(cache.list([], now).toString(), '[]', 'an empty list')
})

t.test('SummaryCache: a health change shows in Status though the record is the same', async t => {
  let health: HealthState | undefined = { Status: 'starting', FailingStreak: 0, Log: [] }
  const cache = new SummaryCache(() => undefined, () => health)
  const r = rec({ status: 'running', startedAt: '2024-01-02T03:04:00Z' })
  const now = Date.parse('2024-01-02T03:04:05Z')
  t.match(cache.list([r], now).toString(), /"Status":"Up 5 seconds \(health: starting\)"/)
  health = { ...health, Status: 'healthy' }
  t.match(cache.list([r], now).toString(), /"Status":"Up 5 seconds \(healthy\)"/)
  health = undefined
  t.match(cache.list([r], now).toString(), /"Status":"Up 5 seconds"/)
})

t.test('inspect', async t => {
  const r = rec()
  const i = inspect(r, '/var/lib/berth/containers/x/ctr.log')
  t.equal(i.Id, r.id)
  t.equal(i.Name, '/web')
  t.equal(i.Created, r.created)
  t.equal(i.Path, '/bin/sh')
  t.same(i.Args, ['-c', 'echo hi'])
  t.equal(i.LogPath, '/var/lib/berth/containers/x/ctr.log')
  t.equal(i.Bundle, '/bundles/web')
  t.ok(i.Config, 'has Config')
  t.ok(i.HostConfig, 'has HostConfig')
  t.same(i.Config.Cmd, ['/bin/sh', '-c', 'echo hi'])
  t.same(i.Config.Env, ['PATH=/bin', 'A=1'])
  t.equal(i.Config.Tty, true)
  t.equal(i.Config.OpenStdin, true)
  t.equal(i.Config.WorkingDir, '/work')
  t.equal(i.Config.Hostname, 'webhost')
  t.equal(i.Config.User, '1000:1000')
  t.same(i.Config.Labels, { app: 'shop' })
  t.equal(i.HostConfig.Runtime, 'crun')
  t.equal(i.HostConfig.NetworkMode, 'none')
  t.same(i.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 })
  t.equal(i.State.StartedAt, r.startedAt)
  t.equal(i.State.FinishedAt, r.finishedAt)

  const rows: Array<[Status, { Status: string, Running: boolean, Paused: boolean, Restarting: boolean, Pid: number }]> = [
    ['creating', { Status: 'created', Running: false, Paused: false, Restarting: false, Pid: 0 }],
    ['created', { Status: 'created', Running: false, Paused: false, Restarting: false, Pid: 0 }],
    ['running', { Status: 'running', Running: true, Paused: false, Restarting: false, Pid: 4242 }],
    ['paused', { Status: 'paused', Running: true, Paused: true, Restarting: false, Pid: 4242 }],
    // Docker counts a restarting container as running (moby State.SetRestarting), with no pid.
    ['restarting', { Status: 'restarting', Running: true, Paused: false, Restarting: true, Pid: 0 }],
    ['exited', { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0 }],
    ['removing', { Status: 'removing', Running: false, Paused: false, Restarting: false, Pid: 0 }]
  ]
  for (const [status, want] of rows) {
    const st = inspect(rec({ status }), '/l').State
    t.same({ Status: st.Status, Running: st.Running, Paused: st.Paused, Restarting: st.Restarting, Pid: st.Pid }, want, status)
  }
  const policy = { Name: 'on-failure', MaximumRetryCount: 3 } as const
  const asked = inspect(rec({ restartPolicy: policy, restartCount: 2 }), '/l')
  t.same(asked.HostConfig.RestartPolicy, policy, 'the policy as asked')
  t.equal(asked.RestartCount, 2)
  const ex = inspect(rec({ status: 'exited', exitCode: 137, oomKilled: true, error: 'oom' }), '/l').State
  t.equal(ex.ExitCode, 137)
  t.equal(ex.OOMKilled, true)
  t.equal(ex.Error, 'oom')
  t.equal(ex.Pid, 0, 'stale pid hidden')
})

t.test('inspect Mounts: each bind\'s propagation as asked, rprivate when not', async t => {
  const createBody = {
    HostConfig: {
      Binds: ['/h:/a', '/h:/b:ro,rshared', '/h:/c:rslave'],
      Mounts: [{ Type: 'bind', Source: '/h', Target: '/d', BindOptions: { Propagation: 'shared' } }, { Type: 'bind', Source: '/h', Target: '/e' }, { Type: 'tmpfs', Target: '/t' }]
    }
  }
  const got = inspect(rec({ createBody }), '/l').Mounts.map((m: any) => [m.Destination, m.Propagation, m.RW])
  t.same(got, [['/a', 'rprivate', true], ['/b', 'rshared', false], ['/c', 'rslave', true], ['/d', 'shared', true], ['/e', 'rprivate', true], ['/t', '', true]])
})

t.test('dieAttributes: the exit code and the run\'s whole seconds', async t => {
  t.same(dieAttributes({ exitCode: 3, startedAt: '2024-01-02T03:04:05.100Z', finishedAt: '2024-01-02T03:04:07.000Z' }), { exitCode: '3', execDuration: '1' })
  t.same(dieAttributes({ exitCode: 0, startedAt: '2024-01-02T03:04:05Z', finishedAt: '2024-01-02T03:04:05.5Z' }), { exitCode: '0', execDuration: '0' })
  t.same(dieAttributes({ exitCode: 127, startedAt: '0001-01-01T00:00:00Z', finishedAt: '2024-01-02T03:04:05Z' }), { exitCode: '127', execDuration: '0' }, 'never started')
})
