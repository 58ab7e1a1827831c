/**
 * Seccomp on Docker-style containers, seen from inside, with runc and crun,
 * through the real docker client: Docker's default profile on every
 * container (Seccomp: 2, `unshare -U` refused as under Docker, threads
 * still made: clone3 answers ENOSYS), `--security-opt seccomp=unconfined`
 * and `--privileged` lifting it, CAP_SYS_ADMIN bringing back the rules that
 * need it, a profile from a file (the CLI sends its JSON), bundle containers
 * keeping their own config.json's choice, and /info.
 */
import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { BUILTIN_PROFILE } from '../src/security/seccomp.js'
import { berthdCommand, createContainer, DOCKER, dockerEnv, dockerTest, importBusybox, RUNTIMES, startDaemon, type Daemon } from './helpers.js'

function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 60_000, killSignal: 'SIGKILL' })
}

/** `docker run --rm` of `script` (sh -c) on runtime `rt` with `flags`: its exit code and output. */
async function runSh (d: Daemon, rt: string, flags: string[], script: string): Promise<{ code: number, out: string }> {
  const r = await docker(d, ['run', '--rm', '--runtime', rt, ...flags, 'bb', '/bin/sh', '-c', script])
  return { code: r.exitCode ?? -1, out: `${r.stdout}\n${r.stderr}`.trim() }
}

const SECCOMP = 'grep "^Seccomp:" /proc/1/status'
/** Exits with unshare's status; its error goes to the output. */
const UNSHARE = 'unshare -U true'

/**
 * A thread made by glibc ≥ 2.34, which tries clone3 first and falls back to
 * clone only on ENOSYS; and clone3's errno itself. The host's python3 runs in
 * the busybox container from the host's /usr, bound read-only.
 */
const HOST_PYTHON = ['-v', '/usr:/usr:ro', '-v', '/usr/lib:/lib:ro', '-v', '/usr/lib64:/lib64:ro']
const THREADS = 'python3 -c "import threading, ctypes; t = threading.Thread(target=print, args=(\'thread ok\',)); t.start(); t.join(); ' +
  'libc = ctypes.CDLL(None, use_errno=True); libc.syscall(435, 0, 0); print(\'clone3 errno\', ctypes.get_errno())"'

