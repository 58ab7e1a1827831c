/** Pure parts of the builder: the Dockerfile scan, buildah's argv, its output and errors in Docker's words, X-Registry-Config. */
import t from 'tap'
import { budArgs, dockerError, dockerLine, isolation, type BudOptions } from '../../src/build/buildah.js'
import { dockerfileBases, expand, logicalLines, metaArgs, stepCount, syntaxError } from '../../src/build/dockerfile.js'
import { decodeRegistryConfig } from '../../src/registry/auth.js'

t.test('Dockerfile lines: continuations joined, comments and blanks dropped, the escape directive read, line numbers kept', async t => {
  t.same(logicalLines('# syntax=x\nFROM a \\\n  AS b\n\n# c\nRUN x \\\n# inside\n  y\n').map(l => [l.text, l.line]), [['FROM a   AS b', 2], ['RUN x   y', 6]])
  t.same(logicalLines('# escape=`\nFROM a\nRUN x `\n y\nRUN c:\\\\').map(l => l.text), ['FROM a', 'RUN x  y', 'RUN c:\\\\'])
})

t.test('Dockerfile bases: FROM and COPY --from images, ARGs expanded, stages, numbers and scratch left out', async t => {
  const text = [
    'ARG BASE=bb', 'ARG TAG', 'FROM --platform=linux/amd64 ${BASE}:${TAG:-1} AS build', 'RUN x',
    'FROM build AS again', 'COPY --from=build /a /a', 'COPY --from=0 /a /a', 'COPY --from=other:2 /b /b',
    'from scratch', 'copy --chown=1 --from=Build /a /a', 'FROM $BASE'
  ].join('\n')
  t.same(dockerfileBases(text), { images: ['bb:1', 'other:2', 'bb'], stages: 4 })
  t.equal(stepCount('# c\nARG A=1\nFROM bb\nRUN a \\\n  b\nFROM bb\n'), 4, 'every instruction a step, the ARG before FROM too (as Docker), continuations joined')
  t.same(metaArgs('# c\nARG A=1\narg B\nFROM bb\nARG C\n'), ['ARG A=1', 'arg B'], 'the ARGs before the first FROM, as written')
  t.same(metaArgs('FROM bb\nARG C\n'), [])
  t.equal(stepCount('ARG A=1\n'), 0, 'no FROM, no steps')
  t.same(dockerfileBases(text, { BASE: 'reg:5000/x', TAG: '9' }).images, ['reg:5000/x:9', 'other:2', 'reg:5000/x'], 'build args win over ARG defaults')
  t.same(dockerfileBases('FROM a\nARG B=c\nFROM $B').images, ['a'], 'an ARG after the first FROM does not reach FROM')
  t.equal(expand('${A:+set}${B:-dflt}$C', new Map([['A', '1'], ['C', 'c']])), 'setdfltc')
})

t.test('Dockerfile syntax: Docker\'s parse errors before the build starts', async t => {
  t.equal(syntaxError('ARG x\nFROM a\nrun x\nHealthCheck NONE'), undefined)
  t.equal(syntaxError('# only a comment\n\n'), 'the Dockerfile cannot be empty')
  t.equal(syntaxError('FROM a\n\nRUNX foo'), 'dockerfile parse error line 3: unknown instruction: RUNX')
  t.match(syntaxError('RUN x\nFROM a'), /line 1: RUN before the first FROM/)
})

