import t, { type Test } from 'tap'
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, ConfigError, findExecutable, parseHost, USAGE } from '../../src/config.js'

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const ENV = { PATH }

const configError = (t: Test, fn: () => unknown, message: RegExp, name: string): void => {
  let caught: unknown
  try { fn() } catch (err) { caught = err }
  t.ok(caught instanceof ConfigError, `${name}: throws a ConfigError`)
  t.match((caught as Error | undefined)?.message, message, `${name}: message`)
}

t.test('defaults', async t => {
  const c = loadConfig([], ENV)
  t.equal(c.socket, '/run/berth/berth.sock')
  t.equal(c.root, '/var/lib/berth')
  t.equal(c.state, '/run/berth')
  t.equal(c.defaultRuntime, 'runc')
  t.equal(c.logLevel, 'info')
  t.equal(c.createTimeout, 60)
  t.equal(c.logSizeMax, 100 * 1024 * 1024)
  t.equal(c.seccompProfile, 'builtin')
  t.same(c.runtimeArgs, [])
  t.equal(c.conmon, '/usr/bin/conmon')
  t.same(c.runtimes.runc, { name: 'runc', path: '/usr/sbin/runc' })
  t.same(c.runtimes.crun, { name: 'crun', path: '/usr/bin/crun' })
  t.ok(Object.isFrozen(c), 'frozen')
  t.ok(Object.isFrozen(c.runtimes), 'runtimes frozen')
  t.ok(Object.isFrozen(c.runtimeArgs), 'runtimeArgs frozen')
  t.notOk('addRuntime' in c)
  t.notOk('runtime' in c)
})

t.test('BERTH_* env', async t => {
  const c = loadConfig([], {
    PATH,
    BERTH_SOCKET: '/tmp/b.sock',
    BERTH_ROOT: '/tmp/root',
    BERTH_STATE: '/tmp/state',
    BERTH_RUNTIME: 'crun',
    BERTH_ADD_RUNTIME: 'tru=/bin/true, fals=/bin/false',
    BERTH_RUNTIME_ARGS: '--debug, --systemd-cgroup',
    BERTH_CONMON: '/usr/bin/conmon',
    BERTH_LOG_LEVEL: 'debug',
    BERTH_CREATE_TIMEOUT: '5',
    BERTH_LOG_SIZE_MAX: '8192',
    BERTH_SECCOMP_PROFILE: 'unconfined'
  })
  t.equal(c.socket, '/tmp/b.sock')
  t.equal(c.root, '/tmp/root')
  t.equal(c.state, '/tmp/state')
  t.equal(c.defaultRuntime, 'crun')
  t.same(c.runtimes.tru, { name: 'tru', path: '/bin/true' })
  t.same(c.runtimes.fals, { name: 'fals', path: '/bin/false' })
  t.same(c.runtimeArgs, ['--debug', '--systemd-cgroup'])
  t.equal(c.conmon, '/usr/bin/conmon')
  t.equal(c.logLevel, 'debug')
  t.equal(c.createTimeout, 5)
  t.equal(c.logSizeMax, 8192)
  t.equal(c.seccompProfile, 'unconfined')
})

t.test('flags beat env', async t => {
  const env = { PATH, BERTH_SOCKET: '/env.sock', BERTH_LOG_LEVEL: 'debug', BERTH_RUNTIME: 'runc', BERTH_RUNTIME_ARGS: '--env-arg', BERTH_CREATE_TIMEOUT: '5', BERTH_ROOT: '/env-root' }
  const c = loadConfig(['--socket', '/flag.sock', '--log-level', 'error', '--runtime', 'crun', '--runtime-arg=--a', '--runtime-arg', 'b', '--create-timeout', '7', '--log-size-max', '4096',
    '--seccomp-profile', '/etc/berth/seccomp.json'], { ...env, BERTH_SECCOMP_PROFILE: 'unconfined' })
  t.equal(c.socket, '/flag.sock')
  t.equal(c.logLevel, 'error')
  t.equal(c.defaultRuntime, 'crun')
  t.same(c.runtimeArgs, ['--a', 'b'])
  t.equal(c.createTimeout, 7)
  t.equal(c.logSizeMax, 4096)
  t.equal(c.seccompProfile, '/etc/berth/seccomp.json')
  t.equal(c.root, '/env-root', 'env still used where no flag')
})