dockerTest(t, 'seccomp', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const scratch = await mkdtemp(join(tmpdir(), 'bt-seccomp-'))
  t.teardown(() => rm(scratch, { recursive: true, force: true }))

  for (const rt of RUNTIMES) {
    t.test(`${rt}: Docker's default profile on every container`, async t => {
      const r = await runSh(d, rt, [], `${SECCOMP}; ${UNSHARE}`)
      t.match(r.out, /^Seccomp:\s+2$/m, 'filtered')
      t.not(r.code, 0, 'unshare -U fails')
      t.match(r.out, /unshare.*Operation not permitted/, 'with EPERM, as under Docker')
      const threads = await runSh(d, rt, HOST_PYTHON, THREADS)
      t.equal(threads.code, 0, threads.out)
      t.match(threads.out, /^thread ok$/m, 'threads are made')
      t.match(threads.out, /^clone3 errno 38$/m, 'clone3 answers ENOSYS, not EPERM')
      const name = `exec-${rt}`
      t.equal((await docker(d, ['run', '-d', '--name', name, '--runtime', rt, 'bb', 'sleep', '100'])).exitCode, 0)
      t.teardown(() => docker(d, ['rm', '-f', name]))
      const ex = await docker(d, ['exec', name, 'sh', '-c', `grep "^Seccomp:" /proc/self/status; ${UNSHARE}`])
      t.match(ex.stdout, /^Seccomp:\s+2$/m, 'an exec is filtered too')
      t.match(ex.stderr, /unshare.*Operation not permitted/)
    })

    t.test(`${rt}: seccomp=unconfined and --privileged lift it`, async t => {
      const r = await runSh(d, rt, ['--security-opt', 'seccomp=unconfined'], `${SECCOMP}; ${UNSHARE}`)
      t.match(r.out, /^Seccomp:\s+0$/m)
      t.equal(r.code, 0, `unshare -U works: ${r.out}`)
      const p = await runSh(d, rt, ['--privileged'], SECCOMP)
      t.match(p.out, /^Seccomp:\s+0$/m)
      const threads = await runSh(d, rt, [...HOST_PYTHON, '--security-opt', 'seccomp=unconfined'], THREADS)
      t.match(threads.out, /^clone3 errno 22$/m, 'clone3 reaches the kernel (EINVAL for its empty arguments)')
    })

    t.test(`${rt}: CAP_SYS_ADMIN brings back the rules that need it`, async t => {
      const r = await runSh(d, rt, ['--cap-add', 'SYS_ADMIN'], `${SECCOMP}; ${UNSHARE}`)
      t.match(r.out, /^Seccomp:\s+2$/m, 'still filtered')
      t.equal(r.code, 0, `unshare is allowed with the capability: ${r.out}`)
    })

    t.test(`${rt}: a profile from a file (the CLI sends its JSON)`, async t => {
      const file = join(scratch, `no-mkdir-${rt}.json`)
      await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, null, 2))
      const r = await runSh(d, rt, ['--security-opt', `seccomp=${file}`], `${SECCOMP}; touch /tmp/f && mkdir /tmp/x`)
      t.match(r.out, /^Seccomp:\s+2$/m)
      t.not(r.code, 0, 'mkdir fails')
      t.match(r.out, /mkdir.*Operation not permitted/)
      // The profile allows everything else, unshare too.
      t.equal((await runSh(d, rt, ['--security-opt', `seccomp=${file}`], UNSHARE)).code, 0)
    })
  }

  t.test('clone3 answering EPERM would break threads (moby#42681): why the default says ENOSYS', async t => {
    const profile = JSON.parse(await readFile(BUILTIN_PROFILE, 'utf8')) as { syscalls: Array<{ names: string[], errnoRet?: number }> }
    for (const rule of profile.syscalls) if (rule.names.includes('clone3') && rule.errnoRet === 38) rule.errnoRet = 1
    const file = join(scratch, 'clone3-eperm.json')
    await writeFile(file, JSON.stringify(profile))
    const r = await runSh(d, 'runc', [...HOST_PYTHON, '--security-opt', `seccomp=${file}`], THREADS)
    t.not(r.code, 0)
    t.match(r.out, /can't start new thread/)
  })

  t.test('inspect shows SecurityOpt as sent; the bundle holds the filter', async t => {
    const opt = 'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'
    const made = await d.req('POST', '/containers/create?name=insp', { Image: 'bb', Cmd: ['true'], HostConfig: { SecurityOpt: [opt, 'no-new-privileges'] } })
    t.equal(made.status, 201)
    t.teardown(() => d.req('DELETE', '/containers/insp?force=1'))
    const ins = await d.req('GET', '/containers/insp/json')
    t.same(ins.body.HostConfig.SecurityOpt, [opt, 'no-new-privileges'])
    const spec = JSON.parse(await readFile(join(d.root, 'containers', made.body.Id, 'bundle', 'config.json'), 'utf8'))
    t.same(spec.linux.seccomp.syscalls, [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }])
  })

  t.test('bad security options are 400s and make nothing', async t => {
    const cases: Array<[string, RegExp]> = [
      ['seccomp={"defaultAction":', /^Decoding seccomp profile failed: /],
      ['seccomp={"defaultAction":"SCMP_ACT_NOPE"}', /^Decoding seccomp profile failed: \/defaultAction /],
      ['seccomp=/etc/profile.json', /not its path/],
      ['apparmor=docker-default', /berth applies no AppArmor profile/],
      ['label=type:svirt_t', /berth applies no SELinux label/],
      ['bogus=1', /^invalid --security-opt 2: "bogus=1"$/],
      ['nonsense', /^invalid --security-opt 1: "nonsense"$/]
    ]
    for (const [opt, message] of cases) {
      const r = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { SecurityOpt: [opt] } })
      t.equal(r.status, 400, opt)
      t.match(r.body.message, message, opt)
    }
    t.same((await d.req('GET', '/containers/json?all=1')).body, [], 'nothing made')
  })

  t.test('bundle containers keep their own config.json: no filter added', async t => {
    const id = await createContainer(d, ['sh', '-c', `${SECCOMP}; sleep 100`])
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const ex = await docker(d, ['exec', id, 'grep', '^Seccomp:', '/proc/1/status'])
    t.match(ex.stdout, /^Seccomp:\s+0$/m)
  })

  t.test('/info', async t => {
    const info = await d.req('GET', '/info')
    t.equal(info.body.SecurityOptions[0], 'name=seccomp,profile=builtin')
    t.notOk(info.body.SecurityOptions.some((o: string) => /apparmor|selinux/.test(o)), 'no AppArmor or SELinux')
    t.same(info.body.Warnings, [])
    const cli = await docker(d, ['info', '--format', '{{json .SecurityOptions}}'])
    t.match(cli.stdout, /name=seccomp,profile=builtin/)
  })
})

