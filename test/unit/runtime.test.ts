import t from 'tap'
import { runtimeMessage, argv, globalArgs, isNotExist, isNotRunning, isProgramFault, programFault } from '../../src/runtime/runtime.js'

t.test('runtimeMessage', async t => {
  const rows: Array<[string, string, string]> = [
    ['runc JSON error line',
      '{"level":"error","msg":"container_linux.go:380: starting container process caused: exec: \\"nope\\": executable file not found in $PATH","time":"2024-01-02T03:04:05Z"}\n',
      'container_linux.go:380: starting container process caused: exec: "nope": executable file not found in $PATH'],
    ['runc: last error wins over earlier ones',
      '{"level":"error","msg":"first","time":"t"}\n{"level":"error","msg":"second","time":"t"}\n',
      'second'],
    ['runc: warnings after the error are skipped',
      '{"level":"error","msg":"the error","time":"t"}\n{"level":"warning","msg":"a warning","time":"t"}\n',
      'the error'],
    ['runc: error line followed by plain text',
      '{"level":"error","msg":"the error"}\nsome trailing noise\n',
      'the error'],
    ['crun JSON (msg first, spaces)',
      '{"msg": "open `/x/config.json`: No such file or directory", "level": "error", "time": "2024-01-02T03:04:05.000000Z"}\n',
      'open `/x/config.json`: No such file or directory'],
    ['plain text: last line',
      'first line\nsecond line\n\n',
      'second line'],
    ['plain text single line trimmed',
      '  container "x" does not exist  \n',
      'container "x" does not exist'],
    ['logrus text',
      'time="2024-01-02T03:04:05Z" level=error msg="container does not exist"\n',
      'container does not exist'],
    ['logrus text, last line only',
      'time="2024-01-02T03:04:05Z" level=warning msg="early"\ntime="2024-01-02T03:04:06Z" level=error msg="late"',
      'late'],
    ['empty', '', ''],
    ['only blank lines', '\n  \n\n', ''],
    ['JSON without error level falls back to the raw last line',
      '{"level":"info","msg":"hello"}',
      '{"level":"info","msg":"hello"}'],
    ['JSON null line does not throw', 'null', 'null'],
    // conmon forwards the first 8 KiB of the runtime's output: the text, not the JSON, of a line cut there.
    ['JSON error line cut short',
      '{"level":"error","msg":"runc create failed: exec: \\"xxxx\\u00e9',
      'runc create failed: exec: "xxxx\u00e9...'],
    ['JSON error line cut inside an escape',
      '{"level":"error","msg":"exec: \\"ab\\',
      'exec: "ab...'],
    ['JSON error line cut inside a unicode escape',
      '{"level":"error","msg":"exec: ab\\u00',
      'exec: ab...']
  ]
  for (const [name, input, want] of rows) t.equal(runtimeMessage(input), want, name)
})

t.test('globalArgs', async t => {
  t.same(globalArgs({ root: '/r', extraArgs: [] }), ['--root', '/r', '--log-format', 'json'])
  t.same(globalArgs({ root: '/r', extraArgs: ['--debug', '--systemd-cgroup'] }), ['--root', '/r', '--log-format', 'json', '--debug', '--systemd-cgroup'])
})

t.test('argv', async t => {
  t.same(argv.start('c1'), ['start', 'c1'])
  t.same(argv.kill('c1', 'SIGTERM'), ['kill', 'c1', 'SIGTERM'])
  t.same(argv.kill('c1', 'SIGKILL', false), ['kill', 'c1', 'SIGKILL'])
  t.same(argv.kill('c1', 'SIGKILL', true), ['kill', '--all', 'c1', 'SIGKILL'])
  t.same(argv.delete('c1', false), ['delete', 'c1'])
  t.same(argv.delete('c1', true), ['delete', '--force', 'c1'])
  t.same(argv.state('c1'), ['state', 'c1'])
  t.same(argv.pause('c1'), ['pause', 'c1'])
  t.same(argv.resume('c1'), ['resume', 'c1'])
})

/** A predicate's table test: true for every `yes`, false for every `no`. */
const table = (t: { equal: (a: unknown, b: unknown, msg: string) => unknown }, fn: (m: string) => boolean, yes: string[], no: string[]): void => {
  for (const m of yes) t.equal(fn(m), true, m)
  for (const m of no) t.equal(fn(m), false, m)
}

t.test('isNotExist', async t => {
  const yes = [
    'container does not exist',
    'container "abc" does not exist',
    'runc delete: container not found',
    'stat /run/x: no such file or directory',
    'open /run/crun/abc/status: No such file or directory',
    'Container Does Not Exist'
  ]
  table(t, isNotExist, yes, ['', 'permission denied', 'container is running', 'exit status 1', 'timed out'])
})

t.test('isProgramFault: the container\'s program cannot be run', async t => {
  const yes = [
    'runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH',
    'runc create failed: unable to start container process: exec: "/no/such/program": stat /no/such/program: no such file or directory',
    'runc create failed: unable to start container process: exec: "/etc/passwd": permission denied',
    'executable file `nosuch` not found in $PATH: No such file or directory',
    'execvp `/no/such/program`: No such file or directory',
    'OCI runtime exec failed: exec failed: unable to start container process: exec: "x": executable file not found in $PATH: unknown',
    'open executable: Permission denied',
    'open executable: Operation not permitted'
  ]
  table(t, isProgramFault, yes, ['', 'runc create failed: unable to apply cgroup configuration: no such file or directory', 'container does not exist', 'mount: permission denied', 'exit status 1'])
})

t.test('programFault: Docker\'s exit code, and words the docker CLI reads it from', async t => {
  // runc 1.1 and crun 1.8 (their create, for a missing program, one not on PATH, a directory and a file that is not executable).
  const rows: Array<[string, 126 | 127, string]> = [
    ['runc create failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory', 127,
      'runc create failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory'],
    ['runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH', 127,
      'runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH'],
    ['runc create failed: unable to start container process: exec: "/etc": permission denied', 126,
      'runc create failed: unable to start container process: exec: "/etc": permission denied'],
    ['runc create failed: unable to start container process: exec: "/etc": is a directory', 126,
      'runc create failed: unable to start container process: exec: "/etc": is a directory'],
    ['runc create failed: unable to start container process: exec: "/etc/passwd/x": stat /etc/passwd/x: not a directory', 127,
      'runc create failed: unable to start container process: exec: "/etc/passwd/x": stat /etc/passwd/x: not a directory'],
    ['executable file `/no/such` not found in $PATH: No such file or directory', 127, 'executable file `/no/such` not found in $PATH: no such file or directory'],
    ['open executable: Permission denied', 126, 'open executable: permission denied'],
    ['open executable: Operation not permitted', 126, 'open executable: operation not permitted: permission denied']
  ]
  for (const [msg, code, message] of rows) t.strictSame(programFault(msg), { code, message }, msg)
  for (const other of ['', 'runc create failed: unable to apply cgroup configuration: no such file or directory', 'exit status 1']) {
    t.equal(programFault(other), undefined, `not a program fault: ${JSON.stringify(other)}`)
  }
})

t.test('isNotRunning', async t => {
  t.ok(isNotRunning('container not running'), 'runc')
  t.ok(isNotRunning('kill container: No such process'), 'crun, ESRCH')
  t.notOk(isNotRunning('container "x" does not exist'))
  t.notOk(isNotRunning('the maximum allowed cpu-shares is 262144'))
})