t.test('invalid values', async t => {
  configError(t, () => loadConfig(['--log-level', 'loud'], ENV), /invalid configuration: logLevel/, 'bad log level flag')
  configError(t, () => loadConfig([], { PATH, BERTH_LOG_LEVEL: 'verbose' }), /invalid configuration: logLevel/, 'bad log level env')
  configError(t, () => loadConfig(['--create-timeout', 'abc'], ENV), /invalid configuration: createTimeout/, 'NaN timeout')
  configError(t, () => loadConfig(['--create-timeout', '0'], ENV), /invalid configuration: createTimeout/, 'timeout below minimum')
  configError(t, () => loadConfig(['--create-timeout', '3601'], ENV), /invalid configuration: createTimeout/, 'timeout above maximum')
  configError(t, () => loadConfig(['--log-size-max', '100'], ENV), /invalid configuration: logSizeMax/, 'log size below minimum')
  configError(t, () => loadConfig(['--log-size-max', '5000.5'], ENV), /invalid configuration: logSizeMax/, 'log size not integer')
  configError(t, () => loadConfig(['--socket', 'berth.sock'], ENV), /--socket must be an absolute path, got "berth.sock"/, 'relative --socket')
  configError(t, () => loadConfig(['--root', './r'], ENV), /--root must be an absolute path/, 'relative --root')
  configError(t, () => loadConfig([], { PATH, BERTH_STATE: 'run' }), /--state must be an absolute path/, 'relative BERTH_STATE')
  configError(t, () => loadConfig(['--seccomp-profile', 'default.json'], ENV), /--seccomp-profile takes builtin, unconfined or an absolute path, got "default.json"/, 'relative profile')
  configError(t, () => loadConfig(['--bogus'], ENV), /Unknown option '--bogus'[\s\S]*usage: berthd/, 'unknown flag')
  configError(t, () => loadConfig(['positional'], ENV), /usage: berthd/, 'positional')
  configError(t, () => loadConfig(['--add-runtime', 'x=relative/path'], ENV), /invalid configuration: addRuntime/, 'add-runtime with relative path')
  configError(t, () => loadConfig(['--add-runtime', 'noequals'], ENV), /invalid configuration: addRuntime/, 'add-runtime without =')
  // a runtime argument that starts with a dash needs the = form (node:util parseArgs)
  configError(t, () => loadConfig(['--runtime-arg', '--debug'], ENV), /--runtime-arg=-XYZ/, 'dash-led runtime arg without =')
  configError(t, () => loadConfig(['--add-runtime', '-x=/bin/true'], ENV), /invalid configuration|usage/, 'add-runtime with bad name')
  t.throws(() => loadConfig(['--help'], ENV), { message: USAGE }, '--help')
  t.throws(() => loadConfig(['-h'], ENV), { message: USAGE }, '-h')
  try { loadConfig(['--log-level', 'loud'], ENV) } catch (err) { t.ok(err instanceof ConfigError, 'is a ConfigError') }
})

t.test('missing runtimes and conmon', async t => {
  configError(t, () => loadConfig([], { PATH: '/nonexistent' }), /OCI runtime "runc" not found on PATH; install it with: apt-get install -y runc/, 'runc missing')
  configError(t, () => loadConfig(['--runtime', 'crun'], { PATH: '/usr/sbin' }), /OCI runtime "crun" not found on PATH; install it with: apt-get install -y crun/, 'crun missing')
  configError(t, () => loadConfig(['--runtime', 'youki'], ENV), /OCI runtime "youki" not found on PATH; pass --runtime with an absolute path or --add-runtime NAME=PATH/, 'unknown name')
  configError(t, () => loadConfig([], { PATH: '/usr/sbin' }), /conmon \(the container monitor\) not found on PATH; install it with: apt-get install -y conmon/, 'conmon missing on PATH')
  configError(t, () => loadConfig(['--conmon', '/nope/conmon'], ENV), /conmon \(the container monitor\) not found at \/nope\/conmon; install it with/, 'conmon missing at a path')
  configError(t, () => loadConfig(['--add-runtime', 'x=/nope/x'], ENV), /runtime x: \/nope\/x is not an executable file/, 'add-runtime missing binary')
  configError(t, () => loadConfig(['--runtime', '/nope/rt'], ENV), /runtime \/nope\/rt is not an executable file/, 'absolute runtime missing')
  // only what PATH finds is configured
  const c = loadConfig([], { PATH: '/usr/sbin:/usr/bin' })
  t.same(Object.keys(c.runtimes).sort(), ['crun', 'runc'])
  const onlyRunc = loadConfig(['--conmon', '/usr/bin/conmon'], { PATH: '/usr/sbin' })
  t.same(Object.keys(onlyRunc.runtimes), ['runc'], 'crun not on PATH: not configured')
  t.equal(onlyRunc.conmon, '/usr/bin/conmon')
})

