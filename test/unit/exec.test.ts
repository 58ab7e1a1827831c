import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { ALL_CAPS, KNOWN_CAPS, mergeEnv, execProcess, checkExecConfig, startFailure, type ExecConfig, type OciProcess } from '../../src/containers/exec.js'
import { BerthError } from '../../src/errors.js'

const cfg = (over: Partial<ExecConfig> = {}): ExecConfig => ({
  cmd: ['ls', '-l'],
  env: [],
  workingDir: '',
  user: '',
  tty: false,
  attachStdin: false,
  attachStdout: true,
  attachStderr: true,
  privileged: false,
  detachKeys: '',
  ...over
})

const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']

/** A container's process as berth writes it into config.json. */
const base = (): OciProcess => ({
  args: ['/bin/server', '--port', '80'],
  env: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LANG=C'],
  cwd: '/srv',
  terminal: false,
  user: { uid: 33, gid: 33, additionalGids: [4] },
  capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
  noNewPrivileges: true,
  rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
  apparmorProfile: 'berth-default'
})

const refuses = (t: Test, c: ExecConfig, message: string, name: string): void => {
  let caught: unknown
  try { checkExecConfig(c) } catch (err) { caught = err }
  t.ok(caught instanceof BerthError, `${name}: a BerthError`)
  t.equal((caught as BerthError | undefined)?.code, 'INVALID_ARGUMENT', `${name}: INVALID_ARGUMENT`)
  t.equal((caught as Error | undefined)?.message, message, `${name}: message`)
}

t.test('mergeEnv', async t => {
  t.strictSame(mergeEnv([], []), [], 'nothing')
  t.strictSame(mergeEnv(['A=1', 'B=2'], []), ['A=1', 'B=2'], 'no overrides: base unchanged')
  t.strictSame(mergeEnv([], ['A=1']), ['A=1'], 'no base')
  t.strictSame(mergeEnv(['A=1', 'B=2', 'C=3'], ['B=20']), ['A=1', 'B=20', 'C=3'], 'an override replaces the base entry where it stands (Docker\'s ReplaceOrAppendEnvValues)')
  t.strictSame(mergeEnv(['A=1', 'B=2'], ['Z=26', 'A=10']), ['A=10', 'B=2', 'Z=26'], 'new keys are appended in their own order')
  t.strictSame(mergeEnv(['A=1'], ['AB=2']), ['A=1', 'AB=2'], 'a key that only shares a prefix does not replace')
  t.strictSame(mergeEnv(['AB=1'], ['A=2']), ['AB=1', 'A=2'], 'nor the other way round')
  t.strictSame(mergeEnv(['A=1'], ['A=']), ['A='], 'empty value replaces')
  t.strictSame(mergeEnv(['A=x=y'], ['A=p=q']), ['A=p=q'], 'key ends at the first =')
  t.strictSame(mergeEnv(['A=1'], ['A=2', 'A=3']), ['A=3'], 'the last override of a key wins')
  t.strictSame(mergeEnv(['a=1'], ['A=2']), ['a=1', 'A=2'], 'keys are case-sensitive')
  t.strictSame(mergeEnv(['FOO', 'B=2'], ['FOO=1']), ['FOO=1', 'B=2'], 'a base key without = is replaced by key')
  t.strictSame(mergeEnv(['FOO=1', 'B=2'], ['FOO']), ['B=2'], 'an override without = unsets the variable, as Docker')
  t.strictSame(mergeEnv(['B=2'], ['FOO']), ['B=2'], 'unsetting a variable that is not there changes nothing')
  const b = ['A=1']; const o = ['A=2']
  mergeEnv(b, o)
  t.strictSame([b, o], [['A=1'], ['A=2']], 'inputs are not modified')
})

