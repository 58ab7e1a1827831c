/**
 * docker build through berth's buildah builder, driven by the real clients:
 * the docker CLI with DOCKER_BUILDKIT=0, docker-py and dockerode, and the API
 * directly for what they cannot show (cancelling, limits, the stream's shape).
 * Each result is run, inspected and its history read; each failure is checked
 * for leaving nothing behind (buildah containers, mounts, temp dirs, processes).
 */
import t, { type Test } from 'tap'
import Docker from 'dockerode'
import { execa, execaSync } from 'execa'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOCKER, dockerEnv, dockerTest, importBusybox, makeTar, processesMentioning, rootfsTar, startDaemon, until, type Daemon } from './helpers.js'
import { noRegistry, pull, pushArchive, startRegistry } from './registry-helpers.js'

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0
const CONTEXT_MAX = 1024 * 1024

/** A context dir of `files` (path → content), removed with `t`. */
async function contextDir (t: Test, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-ctx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), body)
  }
  return dir
}

/** `docker` against the daemon, the classic builder chosen as the README says. */
const docker = (d: Daemon, args: string[], cwd?: string) =>
  execa(DOCKER, args, { env: { ...dockerEnv(d), DOCKER_BUILDKIT: '0' }, reject: false, timeout: 180_000, cwd })

/** The lines of a build stream. */
const messages = (raw: Buffer): any[] => raw.toString().split('\n').filter(l => l !== '').map(l => JSON.parse(l))

/** POST /build of a tar made of `files`, the answer read whole. */
async function build (d: Daemon, files: Record<string, string>, query = ''): Promise<{ status: number, body: any, lines: any[] }> {
  const tar = await makeTar(Object.entries(files).map(([name, body]) => ({ name, body })))
  // Not d.req: the stream is many JSON documents, not one.
  const r = await d.client.request({ method: 'POST', path: `/build${query}`, body: tar, headers: { 'content-type': 'application/x-tar' } })
  const raw = Buffer.from(await r.body.arrayBuffer())
  return { status: r.statusCode, body: r.statusCode === 200 ? undefined : JSON.parse(raw.toString()), lines: r.statusCode === 200 ? messages(raw) : [] }
}

/** Nothing of a build is left: no buildah working container, no build temp dir, no mount of a layer, no buildah process. */
async function nothingLeft (t: Test, d: Daemon): Promise<void> {
  const storage = join(d.root, 'build', 'storage')
  const containers = async (): Promise<string> => (await execa('buildah', ['--root', storage, '--runroot', join(d.state, 'build'), '--storage-driver', 'overlay', 'containers', '-q'], { reject: false })).stdout.trim()
  const mounts = async (): Promise<string[]> => (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(`${storage}/overlay/`) && l.includes('/merged'))
  // The builder cleans up just after the stream's last line: give it a moment.
  await until(async () => processesMentioning(storage).length === 0 && await containers() === '' && (await readdir(join(d.root, 'build', 'tmp'))).length === 0, 15_000, 'the build to clean up').catch(() => {})
  t.same(processesMentioning(storage), [], 'no buildah process')
  t.equal(await containers(), '', 'no buildah working container')
  const tmp = await readdir(join(d.root, 'build', 'tmp'))
  t.same(tmp, [], `no build temp dir: ${tmp.join(' ')}`)
  t.same(await mounts(), [], 'no layer mounted')
}

const FULL = [
  'FROM bb',
  'ARG GREETING=hello',
  'LABEL org.example.a="b c"',
  'ENV E=1',
  'WORKDIR /w',
  'RUN echo "$GREETING" > /w/g && echo built-step',
  'COPY f /w/f',
  'EXPOSE 8080/tcp',
  'VOLUME /data',
  'USER 0:0',
  'HEALTHCHECK --interval=5s CMD true',
  'STOPSIGNAL SIGUSR1',
  'ENTRYPOINT ["sh", "-c"]',
  'CMD ["cat /w/g /w/f; echo E=$E"]'
].join('\n') + '\n'