t.test('berthd --seccomp-profile', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-seccomp-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'no-mkdir.json')
  await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }))

  t.test('a file replaces the default: /info says so, and warns', async t => {
    const d = await startDaemon(t, ['--seccomp-profile', file])
    await importBusybox(d)
    t.equal((await d.req('GET', '/info')).body.SecurityOptions[0], `name=seccomp,profile=${file}`)
    t.same((await d.req('GET', '/info')).body.Warnings, ['WARNING: daemon is not using the default seccomp profile'])
    for (const rt of RUNTIMES) {
      const r = await runSh(d, rt, [], `${SECCOMP}; ${UNSHARE} && mkdir /tmp/x`)
      t.match(r.out, /^Seccomp:\s+2$/m, rt)
      t.match(r.out, /mkdir.*Operation not permitted/, `${rt}: the daemon's profile applies`)
      t.notMatch(r.out, /unshare/, `${rt}: and only it`)
      const builtin = await runSh(d, rt, ['--security-opt', 'seccomp=builtin'], UNSHARE)
      t.match(builtin.out, /unshare.*Operation not permitted/, `${rt}: seccomp=builtin is Docker's default`)
    }
  })

  t.test('unconfined', async t => {
    const d = await startDaemon(t, ['--seccomp-profile', 'unconfined'])
    await importBusybox(d)
    t.equal((await d.req('GET', '/info')).body.SecurityOptions[0], 'name=seccomp,profile=unconfined')
    const r = await runSh(d, 'runc', [], SECCOMP)
    t.match(r.out, /^Seccomp:\s+0$/m)
  })

  t.test('a profile berthd cannot use stops it at start-up, saying why', async t => {
    const bad = join(dir, 'bad.json')
    await writeFile(bad, '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]}')
    for (const [arg, message] of [[bad, /seccomp profile .*bad\.json: Decoding seccomp profile failed: \/syscalls\/0 must have required property 'action'/],
      [join(dir, 'missing.json'), /seccomp profile .*missing\.json cannot be read \(ENOENT\)/],
      ['relative.json', /--seccomp-profile takes builtin, unconfined or an absolute path/]] as const) {
      const r = await execa(...berthdCommand(['--socket', join(dir, 's.sock'), '--root', join(dir, 'r'), '--state', join(dir, 'st'), '--seccomp-profile', arg]),
        { reject: false, timeout: 20_000, stdin: 'ignore' })
      t.equal(r.exitCode, 2, arg)
      t.match(r.stderr, message, arg)
    }
  })
})