t.test('execProcess: command, env, cwd, terminal', async t => {
  const p = execProcess(base(), cfg({ cmd: ['sh', '-c', 'echo hi'], env: ['HOME=/tmp', 'X=1'] }), undefined)
  t.strictSame(p.args, ['sh', '-c', 'echo hi'], 'args are the exec\'s command, not the container\'s')
  t.strictSame(p.env, ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'LANG=C', 'X=1'], 'env merged over the container\'s')
  t.equal(p.cwd, '/srv', 'no WorkingDir: the container\'s cwd')
  t.equal(p.terminal, false, 'no tty: terminal false')

  t.equal(execProcess(base(), cfg({ workingDir: '/tmp/w' }), undefined).cwd, '/tmp/w', 'WorkingDir wins')
  const { cwd: _cwd, ...noCwd } = base()
  t.equal(execProcess(noCwd, cfg(), undefined).cwd, '/', 'no WorkingDir and no container cwd: /')
  t.equal(execProcess({ ...base(), terminal: false }, cfg({ tty: true }), undefined).terminal, true, 'tty: terminal true')
  t.equal(execProcess({ ...base(), terminal: true }, cfg({ tty: false }), undefined).terminal, false, 'no tty overrides a container terminal')
  t.strictSame(execProcess({}, cfg({ env: ['A=1'] }), undefined), { args: ['ls', '-l'], env: ['A=1'], cwd: '/', terminal: false },
    'an empty base: just the exec\'s fields')
  t.strictSame(execProcess({}, cfg(), undefined).env, [], 'no env anywhere: empty list')
})

t.test('execProcess: user', async t => {
  t.strictSame(execProcess(base(), cfg(), undefined).user, { uid: 33, gid: 33, additionalGids: [4] }, 'no user: the container\'s')
  t.strictSame(execProcess(base(), cfg(), { uid: 1000, gid: 1000 }).user, { uid: 1000, gid: 1000 },
    'a user replaces the container\'s whole user (its additionalGids do not leak)')
  t.strictSame(execProcess(base(), cfg(), { uid: 0, gid: 0, additionalGids: [10, 20] }).user, { uid: 0, gid: 0, additionalGids: [10, 20] }, 'supplementary groups carried')
  t.strictSame(execProcess({}, cfg(), { uid: 5, gid: 6 }).user, { uid: 5, gid: 6 }, 'user on a base without one')
})

