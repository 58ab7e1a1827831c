import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../src/config.js'
import { DEFAULT_CAPS, dockerSpec, type DockerCreateBody, type SpecInput } from '../../src/containers/dockerspec.js'
import { securityOptions } from '../../src/security/options.js'
import {
  BUILTIN_PROFILE, containerSeccomp, kernelVersion, loadDaemonSeccomp, parseProfile, toOciSeccomp, type HostFacts, type OciSeccomp, type SeccompProfile
} from '../../src/security/seccomp.js'
import { dockerCliBody } from './fixtures.js'

/** The docker CLI's create body with HostConfig fields replaced, and dockerSpec's input for it. */
const cli = (hc: Record<string, unknown>): DockerCreateBody => { const b = dockerCliBody(); return { ...b, HostConfig: { ...b.HostConfig, ...hc } } as DockerCreateBody }
const input = (body: DockerCreateBody, over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'a'.repeat(64), body, image: { Cmd: ['sh'] }, rootfs: '/r', user: { uid: 0, gid: 0 }, files: { hostname: '/h', hosts: '/hs', resolvConf: '/rc' }, ...over
})

const AMD64: HostFacts = { arch: 'amd64', scmpArch: 'SCMP_ARCH_X86_64', kernel: [6, 18] }
const ARM64: HostFacts = { arch: 'arm64', scmpArch: 'SCMP_ARCH_AARCH64', kernel: [6, 1] }
const MIPS64: HostFacts = { arch: 'mips64', scmpArch: 'SCMP_ARCH_MIPS64', kernel: [5, 10] }

// moby's default.json from Debian's golang-github-docker-docker-dev, which setup installs.
const DEFAULT = parseProfile(readFileSync(BUILTIN_PROFILE, 'utf8'))

/** The rules that name `syscall`. */
const rulesFor = (s: OciSeccomp | undefined, syscall: string) => (s?.syscalls ?? []).filter(r => r.names.includes(syscall))
const allowed = (s: OciSeccomp | undefined, syscall: string): boolean => rulesFor(s, syscall).some(r => r.action === 'SCMP_ACT_ALLOW')

const throwsMessage = (t: Test, fn: () => unknown, message: RegExp, what: string): void => {
  let caught: unknown
  try { fn() } catch (err) { caught = err }
  t.match((caught as Error | undefined)?.message, message, what)
}

t.test('Docker\'s default profile for a default container on amd64', async t => {
  const s = toOciSeccomp(DEFAULT, DEFAULT_CAPS, AMD64)!
  t.equal(s.defaultAction, 'SCMP_ACT_ERRNO', 'anything not listed is EPERM')
  t.same(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'the host\'s arch and its sub-arches')
  t.same(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }], 'clone3 answers ENOSYS (moby#42681)')
  for (const sc of ['unshare', 'mount', 'setns', 'bpf', 'keyctl', 'reboot', 'init_module', 'open_by_handle_at', 'settimeofday']) {
    t.notOk(allowed(s, sc), `${sc} is not allowed`)
  }
  t.ok(allowed(s, 'read') && allowed(s, 'clone'), 'the common calls are')
  t.ok(allowed(s, 'chroot'), 'CAP_SYS_CHROOT is in Docker\'s default set: chroot is allowed')
  t.ok(allowed(s, 'arch_prctl') && allowed(s, 'modify_ldt'), 'amd64-only calls kept')
  t.notOk(allowed(s, 's390_runtime_instr') || allowed(s, 'arm_fadvise64_64'), 'other arches\' calls dropped')
  t.ok(allowed(s, 'ptrace'), 'ptrace: minKernel 4.8 is met by 6.18')
  t.same(rulesFor(s, 'personality').map(r => r.args?.[0]?.value), [0, 8, 131072, 131080, 4294967295], 'argument rules kept')
  t.same(rulesFor(s, 'clone').find(r => r.args !== undefined)?.args?.[0], { index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' },
    'clone without namespace flags only')
  t.notOk(s.syscalls!.some(r => 'comment' in r || 'includes' in r || 'excludes' in r), 'Docker\'s own fields are not in the OCI rules')
})

