/**
 * docker cp, export and commit against a real berthd, real runtimes and the
 * real docker client: copies both ways for running, exited and never-started
 * containers, the path-stat header, every escape refused (symlinks in the
 * container resolve inside it, `..` and absolute tar entries fail, nothing is
 * written on the host), export of the merged rootfs, and commit of writes,
 * deletions and an opaque dir into an image that runs.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { execa } from 'execa'
import tar from 'tar-stream'
import { createContainer, DOCKER, dockerEnv, dockerTest, makeTar, ROOTFS, startDaemon, type Daemon, type TarEntry } from './helpers.js'

/** The busybox rootfs's /etc/passwd (scripts/make-rootfs.sh). */
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'

/** Runs the docker client against `d`; stdout as bytes, since cp and export write tars there. */
async function docker (d: Daemon, args: string[], input?: Buffer | string) {
  const r = await execa(DOCKER, args, {
    env: dockerEnv(d),
    input: input ?? '', reject: false, timeout: 60_000, killSignal: 'SIGKILL', encoding: 'buffer', stripFinalNewline: false
  })
  return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout as Uint8Array), text: Buffer.from(r.stdout as Uint8Array).toString().trim(), stderr: Buffer.from(r.stderr as Uint8Array).toString() }
}



/** The entries of a tar: name → header and body text. */
async function readTar (bytes: Buffer): Promise<Map<string, { header: tar.Header, body: string }>> {
  const out = new Map<string, { header: tar.Header, body: string }>()
  const extract = tar.extract()
  Readable.from([bytes]).pipe(extract as unknown as NodeJS.WritableStream)
  for await (const entry of extract) {
    const chunks: Buffer[] = []
    for await (const c of entry) chunks.push(c as Buffer)
    out.set(entry.header.name, { header: entry.header, body: Buffer.concat(chunks).toString() })
  }
  return out
}

/** The busybox rootfs as an image named `name` (docker import), with CMD sh. */
async function importBusybox (d: Daemon, name: string): Promise<void> {
  const rootfs = Buffer.from((await execa('tar', ['-C', ROOTFS, '-cf', '-', '.'], { encoding: 'buffer', stripFinalNewline: false })).stdout)
  const r = await d.req('POST', `/images/create?fromSrc=-&repo=${name}&changes=${encodeURIComponent('CMD ["sh"]')}`, rootfs, { 'content-type': 'application/x-tar' })
  if (r.status !== 200) throw new Error(`import failed: ${r.status} ${r.raw.toString()}`)
}

/** Creates (and with `start`, starts) a container of `image` through the API; returns its id. */
async function container (d: Daemon, image: string, cmd: string[], extra: Record<string, unknown> = {}, start = true): Promise<string> {
  const c = await d.req('POST', '/containers/create', { Image: image, Cmd: cmd, ...extra })
  if (c.status !== 201) throw new Error(`create failed: ${c.status} ${JSON.stringify(c.body)}`)
  if (start) {
    const s = await d.req('POST', `/containers/${c.body.Id as string}/start`)
    if (s.status !== 204) throw new Error(`start failed: ${s.status} ${JSON.stringify(s.body)}`)
  }
  return c.body.Id as string
}

/** Runs `sh -c script` in a running container; returns its stdout. */
async function sh (d: Daemon, id: string, script: string): Promise<string> {
  const r = await docker(d, ['exec', id, 'sh', '-c', script])
  if (r.exitCode !== 0) throw new Error(`exec ${script} failed: ${r.stderr}`)
  return r.stdout.toString()
}

/** The decoded X-Docker-Container-Path-Stat header of a response. */
const statOf = (headers: Record<string, unknown>): any => JSON.parse(Buffer.from(String(headers['x-docker-container-path-stat']), 'base64').toString())

const MODE_DIR = 2 ** 31
const MODE_SYMLINK = 2 ** 27
const MODE_STICKY = 2 ** 20