t.test('execProcess: privileged', async t => {
  const p = execProcess(base(), cfg({ privileged: true }), undefined)
  t.strictSame(p.capabilities, { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS }, 'all capabilities in bounding, effective, permitted')
  t.equal(KNOWN_CAPS.length, 41, 'Linux 6.x: 41 capabilities (CAP_CHOWN..CAP_CHECKPOINT_RESTORE)')
  t.equal(new Set(KNOWN_CAPS).size, KNOWN_CAPS.length, 'no duplicates')
  t.ok(KNOWN_CAPS.every(c => /^CAP_[A-Z_]+$/.test(c)), 'every name is CAP_*')
  t.equal(KNOWN_CAPS[0], 'CAP_CHOWN', 'kernel order: CHOWN is 0')
  t.equal(KNOWN_CAPS[40], 'CAP_CHECKPOINT_RESTORE', 'kernel order: CHECKPOINT_RESTORE is 40')
  for (const [cap, n] of [['CAP_NET_RAW', 13], ['CAP_SYS_ADMIN', 21], ['CAP_MKNOD', 27], ['CAP_AUDIT_READ', 37], ['CAP_BPF', 39]] as const) {
    t.equal(KNOWN_CAPS.indexOf(cap), n, `kernel order: ${cap} is ${n}`)
  }
  // "All" is what this process may hand on: its own bounding set, read from /proc.
  const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!}`)
  t.strictSame(ALL_CAPS, KNOWN_CAPS.filter((_, i) => (bnd >> BigInt(i)) & 1n), 'ALL_CAPS: the known caps in our bounding set')
  for (const c of ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_CHOWN']) t.ok(ALL_CAPS.includes(c), c)
  t.strictSame(execProcess(base(), cfg(), undefined).capabilities, { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
    'not privileged: the container\'s capabilities')
  t.strictSame(execProcess({}, cfg(), undefined).capabilities, undefined, 'not privileged and none in base: none')
  t.strictSame(execProcess({}, cfg({ privileged: true }), undefined).capabilities?.effective, ALL_CAPS, 'privileged on a base without capabilities')
})

t.test('execProcess: consoleSize', async t => {
  const withSize = { ...base(), consoleSize: { height: 10, width: 20 } }
  t.strictSame(execProcess(base(), cfg({ tty: true, consoleSize: [24, 80] }), undefined).consoleSize, { height: 24, width: 80 },
    'tty + ConsoleSize [h, w]: height first')
  t.strictSame(execProcess(withSize, cfg({ tty: true, consoleSize: [50, 132] }), undefined).consoleSize, { height: 50, width: 132 }, 'replaces the base\'s')
  const noTty = execProcess(withSize, cfg({ tty: false, consoleSize: [24, 80] }), undefined)
  t.notOk('consoleSize' in noTty, 'no tty: no consoleSize, even asked for and in the base')
  const ttyNoSize = execProcess(withSize, cfg({ tty: true }), undefined)
  t.notOk('consoleSize' in ttyNoSize, 'tty without ConsoleSize: the base\'s is dropped')
  t.notOk('consoleSize' in execProcess(base(), cfg(), undefined), 'neither: none')
  t.strictSame(withSize.consoleSize, { height: 10, width: 20 }, 'the base object is not modified')
})

t.test('execProcess: other base fields kept, base not modified', async t => {
  const b = base()
  const snapshot = JSON.parse(JSON.stringify(b)) as OciProcess
  const p = execProcess(b, cfg({ cmd: ['id'], env: ['HOME=/x'], workingDir: '/w', tty: true, privileged: true, consoleSize: [1, 2] }), { uid: 1, gid: 2 })
  t.equal(p.noNewPrivileges, true, 'noNewPrivileges kept')
  t.strictSame(p.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], 'rlimits kept')
  t.equal(p.apparmorProfile, 'berth-default', 'apparmorProfile kept')
  t.strictSame(Object.keys(p).sort(), ['apparmorProfile', 'args', 'capabilities', 'consoleSize', 'cwd', 'env', 'noNewPrivileges', 'rlimits', 'terminal', 'user'],
    'exactly the base\'s keys plus consoleSize')
  t.strictSame(b, snapshot, 'the base is not modified')
})

t.test('checkExecConfig', async t => {
  t.doesNotThrow(() => checkExecConfig(cfg()), 'a plain command')
  t.doesNotThrow(() => checkExecConfig(cfg({ workingDir: '/', env: ['A=1', 'B=', 'C'] })), 'absolute dir, ordinary env (even a bare key)')
  t.doesNotThrow(() => checkExecConfig(cfg({ cmd: ['x', ''] })), 'an empty later argument is fine')
  refuses(t, cfg({ cmd: [] }), 'No exec command specified', 'empty Cmd')
  refuses(t, cfg({ cmd: [''] }), 'No exec command specified', 'Cmd [""]')
  refuses(t, cfg({ cmd: ['', 'x'] }), 'No exec command specified', 'Cmd[0] empty with arguments')
  refuses(t, cfg({ workingDir: 'tmp' }), 'the working directory \'tmp\' is invalid, it needs to be an absolute path', 'relative WorkingDir')
  refuses(t, cfg({ workingDir: './a/b' }), 'the working directory \'./a/b\' is invalid, it needs to be an absolute path', 'dot-relative WorkingDir')
  refuses(t, cfg({ env: ['A=1', '=x'] }), 'invalid environment variable: "=x"', 'env entry starting with =')
  refuses(t, cfg({ env: ['='] }), 'invalid environment variable: "="', 'env entry "="')
  refuses(t, cfg({ cmd: [], workingDir: 'rel', env: ['=x'] }), 'No exec command specified', 'the command is checked first')
  refuses(t, cfg({ workingDir: 'rel', env: ['=x'] }), 'the working directory \'rel\' is invalid, it needs to be an absolute path', 'then the working directory')
})

t.test('startFailure: 126 for every failure to start, as moby\'s exec inspect reports', async t => {
  const rows: Array<[string, number]> = [
    ['exec failed: unable to start container process: exec: "nope": executable file not found in $PATH', 126],
    ['exec failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory', 126],
    ['exec failed: unable to start container process: exec: "/etc": permission denied', 126],
    ['exec format error', 126],
    ['', 126]
  ]
  for (const [msg, code] of rows) {
    const f = startFailure(msg)
    t.equal(f.code, code, `${JSON.stringify(msg)}: ${code}`)
    t.equal(f.text, `OCI runtime exec failed: ${msg}: unknown`, `${JSON.stringify(msg)}: text`)
  }
  t.strictSame(startFailure('boom'), { code: 126, text: 'OCI runtime exec failed: boom: unknown' }, 'the whole result')
})