t.test('--add-runtime and --runtime PATH', async t => {
  const a = loadConfig(['--add-runtime', 'mytrue=/bin/true', '--runtime', 'mytrue'], ENV)
  t.equal(a.defaultRuntime, 'mytrue')
  t.same(a.runtimes.mytrue, { name: 'mytrue', path: '/bin/true' })
  t.ok(a.runtimes.runc, 'built-ins still present')

  const two = loadConfig(['--add-runtime', 'a=/bin/true', '--add-runtime', 'b.2=/bin/false'], ENV)
  t.same(two.runtimes.a, { name: 'a', path: '/bin/true' })
  t.same(two.runtimes['b.2'], { name: 'b.2', path: '/bin/false' })
  t.equal(two.defaultRuntime, 'runc')

  const flagBeatsEnv = loadConfig(['--add-runtime', 'f=/bin/true'], { PATH, BERTH_ADD_RUNTIME: 'e=/bin/false' })
  t.ok(flagBeatsEnv.runtimes.f)
  t.notOk(flagBeatsEnv.runtimes.e, 'env list replaced by flags')

  const override = loadConfig(['--add-runtime', 'runc=/bin/true'], ENV)
  t.same(override.runtimes.runc, { name: 'runc', path: '/bin/true' }, 'add-runtime overrides a built-in')

  const abs = loadConfig(['--runtime', '/usr/bin/crun'], { PATH: '/nonexistent', BERTH_CONMON: '/usr/bin/conmon' })
  t.equal(abs.defaultRuntime, 'crun')
  t.same(abs.runtimes, { crun: { name: 'crun', path: '/usr/bin/crun' } })

  const absTrue = loadConfig(['--runtime', '/bin/true'], ENV)
  t.equal(absTrue.defaultRuntime, 'true')
  t.same(absTrue.runtimes.true, { name: 'true', path: '/bin/true' })

  // a custom executable in a temp dir, found through PATH
  const dir = mkdtempSync(join(tmpdir(), 'berth-cfg-'))
  const exe = join(dir, 'myrt')
  writeFileSync(exe, '#!/bin/sh\nexit 0\n')
  chmodSync(exe, 0o755)
  const viaAdd = loadConfig([`--add-runtime=myrt=${exe}`, '--runtime=myrt'], ENV)
  t.same(viaAdd.runtimes.myrt, { name: 'myrt', path: exe })
  t.equal(findExecutable('myrt', `/nonexistent:${dir}`), exe)
  t.equal(findExecutable('myrt', '/nonexistent'), undefined)
  t.equal(findExecutable('runc', '/usr/sbin:/usr/bin'), '/usr/sbin/runc')
  t.equal(findExecutable('/bin/true', '/nonexistent'), '/bin/true', 'absolute path ignores PATH')
  const plain = join(dir, 'plain')
  writeFileSync(plain, 'x')
  chmodSync(plain, 0o644)
  t.equal(findExecutable(plain, PATH), undefined, 'not executable')
  configError(t, () => loadConfig(['--add-runtime', `x=${plain}`], ENV), /runtime x: .*\/plain is not an executable file/, 'add-runtime non-executable')
  configError(t, () => loadConfig(['--runtime', plain], ENV), /runtime .*\/plain is not an executable file/, 'absolute runtime non-executable')
  configError(t, () => loadConfig(['--conmon', plain], ENV), /conmon \(the container monitor\) not found at .*\/plain/, 'conmon non-executable')
  rmSync(dir, { recursive: true, force: true })
})