dockerTest(t, 'docker CLI: cp both ways, into stopped containers, export', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const run = await docker(d, ['run', '-d', '--name', 'box', 'bb', 'sleep', '1000'])
  t.equal(run.exitCode, 0, run.stderr)
  const id = run.text

  const hostname = await docker(d, ['cp', 'box:/etc/hostname', '-'])
  t.equal(hostname.exitCode, 0, hostname.stderr)
  const entries = await readTar(hostname.stdout)
  t.same([...entries.keys()], ['hostname'], 'one entry, named after the path')
  t.equal(entries.get('hostname')!.body, `${id.slice(0, 12)}\n`, 'the container\'s /etc/hostname (a bind mount), as the container sees it')

  const local = join(d.dir, 'localdir')
  await mkdir(join(local, 'sub'), { recursive: true })
  await writeFile(join(local, 'a.txt'), 'alpha\n')
  await writeFile(join(local, 'sub', 'b.txt'), 'beta\n')
  const cpIn = await docker(d, ['cp', local, 'box:/tmp/'])
  t.equal(cpIn.exitCode, 0, cpIn.stderr)
  t.equal(await sh(d, 'box', 'cat /tmp/localdir/a.txt /tmp/localdir/sub/b.txt'), 'alpha\nbeta\n', 'a local dir copied into a running container')

  await sh(d, 'box', 'mkdir -p /tmp/dir/sub && echo one > /tmp/dir/one && echo two > /tmp/dir/sub/two && ln -s one /tmp/dir/link')
  const out = join(d.dir, 'out')
  const cpOut = await docker(d, ['cp', 'box:/tmp/dir', out])
  t.equal(cpOut.exitCode, 0, cpOut.stderr)
  t.equal(await readFile(join(out, 'one'), 'utf8'), 'one\n', 'a dir copied out to a new local name')
  t.equal(await readFile(join(out, 'sub', 'two'), 'utf8'), 'two\n')
  t.equal(await readlink(join(out, 'link')), 'one', 'symlinks stay symlinks')

  const contents = join(d.dir, 'contents')
  await mkdir(contents)
  t.equal((await docker(d, ['cp', 'box:/tmp/dir/.', contents])).exitCode, 0)
  t.equal(await readFile(join(contents, 'one'), 'utf8'), 'one\n', 'dir/. copies the dir\'s contents')

  const missing = await docker(d, ['cp', 'box:/no/such/file', '-'])
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, /Could not find the file \/no\/such\/file in container box/)

  // Exited: the rootfs stays mounted until the container is removed.
  t.equal((await docker(d, ['stop', '-t', '0', 'box'])).exitCode, 0)
  await writeFile(join(d.dir, 'late.txt'), 'after stop\n')
  const toStopped = await docker(d, ['cp', join(d.dir, 'late.txt'), 'box:/tmp/late.txt'])
  t.equal(toStopped.exitCode, 0, toStopped.stderr)
  const back = await docker(d, ['cp', 'box:/tmp/late.txt', '-'])
  t.equal(back.exitCode, 0, back.stderr)
  t.equal((await readTar(back.stdout)).get('late.txt')?.body, 'after stop\n', 'cp both ways with an exited container')

  // Never started: the file is there when it first runs.
  const created = await docker(d, ['create', '--name', 'fresh', 'bb', 'cat', '/copied.txt'])
  t.equal(created.exitCode, 0, created.stderr)
  await writeFile(join(d.dir, 'copied.txt'), 'copied before start\n')
  t.equal((await docker(d, ['cp', join(d.dir, 'copied.txt'), 'fresh:/copied.txt'])).exitCode, 0)
  const started = await docker(d, ['start', '-a', 'fresh'])
  t.equal(started.exitCode, 0, started.stderr)
  t.equal(started.text, 'copied before start')

  const exported = await docker(d, ['export', 'box'])
  t.equal(exported.exitCode, 0, exported.stderr)
  const all = await readTar(exported.stdout)
  t.ok(all.has('bin/busybox'), 'export holds the image\'s files')
  t.equal(all.get('bin/busybox')!.header.size, (await lstat(join(ROOTFS, 'bin/busybox'))).size)
  t.equal(all.get('tmp/dir/one')?.body, 'one\n', 'and the container\'s')
  t.equal(all.get('tmp/dir/link')?.header.linkname, 'one')
  t.notOk([...all.keys()].some(n => n.startsWith('/') || n.startsWith('..')), 'names relative to the root')
})

