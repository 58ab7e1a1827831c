import t from 'tap'
import { conmonArgs, parseSyncLine } from '../../src/shims/conmon.js'

const base = {
  id: 'abc123',
  name: 'web',
  runtime: { name: 'runc', path: '/usr/sbin/runc', root: '/run/berth/rt/runc', extraArgs: [] as string[] },
  stateDir: '/run/berth/containers/abc123',
  bundleDir: '/run/berth/containers/abc123/bundle',
  exitDir: '/run/berth/exits',
  socketDir: '/run/berth/sock',
  logPath: '/var/lib/berth/containers/abc123/ctr.log',
  logSizeMax: 1048576 as number | undefined,
  tty: false,
  openStdin: false,
  stdinOnce: false
}

const common = [
  '--api-version', '1', '-c', 'abc123', '-u', 'abc123', '-n', 'web',
  '-r', '/usr/sbin/runc', '-b', '/run/berth/containers/abc123/bundle',
  '-p', '/run/berth/containers/abc123/ctr.pid', '-P', '/run/berth/containers/abc123/conmon.pid',
  '-l', 'k8s-file:/var/lib/berth/containers/abc123/ctr.log', '--log-size-max', '1048576',
  '--exit-dir', '/run/berth/exits', '--socket-dir-path', '/run/berth/sock', '--log-level', 'warning'
]
const rtArgs = ['--runtime-arg', '--root', '--runtime-arg', '/run/berth/rt/runc', '--runtime-arg', '--log-format', '--runtime-arg', 'json']

t.test('conmonArgs', async t => {
  const rows: Array<[string, Partial<typeof base>, string[]]> = [
    ['plain', {}, [...common, ...rtArgs]],
    ['tty', { tty: true }, [...common, '-t', ...rtArgs]],
    ['openStdin: stdin stays open across attaches', { openStdin: true }, [...common, '-i', '--leave-stdin-open', ...rtArgs]],
    ['openStdin + stdinOnce: the first client\'s EOF closes it', { openStdin: true, stdinOnce: true }, [...common, '-i', ...rtArgs]],
    ['stdinOnce without openStdin means nothing', { stdinOnce: true }, [...common, ...rtArgs]],
    ['tty + openStdin + stdinOnce', { tty: true, openStdin: true, stdinOnce: true }, [...common, '-t', '-i', ...rtArgs]],
    ['a log berthd rotates: no cap of conmon\'s, which would empty the file', { logSizeMax: undefined }, [...common.filter(a => a !== '--log-size-max' && a !== '1048576'), ...rtArgs]]
  ]
  for (const [name, over, want] of rows) t.same(conmonArgs({ ...base, ...over }), want, name)
})

t.test('conmonArgs passes extra runtime args as --runtime-arg pairs after --root and --log-format', async t => {
  const args = conmonArgs({ ...base, runtime: { ...base.runtime, extraArgs: ['--systemd-cgroup', '--debug'] } })
  t.same(args.slice(common.length), [...rtArgs, '--runtime-arg', '--systemd-cgroup', '--runtime-arg', '--debug'])
  // every runtime arg is preceded by --runtime-arg
  const tail = args.slice(common.length)
  for (let i = 0; i < tail.length; i += 2) t.equal(tail[i], '--runtime-arg')
})

t.test('conmonArgs keeps odd values as single argv elements', async t => {
  const args = conmonArgs({ ...base, name: 'a b', logPath: '/tmp/with space/log' })
  t.equal(args[args.indexOf('-n') + 1], 'a b')
  t.equal(args[args.indexOf('-l') + 1], 'k8s-file:/tmp/with space/log')
})

t.test('parseSyncLine', async t => {
  t.same(parseSyncLine('{"data": 4242}'), { data: 4242 }, 'success: pid')
  t.same(parseSyncLine('{"data":-1,"message":"exec failed: no such file"}'), { data: -1, message: 'exec failed: no such file' }, 'failure with message')
  t.same(parseSyncLine('{"data":-1}'), { data: -1 }, 'failure without message')
  t.same(parseSyncLine('{"data":7,"message":5}'), { data: 7 }, 'non-string message dropped')
  t.notOk('message' in parseSyncLine('{"data":1}'), 'no message key on success')
  t.throws(() => parseSyncLine('garbage'), SyntaxError, 'not JSON')
  t.throws(() => parseSyncLine(''), SyntaxError, 'empty')
  t.throws(() => parseSyncLine('{"message":"x"}'), { message: /unexpected message from conmon/ }, 'no data')
  t.throws(() => parseSyncLine('{"data":"12"}'), { message: /unexpected message from conmon/ }, 'string data')
  t.throws(() => parseSyncLine('null'), 'null')
})
