import t from 'tap'
import {
  BACKOFF, NO_RESTART, checkAutoRemove, nextBackoff, parseRestartPolicy, restartAfterExit, restartAtStartup,
  type ExitFacts, type RestartPolicy
} from '../../src/containers/restart.js'

const p = (Name: RestartPolicy['Name'], MaximumRetryCount = 0): RestartPolicy => ({ Name, MaximumRetryCount })
const exit = (over: Partial<ExitFacts> = {}): ExitFacts => ({ exitCode: 1, manuallyStopped: false, restartCount: 0, ...over })

t.test('parseRestartPolicy: Docker\'s names, counts and wording', async t => {
  t.same(parseRestartPolicy(undefined), NO_RESTART)
  t.same(parseRestartPolicy(null), NO_RESTART)
  t.same(parseRestartPolicy({ Name: null, MaximumRetryCount: null }), NO_RESTART)
  t.same(parseRestartPolicy({ Name: '', MaximumRetryCount: 5 }), NO_RESTART, 'an empty name is no, whatever the count (clients before Docker 25)')
  t.same(parseRestartPolicy({ Name: 'no' }), NO_RESTART)
  t.same(parseRestartPolicy({ Name: 'always', MaximumRetryCount: 0 }), p('always'))
  t.same(parseRestartPolicy({ Name: 'unless-stopped' }), p('unless-stopped'))
  t.same(parseRestartPolicy({ Name: 'on-failure' }), p('on-failure', 0))
  t.same(parseRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), p('on-failure', 3))
  const refused: Array<[unknown, string]> = [
    [{ Name: 'sometimes' }, 'invalid restart policy: unknown policy \'sometimes\'; use one of \'no\', \'always\', \'on-failure\', or \'unless-stopped\''],
    [{ Name: 'Always' }, 'invalid restart policy: unknown policy \'Always\'; use one of \'no\', \'always\', \'on-failure\', or \'unless-stopped\''],
    [{ Name: 'on-failure', MaximumRetryCount: -1 }, 'invalid restart policy: maximum retry count cannot be negative'],
    [{ Name: 'always', MaximumRetryCount: 2 }, 'invalid restart policy: maximum retry count can only be used with \'on-failure\''],
    [{ Name: 'no', MaximumRetryCount: 1 }, 'invalid restart policy: maximum retry count can only be used with \'on-failure\''],
    [{ Name: 'unless-stopped', MaximumRetryCount: -2 }, 'invalid restart policy: maximum retry count can only be used with \'on-failure\' and cannot be negative']
  ]
  for (const [asked, message] of refused) t.throws(() => parseRestartPolicy(asked as never), { code: 'INVALID_ARGUMENT', message }, JSON.stringify(asked))
})

t.test('checkAutoRemove: only no goes with AutoRemove', async t => {
  t.doesNotThrow(() => checkAutoRemove(NO_RESTART, true))
  t.doesNotThrow(() => checkAutoRemove(p('always'), false))
  for (const name of ['always', 'unless-stopped', 'on-failure'] as const) {
    t.throws(() => checkAutoRemove(p(name), true), { code: 'INVALID_ARGUMENT', message: 'can\'t create \'AutoRemove\' container with restart policy' }, name)
  }
})

t.test('restartAfterExit: the policy table, and a stop through the API wins', async t => {
  const rows: Array<[string, RestartPolicy, ExitFacts, boolean]> = [
    ['no, failure', p('no'), exit(), false],
    ['always, success', p('always'), exit({ exitCode: 0 }), true],
    ['always, failure', p('always'), exit({ exitCode: 137 }), true],
    ['always, many restarts already', p('always'), exit({ restartCount: 1000 }), true],
    ['unless-stopped, success', p('unless-stopped'), exit({ exitCode: 0 }), true],
    ['on-failure, success', p('on-failure'), exit({ exitCode: 0 }), false],
    ['on-failure, failure, no limit', p('on-failure'), exit({ restartCount: 99 }), true],
    ['on-failure:2, first failure', p('on-failure', 2), exit({ restartCount: 0 }), true],
    ['on-failure:2, second failure', p('on-failure', 2), exit({ restartCount: 1 }), true],
    ['on-failure:2, limit reached', p('on-failure', 2), exit({ restartCount: 2 }), false],
    ['always, stopped through the API', p('always'), exit({ manuallyStopped: true }), false],
    ['unless-stopped, stopped through the API', p('unless-stopped'), exit({ manuallyStopped: true }), false],
    ['on-failure, killed through the API', p('on-failure'), exit({ exitCode: 137, manuallyStopped: true }), false]
  ]
  for (const [name, policy, facts, want] of rows) t.equal(restartAfterExit(policy, facts), want, name)
})

t.test('restartAtStartup: Docker\'s restore rule', async t => {
  const at = (over: Partial<ExitFacts & { startedBefore: boolean, pending: boolean }> = {}) => ({ ...exit(), startedBefore: true, pending: false, ...over })
  const rows: Array<[string, RestartPolicy, ReturnType<typeof at>, boolean]> = [
    ['no', p('no'), at(), false],
    ['no, even with a restart pending', p('no'), at({ pending: true }), false],
    ['always, exited 0', p('always'), at({ exitCode: 0 }), true],
    ['always, even after a manual stop', p('always'), at({ manuallyStopped: true }), true],
    ['always, never started', p('always'), at({ startedBefore: false }), false],
    ['unless-stopped, died while berthd was down', p('unless-stopped'), at({ exitCode: 137 }), true],
    ['unless-stopped, stopped through the API', p('unless-stopped'), at({ manuallyStopped: true }), false],
    ['on-failure, died non-zero', p('on-failure'), at({ exitCode: 255 }), true],
    ['on-failure, exited 0', p('on-failure'), at({ exitCode: 0 }), false],
    ['on-failure:2, retries used up', p('on-failure', 2), at({ restartCount: 2 }), false],
    ['on-failure:2, a restart was pending (already counted)', p('on-failure', 2), at({ restartCount: 2, pending: true }), true]
  ]
  for (const [name, policy, facts, want] of rows) t.equal(restartAtStartup(policy, facts), want, name)
})

t.test('nextBackoff: 100 ms, doubling to a minute, reset after a 10 s run', async t => {
  let ms = 0
  const seen: number[] = []
  for (let i = 0; i < 12; i++) { ms = nextBackoff(ms, 50); seen.push(ms) }
  t.same(seen, [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000])
  t.equal(nextBackoff(60_000, BACKOFF.resetAfterRunMs), 100, 'a run of 10 s starts over')
  t.equal(nextBackoff(60_000, BACKOFF.resetAfterRunMs - 1), 60_000, 'a shorter one does not')
  t.equal(nextBackoff(0, 0), 100, 'the first wait')
  t.equal(nextBackoff(400, 3000), 800)
})