dockerTest(t, 'docker CLI: commit writes and deletions into an image that runs', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const work = await docker(d, ['run', '--name', 'work', 'bb', 'sh', '-c',
    'echo committed > /new && rm /linuxrc && rm -r /root && rm -r /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only'])
  t.equal(work.exitCode, 0, work.stderr)

  const commit = await docker(d, ['commit', '--change', 'CMD ["cat","/new"]', '-m', 'a test commit', '-a', 'tester', 'work', 'snap:v1'])
  t.equal(commit.exitCode, 0, commit.stderr)
  t.match(commit.text, /^sha256:[0-9a-f]{64}$/)

  const ran = await docker(d, ['run', '--rm', 'snap:v1'])
  t.equal(ran.exitCode, 0, ran.stderr)
  t.equal(ran.text, 'committed', 'the committed CMD reads the committed file')
  const gone = await docker(d, ['run', '--rm', 'snap:v1', 'sh', '-c', 'ls /linuxrc; ls -d /root; ls /usr/sbin; ls /bin/busybox'])
  t.match(gone.stderr, /linuxrc: No such file/, 'a deleted file stays deleted')
  t.match(gone.stderr, /root: No such file/, 'a deleted dir stays deleted')
  t.equal(gone.text, 'only\n/bin/busybox', 'a dir removed and made again hides the image\'s files (opaque)')

  const ins = JSON.parse((await docker(d, ['image', 'inspect', 'snap:v1'])).text)[0]
  t.same(ins.Config.Cmd, ['cat', '/new'])
  t.equal(ins.RootFS.Layers.length, 2, 'one new layer over the image\'s')
  t.equal(ins.Comment, 'a test commit')
  t.equal(ins.Author, 'tester')
  const workId = (await d.req('GET', '/containers/work/json')).body.Id
  t.equal(ins.Container, workId)
  const hist = await docker(d, ['history', 'snap:v1'])
  t.match(hist.text, /a test commit/)

  const ev = await d.req('GET', `/events?since=0&until=${Date.now() / 1000}&filters=${encodeURIComponent('{"event":["commit"]}')}`)
  const events = ev.raw.toString().trim().split('\n').map(l => JSON.parse(l))
  t.equal(events.length, 1)
  t.match(events[0], { Type: 'container', Action: 'commit', Actor: { ID: workId, Attributes: { imageID: ins.Id, imageRef: 'snap:v1', comment: 'a test commit' } } })

  const unknown = await docker(d, ['commit', 'nosuch', 'x'])
  t.not(unknown.exitCode, 0)
  t.match(unknown.stderr, /No such container: nosuch/)
})