t.test('docker build', async t => {
  const d = await startDaemon(t, ['--build-context-max', String(CONTEXT_MAX)])
  await importBusybox(d, 'bb')

  await dockerTest(t, 'docker CLI: build, run, inspect, history, the cache, --build-arg, --no-cache, -f, --target', async t => {
    const ctx = await contextDir(t, { Dockerfile: FULL, f: 'data\n', 'sub/Alt': 'FROM bb AS one\nRUN echo one > /s\nFROM bb AS two\nCOPY --from=one /s /s\nRUN echo two >> /s\nFROM two\nCMD ["cat", "/s"]\n' })
    const b = await docker(d, ['build', '-t', 'x', '.'], ctx)
    t.equal(b.exitCode, 0, b.stderr)
    t.match(b.stdout, /Step 1\/14 : FROM bb\n/)
    t.match(b.stdout, /Step 6\/14 : RUN echo "\$GREETING" > \/w\/g && echo built-step\nbuilt-step\n ---> [0-9a-f]{11}/, 'a step, its output and its image')
    const built = /Successfully built ([0-9a-f]{12})\n/.exec(b.stdout)?.[1]
    t.ok(built, 'Successfully built <id>')
    t.match(b.stdout, /Successfully tagged x:latest$/m)
    const run = await docker(d, ['run', '--rm', 'x'])
    t.equal(run.stdout, 'hello\ndata\nE=1', 'docker run prints what the Dockerfile put there')

    const inspect = JSON.parse((await docker(d, ['image', 'inspect', 'x'])).stdout)[0]
    t.ok(inspect.Id.startsWith(`sha256:${built!}`), 'the id the stream gave')
    const c = inspect.Config
    t.same(c.Entrypoint, ['sh', '-c'])
    t.same(c.Cmd, ['cat /w/g /w/f; echo E=$E'])
    t.ok(c.Env.includes('E=1'))
    t.equal(c.WorkingDir, '/w')
    t.equal(c.User, '0:0')
    t.same(Object.keys(c.ExposedPorts ?? {}), ['8080/tcp'])
    t.same(Object.keys(c.Volumes ?? {}), ['/data'])
    t.same(c.Labels, { 'org.example.a': 'b c' }, 'the Dockerfile\'s labels and no builder label')
    t.equal(c.StopSignal, 'SIGUSR1')
    const raw = await d.req('GET', '/images/x/json')
    t.same(raw.body.Config.Healthcheck ?? JSON.parse(execaSync('cat', [join(d.root, 'images', 'configs', `${inspect.Id.slice(7)}.json`)]).stdout).config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 }, 'the healthcheck kept')

    const history = JSON.parse((await d.req('GET', '/images/x/history')).raw.toString()) as Array<{ CreatedBy: string }>
    const steps = history.map(h => h.CreatedBy).reverse()
    t.ok(steps.some(s => s.includes('echo "$GREETING" > /w/g')), 'history shows the RUN step')
    t.ok(steps.some(s => s.includes('#(nop) COPY')), 'history shows the COPY step')
    t.ok(steps.some(s => s.includes('#(nop) HEALTHCHECK')), 'history shows the HEALTHCHECK step')
    t.ok(inspect.RootFS.Layers.length >= 3, 'one layer per filesystem-changing step on top of the base')

    const again = await docker(d, ['build', '-t', 'x', '.'], ctx)
    t.equal(again.exitCode, 0, again.stderr)
    t.match(again.stdout, /---> Using cache/, 'a second build is served from the cache')
    t.match(again.stdout, new RegExp(`Successfully built ${built!}`), 'to the same image')

    const arg = await docker(d, ['build', '--no-cache', '--build-arg', 'GREETING=bye', '-t', 'x2', '.'], ctx)
    t.equal(arg.exitCode, 0, arg.stderr)
    t.notMatch(arg.stdout, /Using cache/, '--no-cache')
    t.equal((await docker(d, ['run', '--rm', 'x2'])).stdout, 'bye\ndata\nE=1', '--build-arg reaches RUN')

    const multi = await docker(d, ['build', '-f', 'sub/Alt', '-t', 'm', '.'], ctx)
    t.equal(multi.exitCode, 0, multi.stderr)
    t.equal((await docker(d, ['run', '--rm', 'm'])).stdout, 'one\ntwo', 'multi-stage with COPY --from')
    const target = await docker(d, ['build', '-f', 'sub/Alt', '--target', 'one', '-t', 'm1', '.'], ctx)
    t.equal(target.exitCode, 0, target.stderr)
    t.equal((await docker(d, ['run', '--rm', 'm1', 'cat', '/s'])).stdout, 'one', '--target stops at that stage')

    const quiet = await docker(d, ['build', '-q', '-f', 'sub/Alt', '.'], ctx)
    t.equal(quiet.exitCode, 0, quiet.stderr)
    t.match(quiet.stdout.trim(), /^sha256:[0-9a-f]{64}$/, '-q prints the id only')
    await nothingLeft(t, d)
  })

  await dockerTest(t, 'docker CLI: -f of a Dockerfile outside the context, and -f - (the CLI adds it to the tar as .dockerfile.<random>)', async t => {
    const ctx = await contextDir(t, { f: 'in-context\n', '.dockerignore': 'ignored\n', ignored: 'x' })
    const outside = await contextDir(t, { Dockerfile: 'FROM bb\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n' })
    const b = await docker(d, ['build', '-f', join(outside, 'Dockerfile'), '-t', 'outside', ctx])
    t.equal(b.exitCode, 0, b.stderr)
    t.match(b.stdout, /Step 2\/3 : COPY \. \/ctx\//)
    t.teardown(async () => { await d.req('DELETE', '/images/outside?force=1') })
    // As in Docker: the CLI appends its random name to the user's .dockerignore, so that file is left out of COPY; the .dockerignore is copied.
    t.same((await docker(d, ['run', '--rm', 'outside'])).stdout.split('\n'), ['.', '..', '.dockerignore', 'f'], 'COPY . saw the context only')
    // Without a .dockerignore the CLI writes one that lists itself and the Dockerfile: COPY . gets neither.
    const bare = await contextDir(t, { f: 'in-context\n' })
    const stdin = await execa(DOCKER, ['build', '-f', '-', '-t', 'stdin', bare], { env: { ...dockerEnv(d), DOCKER_BUILDKIT: '0' }, reject: false, timeout: 180_000, input: 'FROM bb\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n' })
    t.equal(stdin.exitCode, 0, stdin.stderr)
    t.teardown(async () => { await d.req('DELETE', '/images/stdin?force=1') })
    t.same((await docker(d, ['run', '--rm', 'stdin'])).stdout.split('\n'), ['.', '..', 'f'], '-f - builds the Dockerfile from stdin')
    await nothingLeft(t, d)
  })

  await dockerTest(t, 'docker CLI: a failing RUN fails the build with its exit code, leaving nothing', async t => {
    const ctx = await contextDir(t, { Dockerfile: 'FROM bb\nRUN echo before; exit 3\n' })
    const b = await docker(d, ['build', '-t', 'bad', '.'], ctx)
    t.not(b.exitCode, 0)
    t.match(b.stdout, /^before$/m, 'the step\'s output')
    t.match(b.stderr, /The command '\/bin\/sh -c echo before; exit 3' returned a non-zero code: 3/)
    t.equal((await d.req('GET', '/images/bad/json')).status, 404, 'no image tagged')
    await nothingLeft(t, d)
  })

  t.test('API: the stream\'s shape, labels, networkmode=none', async t => {
    const r = await build(d, { Dockerfile: 'FROM bb\nRUN ip -o link | wc -l > /links\n' }, '?t=net:1&t=net:2&networkmode=none&labels=%7B%22k%22%3A%22v%22%7D&rm=1&forcerm=0')
    t.equal(r.status, 200)
    t.match(r.lines[0], { stream: /^Step 1\/\d : FROM bb\n$/ })
    t.match(r.lines.at(-1), { stream: 'Successfully tagged net:2\n' }, JSON.stringify(r.lines.slice(-2)))
    const aux = r.lines.find(l => l.aux !== undefined)
    t.match(aux, { aux: { ID: /^sha256:[0-9a-f]{64}$/ } })
    t.same(r.lines.slice(-3).map(l => l.stream), [`Successfully built ${(aux.aux.ID as string).slice(7, 19)}\n`, 'Successfully tagged net:1\n', 'Successfully tagged net:2\n'])
    const run = await docker(d, ['run', '--rm', 'net:2', 'cat', '/links'])
    t.equal(run.stdout, '1', 'RUN saw only the loopback (networkmode=none)')
    t.same((await d.req('GET', '/images/net:1/json')).body.Config.Labels, { k: 'v' }, 'labels')
  })

  t.test('API: the ARGs before the first FROM are steps, numbered as Docker\'s classic builder does', async t => {
    const r = await build(d, { Dockerfile: 'ARG BASE=bb\nARG WORD=meta\nFROM $BASE\nARG WORD\nRUN echo "word=$WORD"\n' }, '?nocache=1')
    t.equal(r.status, 200)
    const steps = r.lines.map(l => l.stream ?? '').filter(s => s.startsWith('Step '))
    // buildah shows FROM with the ARG expanded, where Docker shows the line as written (`FROM $BASE`).
    t.same(steps, ['Step 1/5 : ARG BASE=bb\n', 'Step 2/5 : ARG WORD=meta\n', 'Step 3/5 : FROM bb\n', 'Step 4/5 : ARG WORD\n', 'Step 5/5 : RUN echo "word=$WORD"\n'], JSON.stringify(steps))
    t.ok(r.lines.some(l => l.stream === 'word=meta\n'), 'the meta ARG\'s default reached the stage')
  })

  t.test('API: the resource limits reach a RUN step on the host\'s network (cgroup v1 files, /dev/shm\'s size)', async t => {
    const show = [
      'echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)',
      'echo memsw=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo none)',
      'echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares) quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)',
      'echo cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)',
      'echo shm=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')',
      'echo netns=$(readlink /proc/self/ns/net)'
    ].join('; ')
    const r = await build(d, { Dockerfile: `FROM bb\nRUN ${show}\n` }, '?nocache=1&memory=104857600&memswap=209715200&cpushares=512&cpuperiod=50000&cpuquota=25000&cpusetcpus=0&shmsize=33554432')
    t.equal(r.status, 200)
    const out = r.lines.map(l => l.stream ?? '').join('')
    t.match(r.lines.at(-1), { stream: /^Successfully built / }, out)
    t.match(out, /^mem=104857600$/m, 'memory')
    // The memsw file exists only with swap accounting on (swapaccount=1).
    const memsw = /^memsw=(\S+)$/m.exec(out)?.[1]
    t.ok(memsw === 'none' || memsw === '209715200', `memswap: ${memsw ?? ''}`)
    t.match(out, /^shares=512 quota=25000 period=50000$/m, 'cpushares, cpuquota, cpuperiod')
    t.match(out, /^cpus=0$/m, 'cpusetcpus')
    t.match(out, /^shm=32768$/m, 'shmsize: /dev/shm of 32 MiB')
    // The network namespace, not a count of links: other work on the machine adds and removes interfaces.
    t.match(out, new RegExp(`^netns=${(await readlink('/proc/self/ns/net')).replace(/[[\]]/g, '\\$&')}$`, 'm'), 'still the host\'s network (networkmode default)')
    const unlimited = await build(d, { Dockerfile: `FROM bb\nRUN ${show}\n` }, '?nocache=1')
    const plain = unlimited.lines.map(l => l.stream ?? '').join('')
    t.notMatch(plain, /^mem=104857600$/m, 'no limit when none is asked for')
    await nothingLeft(t, d)
  })

  t.test('API: bad input is refused with nothing left behind', async t => {
    const notTar = await d.req('POST', '/build', 'this is not a tar archive, not at all. '.repeat(20), { 'content-type': 'application/x-tar' })
    t.equal(notTar.status, 400)
    t.match(notTar.body.message, /invalid tar archive/)
    const missing = await build(d, { f: 'x' })
    t.equal(missing.status, 400)
    t.equal(missing.body.message, 'Cannot locate specified Dockerfile: Dockerfile')
    const named = await build(d, { Dockerfile: 'FROM bb\n' }, '?dockerfile=nope')
    t.equal(named.body.message, 'Cannot locate specified Dockerfile: nope')
    const syntax = await build(d, { Dockerfile: 'FROM bb\nRUNX foo\n' })
    t.equal(syntax.status, 400)
    t.equal(syntax.body.message, 'dockerfile parse error line 2: unknown instruction: RUNX')
    const escape = await build(d, { Dockerfile: 'FROM bb\nCOPY ../../etc/passwd /p\n' })
    t.equal(escape.status, 200, 'found by buildah once the build runs: a stream error')
    t.match(escape.lines.at(-1), { error: 'COPY failed: forbidden path outside the build context: ../../etc/passwd' })
    const big = await d.req('POST', '/build', Buffer.alloc(CONTEXT_MAX + 4096), { 'content-type': 'application/x-tar' })
    t.equal(big.status, 413)
    t.match(big.body.message, /larger than the daemon's limit/)
    const kit = await build(d, { Dockerfile: 'FROM bb\n' }, '?version=2')
    t.equal(kit.status, 400)
    t.match(kit.body.message, /DOCKER_BUILDKIT=0/)
    t.match((await d.req('POST', '/session')).body.message, /DOCKER_BUILDKIT=0/)
    t.match((await build(d, { Dockerfile: 'FROM bb\n' }, '?platform=linux/s390x')).body.message, /berth builds for linux\//)
    t.equal((await build(d, { Dockerfile: 'FROM bb\n' }, '?cpusetcpus=a')).status, 400, 'a bad cpuset')
    const noBase = await build(d, { Dockerfile: 'FROM 127.0.0.1:1/none/such:1\n' })
    t.match(noBase.lines.at(-1), { error: /127\.0\.0\.1:1/ }, 'a base image neither in the store nor reachable')
    await nothingLeft(t, d)
  })

  t.test('API: a client that disconnects cancels the build, leaving nothing', async t => {
    const tar = await makeTar([{ name: 'Dockerfile', body: 'FROM bb\nRUN echo started; sleep 60\n' }])
    const ac = new AbortController()
    const r = await d.client.request({ method: 'POST', path: '/build?t=cancelled', body: tar, headers: { 'content-type': 'application/x-tar' }, signal: ac.signal })
    let seen = ''
    try {
      for await (const chunk of r.body) {
        seen += String(chunk)
        if (seen.includes('started')) ac.abort()
      }
    } catch {}
    t.match(seen, /started/, 'the RUN step was running')
    await nothingLeft(t, d)
    t.equal((await d.req('GET', '/images/cancelled/json')).status, 404, 'no image')
  })

  t.test('docker-py images.build', { skip: hasDockerPy ? false : 'python3-docker is not installed' }, async t => {
    const ctx = await contextDir(t, { Dockerfile: 'FROM bb\nRUN echo py > /py\nCMD ["cat", "/py"]\n' })
    const script = `
import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
img, logs = c.images.build(path=sys.argv[2], tag='py:1', rm=True)
out = {'tags': img.tags, 'logs': [l.get('stream', '') for l in logs], 'run': c.containers.run('py:1', remove=True).decode()}
try:
    c.images.build(path=sys.argv[2], dockerfile='nope')
except docker.errors.APIError as e:
    out['missing'] = str(e.explanation)
print(json.dumps(out))
`
    const r = await execa(PYTHON, ['-c', script, d.socket, ctx], { reject: false, timeout: 120_000 })
    t.equal(r.exitCode, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
    t.same(out.tags, ['py:1'])
    t.ok((out.logs as string[]).some(l => l.startsWith('Step 2/3 : RUN echo py')), 'the log generator gives the steps')
    t.equal(out.run, 'py\n')
    t.match(out.missing, /Cannot locate specified Dockerfile: nope/)
  })

  t.test('dockerode buildImage', async t => {
    const client = new Docker({ socketPath: d.socket })
    const stream = await client.buildImage({ context: await contextDir(t, { Dockerfile: 'FROM bb\nRUN echo node > /n\n' }), src: ['Dockerfile'] }, { t: 'node:1' })
    const out = await new Promise<any[]>((resolve, reject) => client.modem.followProgress(stream, (err: Error | null, res: any[]) => err !== null ? reject(err) : resolve(res)))
    t.ok(out.some(m => m.aux?.ID !== undefined), 'the aux line with the id')
    t.equal((await docker(d, ['run', '--rm', 'node:1', 'cat', '/n'])).stdout, 'node')
  })

  t.test('POST /build/prune clears the cache; the next build hands the base over again', async t => {
    const r = await d.req('POST', '/build/prune')
    t.equal(r.status, 200)
    t.ok(Array.isArray(r.body.CachesDeleted) && r.body.CachesDeleted.length > 0, 'cache images removed')
    t.ok(r.body.SpaceReclaimed > 0, 'space reclaimed')
    const again = await build(d, { Dockerfile: 'FROM bb\nRUN echo again\n' })
    t.match(again.lines.at(-1), { stream: /^Successfully built / })
    t.notOk(again.lines.some(l => /Using cache/.test(l.stream ?? '')), 'nothing cached any more')
    await nothingLeft(t, d)
  })
})

t.test('FROM name@sha256:digest of a pulled image is built from berth\'s store, not the registry', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await pushArchive(t, reg, [await rootfsTar()], 'bb:latest')
  const pulled = await pull(d, `fromImage=${reg.host}/bb&tag=latest`)
  t.equal(pulled.status, 200)
  const digested = (await d.req('GET', `/images/${reg.host}/bb/json`)).body.RepoDigests[0] as string
  t.match(digested, /@sha256:[0-9a-f]{64}$/)
  // The registry forgets everything: a round trip to it would fail the build.
  await rm(join(reg.storage, 'docker'), { recursive: true, force: true })
  const r = await build(d, { Dockerfile: `FROM ${digested} AS base\nRUN echo by-digest > /d\nFROM base\nCOPY --from=${digested} /bin/busybox /bb2\n` }, '?t=dg')
  t.equal(r.status, 200)
  t.match(r.lines[0], { stream: `Step 1/4 : FROM ${digested} AS base\n` }, 'the stream shows the Dockerfile\'s reference')
  t.match(r.lines.at(-1), { stream: 'Successfully tagged dg:latest\n' }, JSON.stringify(r.lines.slice(-3)))
  t.notOk(r.lines.some(l => l.status !== undefined), 'nothing pulled')
  t.notOk(JSON.stringify(r.lines).includes('berth-by-digest'), 'berth\'s name for it is not shown')
  t.equal((await docker(d, ['run', '--rm', 'dg', 'cat', '/d'])).stdout, 'by-digest')
  const missing = await build(d, { Dockerfile: `FROM ${reg.host}/bb@sha256:${'0'.repeat(64)}\n` })
  t.match(missing.lines.at(-1), { error: /manifest unknown|not found/i }, 'a digest the store lacks goes to the registry')
  await nothingLeft(t, d)
})