t.test('-H hosts, --group and TLS', async t => {
  t.same(loadConfig(['--socket', '/tmp/b.sock'], ENV).listeners, [{ kind: 'unix', path: '/tmp/b.sock' }], 'no -H: --socket alone')
  t.same(parseHost('unix://', '/d.sock', false), { kind: 'unix', path: '/d.sock' }, 'unix:// is --socket')
  t.same(parseHost('unix:///run/x.sock', '/d.sock', false), { kind: 'unix', path: '/run/x.sock' })
  t.same(parseHost('tcp://127.0.0.1:2000', '/d.sock', true), { kind: 'tcp', host: '127.0.0.1', port: 2000, tls: true })
  t.same(parseHost('tcp://[::1]:2000/', '/d.sock', true), { kind: 'tcp', host: '::1', port: 2000, tls: true })
  t.same(parseHost('tcp://:2000', '/d.sock', false), { kind: 'tcp', host: '127.0.0.1', port: 2000, tls: false }, 'no address: loopback')
  t.same(parseHost('tcp://0.0.0.0', '/d.sock', true), { kind: 'tcp', host: '0.0.0.0', port: 2376, tls: true }, 'TLS port by default')
  t.same(parseHost('tcp://', '/d.sock', false), { kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false }, 'plain port by default')
  for (const bad of ['unix://relative.sock', 'tcp://h:0', 'tcp://h:70000', 'tcp://h:x', 'udp://h:1', '/run/x.sock', 'fd://']) {
    configError(t, () => parseHost(bad, '/d.sock', true), /invalid -H/, bad)
  }

  const tlsFlags = ['--tlsverify', '--tlscacert', '/ca.pem', '--tlscert', '/c.pem', '--tlskey', '/k.pem']
  const c = loadConfig(['-H', 'unix://', '-H', 'tcp://127.0.0.1:2376', ...tlsFlags, '--group', 'staff'], ENV)
  t.same(c.listeners, [{ kind: 'unix', path: '/run/berth/berth.sock' }, { kind: 'tcp', host: '127.0.0.1', port: 2376, tls: true }])
  t.same(c.tls, { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' })
  t.equal(c.group, 'staff')
  t.ok(Object.isFrozen(c.listeners) && Object.isFrozen(c.listeners[1]), 'frozen')
  const env = loadConfig([], { PATH, BERTH_HOST: 'tcp://:9,unix://', BERTH_TLSVERIFY: '1', BERTH_TLSCACERT: '/a', BERTH_TLSCERT: '/b', BERTH_TLSKEY: '/c', BERTH_GROUP: '42' })
  t.same(env.listeners.map(l => l.kind), ['tcp', 'unix'], 'BERTH_HOST')
  t.equal(env.group, '42')
  t.equal(loadConfig(['-H', 'tcp://:9'], { PATH, BERTH_INSECURE_TCP: 'true' }).listeners[0]?.kind, 'tcp', 'BERTH_INSECURE_TCP')
  t.notOk('hosts' in c || 'tlsVerify' in c || 'insecureTcp' in c, 'only the resolved forms')

  configError(t, () => loadConfig(['-H', 'tcp://127.0.0.1:2375'], ENV), /refusing to serve tcp:\/\/127\.0\.0\.1:2375 without TLS[\s\S]*--insecure-tcp/, 'plain TCP')
  const insecure = loadConfig(['-H', 'tcp://127.0.0.1:2375', '--insecure-tcp'], ENV)
  t.same(insecure.listeners, [{ kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false }], '--insecure-tcp allows it')
  configError(t, () => loadConfig(['-H', 'tcp://:1', '--tlsverify', '--tlscacert', '/a'], ENV), /--tlsverify needs --tlscert/, 'missing cert')
  configError(t, () => loadConfig(['--tlscert', '/a'], ENV), /take effect with --tlsverify/, 'TLS files without --tlsverify')
  configError(t, () => loadConfig(['--group', ''], ENV), /invalid configuration: group/, 'empty group')
})