t.test('API: stat header, archive round trip, refusals and escapes', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const id = await container(d, 'bb', ['sleep', '1000'])

  const head = await d.req('HEAD', `/containers/${id}/archive?path=/etc/passwd`)
  t.equal(head.status, 200)
  t.equal(head.raw.length, 0)
  const st = statOf(head.headers)
  t.match(st, { name: 'passwd', size: PASSWD.length, mode: 0o644, linkTarget: '' })
  t.match(st.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/)
  const tmp = statOf((await d.req('HEAD', `/containers/${id}/archive?path=/tmp/`)).headers)
  t.equal(tmp.name, 'tmp')
  t.equal(tmp.mode, MODE_DIR + MODE_STICKY + 0o777, 'Go\'s os.FileMode: dir and sticky bits, permissions')
  const root = statOf((await d.req('HEAD', `/containers/${id}/archive?path=/`)).headers)
  t.equal(root.name, '/')
  const link = statOf((await d.req('HEAD', `/containers/${id}/archive?path=/bin/sh`)).headers)
  t.equal(link.mode, MODE_SYMLINK + 0o777)
  t.equal(link.linkTarget, '/bin/busybox')

  const missing = await d.req('HEAD', `/containers/${id}/archive?path=/nope`)
  t.equal(missing.status, 404)
  const missingGet = await d.req('GET', `/containers/${id}/archive?path=/nope`)
  t.equal(missingGet.status, 404)
  t.equal(missingGet.body.message, `Could not find the file /nope in container ${id}`)
  t.equal((await d.req('GET', '/containers/nosuch/archive?path=/')).body.message, 'No such container: nosuch')
  t.equal((await d.req('GET', `/containers/${id}/archive`)).status, 400, 'path is required')

  // Round trip: a dir with a file, a symlink and a hard link goes in and comes back out.
  const up = await d.req('PUT', `/containers/${id}/archive?path=/tmp`, await makeTar([
    { name: 'rt/', type: 'directory', mode: 0o750 },
    { name: 'rt/file', body: 'content', mode: 0o640, uid: 1234, gid: 5678 },
    { name: 'rt/link', type: 'symlink', linkname: 'file' },
    { name: 'rt/hard', type: 'link', linkname: 'rt/file' }
  ]), { 'content-type': 'application/x-tar' })
  t.equal(up.status, 200, up.raw.toString())
  t.equal(up.raw.length, 0)
  const down = await d.req('GET', `/containers/${id}/archive?path=/tmp/rt`)
  t.equal(down.status, 200)
  t.equal(down.headers['content-type'], 'application/x-tar')
  t.equal(statOf(down.headers).mode, MODE_DIR + 0o750)
  const rt = await readTar(down.raw)
  t.same([...rt.keys()], ['rt/', 'rt/file', 'rt/hard', 'rt/link'])
  t.match(rt.get('rt/file')!.header, { mode: 0o640, uid: 1234, gid: 5678, size: 7 })
  t.equal(rt.get('rt/file')!.body, 'content')
  t.match(rt.get('rt/hard')!.header, { type: 'link', linkname: 'rt/file' })
  t.match(rt.get('rt/link')!.header, { type: 'symlink', linkname: 'file' })
  t.equal(await sh(d, id, 'stat -c %u:%g /tmp/rt/file'), '1234:5678\n', 'the archive\'s owner without copyUIDGID')

  t.test('symlinks in the container resolve inside its rootfs', async t => {
    await sh(d, id, 'ln -s /../../../.. /tmp/up && ln -s / /tmp/rootlink')
    const up = statOf((await d.req('HEAD', `/containers/${id}/archive?path=/tmp/up`)).headers)
    t.equal(up.linkTarget, '/', 'a link above the root resolves to the root')
    const through = await d.req('GET', `/containers/${id}/archive?path=/tmp/up/../../etc/passwd`)
    t.equal(through.status, 200)
    t.equal((await readTar(through.raw)).get('passwd')?.body, PASSWD, 'the container\'s passwd, not the host\'s')
    const viaRoot = await d.req('GET', `/containers/${id}/archive?path=/tmp/rootlink/etc/passwd`)
    t.equal((await readTar(viaRoot.raw)).get('passwd')?.body, PASSWD)
    const name = `escape-${randomBytes(6).toString('hex')}`
    const put = await d.req('PUT', `/containers/${id}/archive?path=/tmp/up/tmp`, await makeTar([{ name, body: 'x' }]))
    t.equal(put.status, 200, put.raw.toString())
    t.equal(await sh(d, id, `cat /tmp/${name}`), 'x', 'written through the link, inside the container')
    t.notOk(existsSync(`/tmp/${name}`) || existsSync(`/${name}`), 'nothing on the host')
  })

  t.test('tar entries that would leave the dir are refused', async t => {
    const name = `escape-${randomBytes(6).toString('hex')}`
    const cases: Array<[string, TarEntry[], RegExp]> = [
      ['dot-dot', [{ name: `../${name}`, body: 'x' }], /escapes the destination/],
      ['dot-dot inside', [{ name: `a/../../${name}`, body: 'x' }], /escapes the destination/],
      ['absolute', [{ name: `/tmp/${name}`, body: 'x' }], /is absolute/],
      ['through a symlink', [{ name: 'evil', type: 'symlink', linkname: '/' }, { name: `evil/${name}`, body: 'x' }], /through evil, which is not a directory/],
      ['hard link out', [{ name: 'h', type: 'link', linkname: `../${name}` }], /escapes the destination/]
    ]
    for (const [what, entries, re] of cases) {
      const r = await d.req('PUT', `/containers/${id}/archive?path=/tmp`, await makeTar(entries))
      t.equal(r.status, 400, what)
      t.match(r.body.message, re, what)
    }
    t.equal(await sh(d, id, `ls / /tmp | grep -c ${name} || true`), '0\n', 'nothing written in the container')
    t.notOk(existsSync(`/tmp/${name}`) || existsSync(`/${name}`), 'nothing on the host')
  })

  t.test('PUT refusals: not a dir, missing, dir over file, bad archive', async t => {
    const file = await d.req('PUT', `/containers/${id}/archive?path=/etc/passwd`, await makeTar([{ name: 'x', body: 'x' }]))
    t.equal(file.status, 400)
    t.match(file.body.message, /not a directory/)
    const gone = await d.req('PUT', `/containers/${id}/archive?path=/no/such/dir`, await makeTar([{ name: 'x', body: 'x' }]))
    t.equal(gone.status, 404)
    t.equal(gone.body.message, `Could not find the file /no/such/dir in container ${id}`)
    const over = await d.req('PUT', `/containers/${id}/archive?path=/&noOverwriteDirNonDir=1`, await makeTar([{ name: 'tmp', body: 'x' }]))
    t.equal(over.status, 400)
    t.match(over.body.message, /cannot overwrite directory tmp with non-directory/)
    const garbage = await d.req('PUT', `/containers/${id}/archive?path=/tmp`, Buffer.from('not a tar'.repeat(200)))
    t.equal(garbage.status, 400)
    t.match(garbage.body.message, /invalid tar archive/)
    t.equal(await sh(d, id, 'cat /etc/passwd'), PASSWD, 'nothing replaced')
  })

  t.test('copyUIDGID: owned by the container\'s user', async t => {
    const nobody = await container(d, 'bb', ['sleep', '1000'], { User: 'nobody' })
    const r = await d.req('PUT', `/containers/${nobody}/archive?path=/tmp&copyUIDGID=1`, await makeTar([{ name: 'owned', body: 'x', uid: 1234, gid: 5678 }]))
    t.equal(r.status, 200, r.raw.toString())
    t.equal(await sh(d, nobody, 'stat -c %u:%g /tmp/owned'), '65534:65534\n')
  })

  t.test('read-only roots: ReadonlyRootfs and bundles get 403; reading works', async t => {
    const ro = await container(d, 'bb', ['sleep', '1000'], { HostConfig: { ReadonlyRootfs: true } })
    const r = await d.req('PUT', `/containers/${ro}/archive?path=/tmp`, await makeTar([{ name: 'x', body: 'x' }]))
    t.equal(r.status, 403)
    t.equal(r.body.message, 'container rootfs is marked read-only')
    const bundle = await createContainer(d, ['true'])
    const b = await d.req('PUT', `/containers/${bundle}/archive?path=/tmp`, await makeTar([{ name: 'x', body: 'x' }]))
    t.equal(b.status, 403)
    t.match(b.body.message, /OCI bundle/)
    const read = await d.req('GET', `/containers/${bundle}/archive?path=/etc/passwd`)
    t.equal(read.status, 200)
    t.equal((await readTar(read.raw)).get('passwd')?.body, PASSWD)
    const commit = await d.req('POST', `/commit?container=${bundle}`)
    t.equal(commit.status, 400)
    t.match(commit.body.message, /OCI bundle/)
  })

  t.test('bind mounts: cp sees and writes the host dir; read-only binds refuse', async t => {
    const vol = join(d.dir, 'vol')
    const roVol = join(d.dir, 'rovol')
    await mkdir(vol); await mkdir(roVol)
    await writeFile(join(vol, 'from-host'), 'host\n')
    const b = await container(d, 'bb', ['sleep', '1000'], { HostConfig: { Binds: [`${vol}:/data`, `${roVol}:/ro:ro`] } })
    const got = await d.req('GET', `/containers/${b}/archive?path=/data/from-host`)
    t.equal((await readTar(got.raw)).get('from-host')?.body, 'host\n')
    const put = await d.req('PUT', `/containers/${b}/archive?path=/data`, await makeTar([{ name: 'from-cp', body: 'cp\n' }]))
    t.equal(put.status, 200, put.raw.toString())
    t.equal(await readFile(join(vol, 'from-cp'), 'utf8'), 'cp\n')
    const ro = await d.req('PUT', `/containers/${b}/archive?path=/ro`, await makeTar([{ name: 'x', body: 'x' }]))
    t.equal(ro.status, 403)
    t.equal(existsSync(join(roVol, 'x')), false)
    const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(vol))
    t.same(mounts, [], 'the binds cp made stayed in its own mount namespace')
  })
})

