/**
 * The docker client's day-to-day commands against berthd, checked for what a
 * user sees: the text each command prints and its exit status. (Interactive
 * use, attach and exec, is in docker-cli.test.ts.)
 */
import t from 'tap'
import { execa } from 'execa'
import { DOCKER, dockerEnv, dockerTest, importBusybox, startDaemon, until, type Daemon } from './helpers.js'

/** Runs the docker client against `d`; never hangs a test for more than 30 s. */
function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, {
    env: dockerEnv(d),
    input: '', reject: false, timeout: 30_000, killSignal: 'SIGKILL'
  })
}

/** stdout's lines, for commands that print one thing a line. */
const lines = (s: string): string[] => s === '' ? [] : s.split('\n')

// A service that says it started, and says so when it gets USR1 or TERM (it is the container's init,
// which only the signals it handles reach).
const SERVICE = ['sh', '-c', 'trap "echo got usr1" USR1; trap "echo bye; exit 0" TERM; echo started; while :; do sleep 0.1; done']

dockerTest(t, 'docker CLI: everyday commands', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')

  t.test('run -d, then ps with its filters and formats', async t => {
    const web = await docker(d, ['run', '-d', '--name', 'web', '--label', 'app=shop', 'bb', ...SERVICE])
    t.equal(web.exitCode, 0, web.stderr)
    const id = web.stdout
    t.match(id, /^[0-9a-f]{64}$/)
    const done = await docker(d, ['run', '--name', 'done', '--label', 'app=shop', 'bb', 'sh', '-c', 'exit 3'])
    t.equal(done.exitCode, 3)
    t.equal((await docker(d, ['create', '--name', 'fresh', 'bb', 'true'])).exitCode, 0)

    const ps = await docker(d, ['ps'])
    t.equal(ps.exitCode, 0, ps.stderr)
    const [head, ...rows] = lines(ps.stdout)
    t.match(head, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/)
    t.equal(rows.length, 1, 'running containers only')
    // The command as moby lists it, quoted by the client and cut to 20 characters.
    t.match(rows[0], new RegExp(`^${id.slice(0, 12)}\\s+bb\\s+"sh -c 'trap \\\\"echo g…"\\s+(Less than a second|\\d+ seconds?) ago\\s+Up .+\\s+web$`))

    const fmt = ['--format', '{{.Names}} {{.Status}}']
    t.match((await docker(d, ['ps', ...fmt])).stdout, /^web Up (Less than a second|\d+ seconds?)$/)
    t.same(lines((await docker(d, ['ps', '-a', '--format', '{{.Names}}'])).stdout), ['fresh', 'done', 'web'], '-a: all, newest first')
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'status=running', '--format', '{{.Names}}'])).stdout), ['web'])
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'status=exited', ...fmt])).stdout).map(l => l.replace(/\) .*/, ')')), ['done Exited (3)'])
    t.same(lines((await docker(d, ['ps', '--filter', 'status=created', ...fmt])).stdout), ['fresh Created'], 'a status filter needs no -a')
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}'])).stdout), ['done'])
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'exited=0', '--format', '{{.Names}}'])).stdout), [], 'a created container has not exited')
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'name=do', '--format', '{{.Names}}'])).stdout), ['done'], 'name: a part of it')
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'label=app=shop', '--format', '{{.Names}}'])).stdout), ['done', 'web'])
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'label=app', '--filter', 'status=running', '--format', '{{.Names}}'])).stdout), ['web'], 'filters of different keys: all must match')
    t.same(lines((await docker(d, ['ps', '-q'])).stdout), [id.slice(0, 12)])
    t.equal(lines((await docker(d, ['ps', '-aq'])).stdout).length, 3)
    t.same(lines((await docker(d, ['ps', '-l', '--format', '{{.Names}}'])).stdout), ['fresh'], '-l: the latest created')
    t.same(lines((await docker(d, ['ps', '-n', '2', '--format', '{{.Names}}'])).stdout), ['fresh', 'done'], '-n 2: the last two, any state')
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'ancestor=bb', '--format', '{{.Names}}'])).stdout), ['fresh', 'done', 'web'])
    t.same(lines((await docker(d, ['ps', '-a', '--filter', 'ancestor=nope', '--format', '{{.Names}}'])).stdout), [])
    t.same(lines((await docker(d, ['ps', '--filter', 'before=fresh', '--format', '{{.Names}}'])).stdout), ['done', 'web'], 'before: any state')
    t.same(lines((await docker(d, ['ps', '--filter', 'since=web', '--format', '{{.Names}}'])).stdout), ['fresh', 'done'])
    const since = await docker(d, ['ps', '--filter', 'since=nosuch'])
    t.same([since.exitCode, since.stderr], [1, 'Error response from daemon: No such container: nosuch'])
    const info = await docker(d, ['info', '--format', '{{.Debug}} {{.ExperimentalBuild}} {{.LiveRestoreEnabled}} {{.LoggingDriver}}'])
    t.same([info.exitCode, info.stdout], [0, 'true false true json-file'], 'docker info: SystemInfo\'s fields')
    const driver = await docker(d, ['create', '--log-driver', 'asdf', 'bb', 'true'])
    t.same([driver.exitCode, driver.stderr], [1, 'Error response from daemon: logger: no log driver named \'asdf\' is registered'], 'an unknown log driver: Docker\'s message')
    const full = await docker(d, ['ps', '--no-trunc', '--format', '{{.ID}} {{.Command}}'])
    t.equal(full.stdout, `${id} "sh -c 'trap \\"echo got usr1\\" USR1; trap \\"echo bye; exit 0\\" TERM; echo started; while :; do sleep 0.1; done'"`)
    t.same(lines((await docker(d, ['ps', '--format', '{{.Label "app"}} {{.Image}} {{.State}}'])).stdout), ['shop bb running'])
    const bad = await docker(d, ['ps', '--filter', 'status=sleepy'])
    t.not(bad.exitCode, 0)
    t.match(bad.stderr, /invalid filter 'status=sleepy'/)

    t.equal((await docker(d, ['inspect', '-f', '{{.State.ExitCode}}', 'done'])).stdout, '3')
    t.equal((await docker(d, ['inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Image}}', 'web'])).stdout, 'running /web bb')
    t.equal((await docker(d, ['rm', 'done', 'fresh'])).stdout, 'done\nfresh')
  })

  t.test('kill -s USR1, stop, restart, inspect, rm -f', async t => {
    await until(async () => (await docker(d, ['logs', 'web'])).stdout === 'started', 10_000, 'web started')
    const kill = await docker(d, ['kill', '-s', 'USR1', 'web'])
    t.equal(kill.exitCode, 0, kill.stderr)
    t.equal(kill.stdout, 'web')
    await until(async () => (await docker(d, ['logs', 'web'])).stdout === 'started\ngot usr1', 10_000, 'the trap printed')
    t.equal((await docker(d, ['inspect', '-f', '{{.State.Status}}', 'web'])).stdout, 'running', 'a trapped signal does not stop it')

    const stop = await docker(d, ['stop', 'web'])
    t.equal(stop.exitCode, 0, stop.stderr)
    t.equal(stop.stdout, 'web')
    t.equal((await docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web'])).stdout, 'exited 0', 'the TERM trap exited 0')
    t.equal((await docker(d, ['logs', 'web'])).stdout, 'started\ngot usr1\nbye')
    const again = await docker(d, ['stop', 'web'])
    t.same([again.exitCode, again.stdout], [0, 'web'], 'stopping a stopped container is no error')
    const killStopped = await docker(d, ['kill', 'web'])
    t.equal(killStopped.exitCode, 1)
    t.match(killStopped.stderr, /is not running/)

    const startedAt = (await docker(d, ['inspect', '-f', '{{.State.StartedAt}}', 'web'])).stdout
    const restart = await docker(d, ['restart', 'web'])
    t.equal(restart.exitCode, 0, restart.stderr)
    t.equal(restart.stdout, 'web')
    t.equal((await docker(d, ['inspect', '-f', '{{.State.Running}}', 'web'])).stdout, 'true')
    t.not((await docker(d, ['inspect', '-f', '{{.State.StartedAt}}', 'web'])).stdout, startedAt, 'a new run')
    await until(async () => (await docker(d, ['logs', 'web'])).stdout.endsWith('bye\nstarted'), 10_000, 'the second run started')

    const rm = await docker(d, ['rm', 'web'])
    t.equal(rm.exitCode, 1, 'a running container needs -f')
    t.match(rm.stderr, /container is running: stop the container before removing or force remove/)
    const rmf = await docker(d, ['rm', '-f', 'web'])
    t.same([rmf.exitCode, rmf.stdout], [0, 'web'])
    t.equal((await docker(d, ['ps', '-aq'])).stdout, '')
    const gone = await docker(d, ['inspect', 'web'])
    t.equal(gone.exitCode, 1)
    t.match(gone.stderr, /No such object: web/)
  })

  t.test('logs: -f follows to the end, --tail, --since, -t', async t => {
    const run = await docker(d, ['run', '-d', '--name', 'counter', 'bb', 'sh', '-c', 'for i in 1 2 3 4 5; do echo n$i; sleep 0.2; done; echo warn >&2'])
    t.equal(run.exitCode, 0, run.stderr)
    const follow = await docker(d, ['logs', '-f', 'counter'])
    t.equal(follow.exitCode, 0, follow.stderr)
    t.equal(follow.stdout, 'n1\nn2\nn3\nn4\nn5', 'every line, then the client returns when the container exits')
    t.equal(follow.stderr, 'warn')
    t.equal((await docker(d, ['inspect', '-f', '{{.State.Status}}', 'counter'])).stdout, 'exited')

    t.equal((await docker(d, ['logs', '--tail', '2', 'counter'])).stdout, 'n5', 'the last two lines: n5 on stdout, warn on stderr')
    t.equal((await docker(d, ['logs', '--tail', '3', 'counter'])).stdout, 'n4\nn5')
    const stamped = lines((await docker(d, ['logs', '-t', 'counter'])).stdout)
    t.equal(stamped.length, 5)
    for (const [i, l] of stamped.entries()) t.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z n${i + 1}$`))
    const third = stamped[2]!.split(' ')[0]!
    t.equal((await docker(d, ['logs', '--since', third, 'counter'])).stdout, 'n3\nn4\nn5', '--since an RFC 3339 time')
    t.equal((await docker(d, ['logs', '--until', third, 'counter'])).stdout, 'n1\nn2\nn3', '--until')
    t.equal((await docker(d, ['logs', '--since', '1h', 'counter'])).stdout, 'n1\nn2\nn3\nn4\nn5', '--since a duration')
    t.equal((await docker(d, ['logs', '--since', '2000-01-01T00:00:00Z', '--until', '2000-01-02T00:00:00Z', 'counter'])).stdout, '')
    const stopped = await docker(d, ['logs', '-f', '--tail', '2', 'counter'])
    t.same([stopped.stdout, stopped.stderr], ['n5', 'warn'], '-f on a stopped container returns at once')
    await docker(d, ['rm', 'counter'])
  })

  t.test('wait prints the exit code', async t => {
    await docker(d, ['run', '-d', '--name', 'waiter', 'bb', 'sh', '-c', 'sleep 0.5; exit 9'])
    const w = await docker(d, ['wait', 'waiter'])
    t.same([w.exitCode, w.stdout], [0, '9'])
    t.equal((await docker(d, ['wait', 'waiter'])).stdout, '9', 'at once for an exited container')
    const missing = await docker(d, ['wait', 'nosuch'])
    t.equal(missing.exitCode, 1)
    t.match(missing.stderr, /No such container: nosuch/)
    await docker(d, ['rm', 'waiter'])
  })

  t.test('events --since --until --filter', async t => {
    const since = (Date.now() / 1000).toFixed(3)
    await docker(d, ['run', '--name', 'evt', '--label', 'tier=db', 'bb', 'sh', '-c', 'exit 2'])
    const id = (await docker(d, ['inspect', '-f', '{{.Id}}', 'evt'])).stdout
    await docker(d, ['rm', 'evt'])
    const end = (Date.now() / 1000 + 0.1).toFixed(3)
    const all = await docker(d, ['events', '--since', since, '--until', end, '--filter', 'container=evt'])
    t.equal(all.exitCode, 0, all.stderr)
    const actions = lines(all.stdout).map(l => l.split(' ')[2])
    t.same(actions, ['create', 'attach', 'start', 'die', 'destroy'], 'the run\'s life, in order')
    const die = await docker(d, ['events', '--since', since, '--until', end, '--filter', 'event=die', '--filter', 'label=tier=db'])
    t.match(die.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container die ${id} \\(execDuration=\\d+, exitCode=2, image=bb, name=evt, tier=db\\)$`))
    const fmt = await docker(d, ['events', '--since', since, '--until', end, '--filter', 'type=container', '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}} {{.Action}}'])
    t.equal(fmt.stdout, 'evt start')
    const none = await docker(d, ['events', '--since', since, '--until', end, '--filter', 'container=someone-else'])
    t.same([none.exitCode, none.stdout], [0, ''])
  })

  t.test('top, stats --no-stream, pause/unpause, rename, update --memory', async t => {
    await docker(d, ['run', '-d', '--name', 'svc', 'bb', 'sleep', '1000'])
    const top = await docker(d, ['top', 'svc'])
    t.equal(top.exitCode, 0, top.stderr)
    t.match(top.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n\S+\s+\d+\s+\d+\s+.*sleep 1000$/)
    t.equal((await docker(d, ['exec', 'svc', 'sh', '-c', 'head -c 100000 /dev/zero > /big'])).exitCode, 0)
    t.match((await docker(d, ['ps', '-s', '--format', '{{.Names}} {{.Size}}'])).stdout, /^svc 100kB \(virtual [\d.]+MB\)$/, 'ps -s: what it wrote, and with its image')
    t.equal((await docker(d, ['inspect', '-s', '-f', '{{.SizeRw}}', 'svc'])).stdout, '100000')
    const stats = await docker(d, ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'svc'])
    t.same([stats.exitCode, stats.stdout], [0, 'svc 1'])

    const pause = await docker(d, ['pause', 'svc'])
    t.same([pause.exitCode, pause.stdout], [0, 'svc'])
    t.match((await docker(d, ['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}'])).stdout, /^svc Up .* \(Paused\)$/)
    const execPaused = await docker(d, ['exec', 'svc', 'true'])
    t.not(execPaused.exitCode, 0)
    t.match(execPaused.stderr, /is paused, unpause the container before exec/)
    const pauseAgain = await docker(d, ['pause', 'svc'])
    t.equal(pauseAgain.exitCode, 1)
    t.match(pauseAgain.stderr, /is already paused/)
    const unpause = await docker(d, ['unpause', 'svc'])
    t.same([unpause.exitCode, unpause.stdout], [0, 'svc'])
    t.equal((await docker(d, ['exec', 'svc', 'echo', 'awake'])).stdout, 'awake')
    const unpauseAgain = await docker(d, ['unpause', 'svc'])
    t.equal(unpauseAgain.exitCode, 1)
    t.match(unpauseAgain.stderr, /is not paused/)

    const rename = await docker(d, ['rename', 'svc', 'svc2'])
    t.same([rename.exitCode, rename.stdout], [0, ''])
    t.same(lines((await docker(d, ['ps', '--format', '{{.Names}}'])).stdout), ['svc2'])

    const update = await docker(d, ['update', '--memory', '64m', 'svc2'])
    t.same([update.exitCode, update.stdout], [0, 'svc2'], update.stderr)
    t.equal((await docker(d, ['inspect', '-f', '{{.HostConfig.Memory}}', 'svc2'])).stdout, '67108864')
    t.match((await docker(d, ['stats', '--no-stream', '--format', '{{.MemUsage}}', 'svc2'])).stdout, / \/ 64MiB$/, 'stats shows the new limit')
    t.equal((await docker(d, ['rm', '-f', 'svc2'])).exitCode, 0)
  })

  t.test('container prune -f', async t => {
    await docker(d, ['run', '--name', 'old1', 'bb', 'true'])
    await docker(d, ['run', '--name', 'old2', 'bb', 'sh', '-c', 'exit 1'])
    await docker(d, ['run', '-d', '--name', 'keep', 'bb', 'sleep', '1000'])
    const ids = await Promise.all(['old1', 'old2'].map(async n => (await docker(d, ['inspect', '-f', '{{.Id}}', n])).stdout))
    const prune = await docker(d, ['container', 'prune', '-f'])
    t.equal(prune.exitCode, 0, prune.stderr)
    const out = lines(prune.stdout)
    t.equal(out[0], 'Deleted Containers:')
    t.same(out.slice(1, 3).sort(), [...ids].sort())
    t.match(out.at(-1), /^Total reclaimed space: /)
    t.same(lines((await docker(d, ['ps', '-a', '--format', '{{.Names}}'])).stdout), ['keep'], 'the running one is kept')
    await docker(d, ['rm', '-f', 'keep'])
  })
})