t.test('buildah bud argv: cache layers, never a registry, Docker format, nothing left, isolation from the network mode and the limits', async t => {
  const o: BudOptions = { contextDir: '/c', dockerfile: '/c/D', buildArgs: { A: '1' }, labels: { l: 'v' }, target: 't', noCache: true, network: 'host', extraHosts: ['h:1.2.3.4'], limits: {} }
  const a = budArgs(o, '/etc')
  t.equal(a[0], 'bud')
  t.equal(a.at(-1), '/c', 'the context last')
  for (const f of ['--layers', '--pull=never', '--force-rm', '--no-cache', '--identity-label=false']) t.ok(a.includes(f), f)
  const pair = (flag: string): string | undefined => a[a.indexOf(flag) + 1]
  t.equal(pair('--format'), 'docker')
  t.equal(pair('--isolation'), 'chroot')
  t.equal(pair('-f'), '/c/D')
  t.equal(pair('--build-arg'), 'A=1')
  t.equal(pair('--label'), 'l=v')
  t.equal(pair('--target'), 't')
  t.equal(pair('--add-host'), 'h:1.2.3.4')
  t.notOk(a.includes('--shm-size'))
  t.notOk(a.includes('--network'), 'the default network is the host\'s (chroot isolation)')
  const shm = budArgs({ ...o, shmSize: 1024 }, '/etc')
  t.equal(shm[shm.indexOf('--shm-size') + 1], '1024', 'bytes without a suffix (tmpfs refuses `1024b`)')
  t.equal(shm[shm.indexOf('--isolation') + 1], 'oci', 'a /dev/shm of its own needs the OCI runtime')
  t.equal(shm[shm.indexOf('--network') + 1], 'host', 'still on the host\'s network')
  t.equal(isolation({ network: 'host', shmSize: 0, limits: { memory: 0, cpusetCpus: '' } }), 'chroot', 'Docker\'s zeros set nothing')
  t.equal(isolation({ network: 'host', limits: { cpuShares: 512 } }), 'oci', 'chroot isolation ignores limits')
  const none = budArgs({ ...o, network: 'none', noCache: false }, '/etc')
  t.equal(none[none.indexOf('--isolation') + 1], 'oci', 'an empty network namespace needs runc')
  t.equal(none[none.indexOf('--network') + 1], 'none')
  t.notOk(none.includes('--no-cache'))
  const limited = budArgs({ ...o, limits: { memory: 64 << 20, memorySwap: -1, cpuShares: 512, cpuPeriod: 100000, cpuQuota: 50000, cpusetCpus: '0', cpusetMems: '' } }, '/etc')
  t.same(limited.slice(limited.indexOf('--memory'), limited.indexOf('--memory') + 12),
    ['--memory', `${64 << 20}b`, '--memory-swap', '-1', '--cpu-shares', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpuset-cpus', '0'], 'Docker\'s limits, the unset (zero, empty) left out')
  t.equal(limited[limited.indexOf('--isolation') + 1], 'oci')
  t.notOk(a.some(x => /^--(memory|cpu)/.test(x)), 'no limit flag without limits')
})

t.test('buildah output as Docker\'s build stream', async t => {
  t.equal(dockerLine('STEP 2/5: RUN echo hi'), 'Step 2/5 : RUN echo hi\n')
  const steps = { seen: 0, total: 5 }
  t.same(['[1/2] STEP 1/2: FROM bb AS one', '[1/2] STEP 2/2: RUN x', '[2/2] STEP 1/3: FROM bb', 'out', '[2/2] STEP 2/3: COPY --from=one /s /s'].map(l => dockerLine(l, steps)),
    ['Step 1/5 : FROM bb AS one\n', 'Step 2/5 : RUN x\n', 'Step 3/5 : FROM bb\n', 'out\n', 'Step 4/5 : COPY --from=one /s /s\n'], 'multi-stage: one count over the Dockerfile, as Docker')
  t.equal(dockerLine('--> Using cache 6132314cb8806a15352f88dd772af087a54b5faaf2aa385f3d105a889db76477'), ' ---> Using cache\n')
  t.equal(dockerLine('--> 6132314cb88'), ' ---> 6132314cb88\n')
  t.equal(dockerLine('hello from RUN'), 'hello from RUN\n')
  for (const l of ['COMMIT x', 'COMMIT', 'Successfully tagged localhost/x:latest', 'a'.repeat(64), 'Getting image source signatures', 'Copying blob sha256:ab', 'Writing manifest to image destination', 'Storing signatures']) {
    t.equal(dockerLine(l), undefined, `dropped: ${l}`)
  }
})

t.test('buildah errors in Docker\'s words', async t => {
  t.equal(dockerError('Error: building at STEP "RUN echo out; false": exit status 1'), 'The command \'/bin/sh -c echo out; false\' returned a non-zero code: 1')
  t.equal(dockerError('Error: building at STEP "RUN exit 7": while running runtime: exit status 7'), 'The command \'/bin/sh -c exit 7\' returned a non-zero code: 7')
  t.equal(dockerError('Error: building at STEP "COPY ../x /x": checking on sources under "/ctx": possible escaping context directory error: copier: stat: "/x": no such file or directory', '/ctx'),
    'COPY failed: forbidden path outside the build context: ../x')
  t.equal(dockerError('Error: building at STEP "ADD a /a": checking on sources under "/ctx/sub": nope', '/ctx'), 'building at STEP "ADD a /a": checking on sources under "./sub": nope', 'the daemon\'s temp path is not shown')
  t.equal(dockerError('Error: building at STEP "X ": Build error: Unknown instruction: "X" &imagebuilder.Step{Env:[]string{}}'), 'building at STEP "X ": Build error: Unknown instruction: "X"')
})

t.test('X-Registry-Config: credentials per registry domain', async t => {
  const enc = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString('base64url')
  const m = decodeRegistryConfig(enc({ 'https://index.docker.io/v1/': { username: 'u', password: 'p' }, 'reg:5000': { auth: Buffer.from('a:b').toString('base64') }, 'anon:1': {} }))
  t.same([...m.keys()].sort(), ['docker.io', 'reg:5000'])
  t.equal(m.get('reg:5000')?.username, 'a')
  t.equal(decodeRegistryConfig(undefined).size, 0)
  t.throws(() => decodeRegistryConfig('%%%'), { code: 'INVALID_ARGUMENT', message: /X-Registry-Config/ })
  t.throws(() => decodeRegistryConfig(enc([1])), { code: 'INVALID_ARGUMENT' })
})