t.test('capabilities: rules that need one apply only with it in the bounding set', async t => {
  const admin = toOciSeccomp(DEFAULT, [...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], AMD64)
  t.ok(allowed(admin, 'unshare') && allowed(admin, 'mount') && allowed(admin, 'setns') && allowed(admin, 'clone3'), 'CAP_SYS_ADMIN\'s calls')
  t.same(rulesFor(admin, 'clone3').map(r => r.action), ['SCMP_ACT_ALLOW'], 'and clone3 is no longer ENOSYS (excludes.caps)')
  t.notOk(rulesFor(admin, 'clone').some(r => r.args !== undefined), 'nor clone restricted to no namespace flags')
  const none = toOciSeccomp(DEFAULT, [], AMD64)
  t.notOk(allowed(none, 'chroot'), 'without CAP_SYS_CHROOT, no chroot')
  t.ok(allowed(toOciSeccomp(DEFAULT, ['CAP_SYS_TIME'], AMD64), 'settimeofday'))
  t.ok(allowed(toOciSeccomp(DEFAULT, ['CAP_DAC_READ_SEARCH'], AMD64), 'open_by_handle_at'))
})

t.test('architectures and kernels', async t => {
  const arm = toOciSeccomp(DEFAULT, DEFAULT_CAPS, ARM64)!
  t.same(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'])
  t.ok(allowed(arm, 'arm_fadvise64_64'))
  t.notOk(allowed(arm, 'arch_prctl'))
  const mips = toOciSeccomp(DEFAULT, DEFAULT_CAPS, MIPS64)!
  t.same(mips.architectures, ['SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'])
  t.same(rulesFor(mips, 'clone3').map(r => r.errnoRet), [89], 'ENOSYS is 89 on mips')
  t.same(toOciSeccomp(DEFAULT, DEFAULT_CAPS, { arch: 'riscv64', scmpArch: 'SCMP_ARCH_RISCV64', kernel: [6, 1] })?.architectures, undefined,
    'an arch the map lacks: none listed, the runtime filters the native one')
  t.notOk(allowed(toOciSeccomp(DEFAULT, DEFAULT_CAPS, { ...AMD64, kernel: [4, 4] }), 'ptrace'), 'ptrace needs 4.8')
  t.ok(allowed(toOciSeccomp(DEFAULT, DEFAULT_CAPS, { ...AMD64, kernel: [4, 8] }), 'ptrace'), 'equal counts')
  const ex: SeccompProfile = parseProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ name: 'old', action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '5.3' } }, { names: ['x'], action: 'SCMP_ACT_LOG', includes: { arches: ['amd64'] }, excludes: { arches: ['amd64'] } }]
  }))
  t.same(toOciSeccomp(ex, [], { ...AMD64, kernel: [5, 2] })?.syscalls, [{ names: ['old'], action: 'SCMP_ACT_ERRNO' }], 'below excludes.minKernel: kept, `name` made `names`')
  t.same(toOciSeccomp(ex, [], { ...AMD64, kernel: [5, 3] })?.syscalls, undefined, 'from it on: dropped; excludes win over includes')
  t.same(kernelVersion('6.18.44-fc-v1045'), [6, 18])
  t.same(kernelVersion('3.12-1-amd64'), [3, 12])
})

t.test('the profile\'s other fields, and the empty profile', async t => {
  const p = parseProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: null
  }))
  t.same(toOciSeccomp(p, [], AMD64), { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'] })
  t.equal(toOciSeccomp(parseProfile('{}'), DEFAULT_CAPS, AMD64), undefined, 'no default action and no rules: no filter (moby)')
  t.equal(toOciSeccomp(parseProfile('{"defaultAction": "", "syscalls": []}'), DEFAULT_CAPS, AMD64), undefined)
})