t.test('API: commit options, export of a bundle container', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const id = await container(d, 'bb', ['sleep', '1000'], { Env: ['FROM_CREATE=1'], Labels: { a: '1' } })
  t.equal((await d.req('POST', '/commit?container=nosuch')).status, 404)
  t.equal((await d.req('POST', `/commit?container=${id}&repo=Bad`)).status, 400)
  t.equal((await d.req('POST', `/commit?container=${id}&changes=RUN%20x`)).status, 400)

  // Nothing changed: no new layer, one more history entry.
  const same = await d.req('POST', `/commit?container=${id}&repo=same`)
  t.equal(same.status, 201, JSON.stringify(same.body))
  const base = (await d.req('GET', '/images/bb/json')).body
  const sameIns = (await d.req('GET', '/images/same/json')).body
  t.same(sameIns.RootFS.Layers, base.RootFS.Layers)
  t.equal((await d.req('GET', '/images/same/history')).body.length, 2)
  t.same(sameIns.Config.Env, ['FROM_CREATE=1'])
  t.same(sameIns.Config.Labels, { a: '1' })
  t.same(sameIns.Config.Cmd, ['sleep', '1000'])

  // A body config replaces the container's; its gaps come from the container's.
  await sh(d, id, 'echo x > /x')
  const body = await d.req('POST', `/commit?container=${id}&repo=withbody&tag=t1&pause=1&changes=${encodeURIComponent('ENV B=2\nWORKDIR /tmp')}`, { Cmd: ['ls'], Env: ['A=1'], Labels: null })
  t.equal(body.status, 201, JSON.stringify(body.body))
  t.match(body.body.Id, /^sha256:[0-9a-f]{64}$/)
  const ins = (await d.req('GET', '/images/withbody:t1/json')).body
  t.same(ins.Config.Cmd, ['ls'])
  t.same(ins.Config.Env, ['A=1', 'B=2', 'FROM_CREATE=1'])
  t.equal(ins.Config.WorkingDir, '/tmp')
  t.same(ins.Config.Labels, { a: '1' })
  t.equal(ins.RootFS.Layers.length, 2)
  const state = (await d.req('GET', `/containers/${id}/json`)).body.State
  t.match(state, { Running: true, Paused: false }, 'thawed after the commit')

  const bundle = await createContainer(d, ['true'])
  const exp = await d.req('GET', `/containers/${bundle}/export`)
  t.equal(exp.status, 200)
  t.ok((await readTar(exp.raw)).has('bin/busybox'))
  t.equal((await d.req('GET', '/containers/nosuch/export')).status, 404)
})