t.test('profiles berth refuses, with the reason', async t => {
  const bad: Array<[string, RegExp]> = [
    ['{"defaultAction":', /^Decoding seccomp profile failed: /],
    ['[]', /^Decoding seccomp profile failed: must be object/],
    ['{"defaultAction": "SCMP_ACT_PERHAPS"}', /^Decoding seccomp profile failed: \/defaultAction must match pattern/],
    ['{"syscalls": [{"names": ["a"]}]}', /\/syscalls\/0 must have required property 'action'/],
    ['{"syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"}]}', /^Decoding seccomp profile failed: a profile that lists syscalls needs a defaultAction$/],
    ['{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}', /\/syscalls\/0\/args\/0\/value must be <= 9007199254740991/],
    ['{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]}', /\/op must match pattern/],
    ['{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}', /'name' and 'names' were specified in the seccomp profile \(syscalls\/0\)/],
    ['{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "0.0"}}]}', /version cannot be 0\.0/],
    ['{"syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5"}}]}', /minKernel must match pattern/],
    ['{"architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}', /'architectures' and 'archMap' were specified/]
  ]
  for (const [text, message] of bad) throwsMessage(t, () => parseProfile(text), message, text.slice(0, 60))
})

t.test('which filter a container gets', async t => {
  const daemon = { setting: 'builtin', profile: DEFAULT, builtin: DEFAULT }
  const own = parseProfile('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}')
  t.equal(containerSeccomp(undefined, daemon, false, DEFAULT_CAPS, AMD64)?.defaultAction, 'SCMP_ACT_ERRNO', 'the daemon\'s')
  t.equal(containerSeccomp('unconfined', daemon, false, DEFAULT_CAPS, AMD64), undefined, 'unconfined')
  t.equal(containerSeccomp(undefined, daemon, true, DEFAULT_CAPS, AMD64), undefined, 'privileged: none (moby WithSeccomp)')
  t.equal(containerSeccomp(own, daemon, true, DEFAULT_CAPS, AMD64), undefined, 'privileged wins over a profile of its own')
  t.same(containerSeccomp(own, daemon, false, DEFAULT_CAPS, AMD64), { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }, 'its own')
  const custom = { setting: '/etc/p.json', profile: own, builtin: DEFAULT }
  t.equal(containerSeccomp('builtin', custom, false, DEFAULT_CAPS, AMD64)?.defaultAction, 'SCMP_ACT_ERRNO', 'builtin: Docker\'s default, whatever the daemon\'s')
  t.equal(containerSeccomp(undefined, { setting: 'unconfined', builtin: DEFAULT }, false, DEFAULT_CAPS, AMD64), undefined, 'an unconfined daemon')
  throwsMessage(t, () => containerSeccomp('builtin', { setting: 'unconfined' }, false, DEFAULT_CAPS, AMD64), /^seccomp=builtin: Docker's default seccomp profile is not installed/, 'builtin missing')
})

t.test('dockerSpec puts the filter in linux.seccomp (one call into security/)', async t => {
  const daemon = { setting: 'builtin', profile: DEFAULT, builtin: DEFAULT }
  const s = dockerSpec(input(cli({}), { seccomp: daemon }))
  t.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO')
  t.notOk(allowed(s.linux.seccomp, 'unshare'))
  t.ok(allowed(dockerSpec(input(cli({ CapAdd: ['SYS_ADMIN'] }), { seccomp: daemon })).linux.seccomp, 'unshare'), 'from the container\'s bounding set')
  t.equal(dockerSpec(input(cli({ Privileged: true }), { seccomp: daemon })).linux.seccomp, undefined)
  t.equal(dockerSpec(input(cli({ SecurityOpt: ['seccomp=unconfined'] }), { seccomp: daemon })).linux.seccomp, undefined)
  t.equal(dockerSpec(input(cli({}))).linux.seccomp, undefined, 'no daemon profile given: none')
})

t.test('SecurityOpt', async t => {
  t.same(securityOptions([]), { noNewPrivileges: false, seccomp: undefined })
  for (const o of ['no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:1', 'no-new-privileges=T', 'no-new-privileges=True']) {
    t.equal(securityOptions([o]).noNewPrivileges, true, o)
  }
  t.equal(securityOptions(['no-new-privileges', 'no-new-privileges=false']).noNewPrivileges, false, 'the last one wins')
  t.equal(securityOptions(['seccomp=unconfined']).seccomp, 'unconfined')
  t.equal(securityOptions(['seccomp:unconfined']).seccomp, 'unconfined', 'the old : spelling')
  t.equal(securityOptions(['seccomp=builtin']).seccomp, 'builtin')
  t.equal(securityOptions(['seccomp=']).seccomp, undefined, 'empty: the daemon\'s')
  // The JSON has colons and, in a comment, an equals sign: the option is cut at its first "=".
  t.same(securityOptions(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","comment":"x=y"}]}']).seccomp,
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', comment: 'x=y' }] })
  for (const o of ['apparmor=unconfined', 'label=disable', 'label:disable', 'disable']) t.doesNotThrow(() => securityOptions([o]), o)
  const bad: Array<[string, RegExp]> = [
    ['apparmor=docker-default', /^invalid --security-opt "apparmor=docker-default": berth applies no AppArmor profile/],
    ['label=level:s0', /berth applies no SELinux label/],
    ['no-new-privileges=maybe', /^invalid --security-opt 2: "no-new-privileges=maybe"$/],
    ['systempaths=unconfined', /^invalid --security-opt 2: "systempaths=unconfined"$/],
    ['nonsense', /^invalid --security-opt 1: "nonsense"$/],
    ['seccomp=/etc/p.json', /^Decoding seccomp profile failed: .* \(send the profile's JSON, as the docker CLI does with --security-opt seccomp=FILE, not its path\)$/],
    ['seccomp={"syscalls":[{}]}', /^Decoding seccomp profile failed: \/syscalls\/0 must have required property/]
  ]
  for (const [o, message] of bad) {
    let caught: unknown
    try { securityOptions([o]) } catch (err) { caught = err }
    t.equal((caught as { code?: string } | undefined)?.code, 'INVALID_ARGUMENT', `${o}: a 400`)
    t.match((caught as Error | undefined)?.message, message, o)
  }
})

t.test('the daemon\'s setting, read at start-up', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const b = loadDaemonSeccomp('builtin')
  t.equal(b.setting, 'builtin')
  t.equal(b.profile, b.builtin)
  t.ok(Object.isFrozen(b))
  const u = loadDaemonSeccomp('unconfined')
  t.equal(u.profile, undefined)
  t.ok(u.builtin !== undefined, 'builtin kept for seccomp=builtin')
  const file = join(dir, 'p.json')
  writeFileSync(file, '{"defaultAction": "SCMP_ACT_LOG"}')
  t.equal(loadDaemonSeccomp(file).profile?.defaultAction, 'SCMP_ACT_LOG')
  t.equal(loadDaemonSeccomp(file, join(dir, 'none.json')).builtin, undefined, 'a custom profile does not need the builtin one installed')
  const fails = (fn: () => unknown, message: RegExp, what: string): void => {
    let caught: unknown
    try { fn() } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, `${what}: a ConfigError`)
    t.match((caught as Error | undefined)?.message, message, what)
  }
  fails(() => loadDaemonSeccomp('builtin', join(dir, 'none.json')), /Docker's default seccomp profile .*none\.json cannot be read \(ENOENT\)/, 'builtin missing')
  fails(() => loadDaemonSeccomp('builtin', BUILTIN_PROFILE + '.nope'), /install it with: apt-get install -y golang-github-docker-docker-dev/, 'with the package to install')
  writeFileSync(file, '{"defaultAction": 3}')
  fails(() => loadDaemonSeccomp(file), /seccomp profile .*p\.json: Decoding seccomp profile failed: \/defaultAction/, 'a bad profile')
})
