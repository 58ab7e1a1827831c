/**
 * Hostile images and containers: an image's or a running container's own
 * files must never make berthd read, create or wait on anything of the
 * host's. Images with a symlinked, FIFO, device or huge /etc/passwd and
 * /etc/group, and with a working dir behind a symlink to a host dir, are run
 * and exec'd with a user and a working dir: nothing on the host changes, each
 * gets a clear 4xx (or runs inside its own root, as Docker's
 * FollowSymlinkInScope would have it), and the daemon keeps serving others.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deframe } from '../src/logs/logs.js'
import { makeTar, rootfsTar, saveArchive, startDaemon, until, type Daemon, type TarEntry } from './helpers.js'

/** Loads an image of the busybox rootfs with `entries` as a layer on top. */
async function hostileImage (d: Daemon, tag: string, entries: TarEntry[], config: Record<string, unknown> = { Cmd: ['sh'] }): Promise<void> {
  const { archive } = await saveArchive([await rootfsTar(), await makeTar(entries)], tag, config)
  const r = await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })
  if (r.status !== 200 || r.raw.includes('"errorDetail"')) throw new Error(`load ${tag}: ${r.status} ${r.raw.toString()}`)
}

/** Creates a container of `image`; the response as it came. */
const create = (d: Daemon, image: string, extra: Record<string, unknown> = {}) =>
  d.req('POST', '/containers/create', { Image: image, Cmd: ['sh', '-c', 'id -u; pwd'], ...extra })

/** Runs a container of `image` to its end and gives its stdout. */
async function runOut (d: Daemon, image: string, extra: Record<string, unknown> = {}): Promise<{ code: number, out: string }> {
  const c = await create(d, image, extra)
  if (c.status !== 201) throw new Error(`create: ${c.status} ${c.raw.toString()}`)
  const id = c.body.Id as string
  const start = await d.req('POST', `/containers/${id}/start`)
  if (start.status !== 204) throw new Error(`start: ${start.status} ${start.raw.toString()}`)
  const w = await d.req('POST', `/containers/${id}/wait`)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1`)
  await d.req('DELETE', `/containers/${id}?force=1`)
  return { code: w.body.StatusCode, out: Buffer.concat(deframe(logs.raw).map(f => f.data)).toString() }
}

/** Runs `cmd` in the running container `id` (detached) and waits for its end. */
async function execIn (d: Daemon, id: string, cmd: string): Promise<void> {
  const c = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', cmd] })
  if (c.status !== 201) throw new Error(`exec: ${c.status} ${c.raw.toString()}`)
  await d.req('POST', `/exec/${c.body.Id}/start`, { Detach: true })
  await until(async () => (await d.req('GET', `/exec/${c.body.Id}/json`)).body.Running === false, 10_000, 'exec to end')
  const ins = await d.req('GET', `/exec/${c.body.Id}/json`)
  if (ins.body.ExitCode !== 0) throw new Error(`exec ${cmd}: exit ${ins.body.ExitCode}`)
}

/** Every name under `dir`, recursively. */
async function tree (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    out.push(join(dir, e.name))
    if (e.isDirectory()) out.push(...await tree(join(dir, e.name)))
  }
  return out
}

t.test('hostile images and containers', async t => {
  const d = await startDaemon(t)
  // The host's side: a passwd with a user no container has, and a dir a symlink points at.
  const host = join(d.dir, 'host')
  await mkdir(join(host, 'dir'), { recursive: true })
  await writeFile(join(host, 'dir', 'host-only'), 'the host\'s\n')
  await writeFile(join(host, 'target'), 'the host\'s file\n')
  await writeFile(join(host, 'passwd'), 'evil:x:4242:4242::/:/bin/sh\n')
  await writeFile(join(host, 'group'), 'evilgroup:x:4343:evil\n')
  const hostBefore = await tree(host)

  await hostileImage(d, 'ok', [])
  await hostileImage(d, 'linked', [
    { name: 'etc/passwd', type: 'symlink', linkname: join(host, 'passwd') },
    { name: 'etc/group', type: 'symlink', linkname: join(host, 'group') }
  ])
  await hostileImage(d, 'fifo', [{ name: 'etc/passwd', type: 'fifo' }, { name: 'etc/group', type: 'fifo' }])
  await hostileImage(d, 'zero', [
    { name: 'dev/', type: 'directory' },
    { name: 'dev/zero', type: 'character-device', devmajor: 1, devminor: 5, mode: 0o666 },
    { name: 'etc/passwd', type: 'symlink', linkname: '/dev/zero' }
  ])
  await hostileImage(d, 'glinked', [{ name: 'etc/group', type: 'symlink', linkname: join(host, 'group') }])
  await hostileImage(d, 'gfifo', [{ name: 'etc/group', type: 'fifo' }])
  await hostileImage(d, 'gzero', [
    { name: 'dev/', type: 'directory' },
    { name: 'dev/zero', type: 'character-device', devmajor: 1, devminor: 5, mode: 0o666 },
    { name: 'etc/group', type: 'symlink', linkname: '/dev/zero' }
  ])
  await hostileImage(d, 'ghuge', [{ name: 'etc/group', body: Buffer.alloc(5 * 1024 * 1024, 'g:x:1:\n') }])
  // The image's /data leads, inside its own root, to a dir at the host dir's path with its own file.
  await hostileImage(d, 'volume-linked', [
    { name: 'data', type: 'symlink', linkname: join(host, 'dir') },
    { name: `${join(host, 'dir').slice(1)}/`, type: 'directory' },
    { name: `${join(host, 'dir').slice(1)}/inside`, body: 'the image\'s\n' }
  ])
  await hostileImage(d, 'seeded', [{ name: 'seed/', type: 'directory' }, ...['a', 'b', 'c'].map(n => ({ name: `seed/${n}`, body: `${n} from the image\n` }))])
  await hostileImage(d, 'huge', [{ name: 'etc/passwd', body: Buffer.alloc(5 * 1024 * 1024, 'a:x:1:1::/:/bin/sh\n') }])
  await hostileImage(d, 'volume', [{ name: 'data', type: 'symlink', linkname: join(host, 'dir') }])
  await hostileImage(d, 'workdir', [{ name: 'w', type: 'symlink', linkname: join(host, 'dir') }], { Cmd: ['sh', '-c', 'pwd'], WorkingDir: '/w/x' })

  t.test('a passwd or group that is a symlink to a host file is read inside the container', async t => {
    const byName = await create(d, 'linked', { User: 'evil' })
    t.equal(byName.status, 400)
    t.match(byName.body.message, /unable to find user evil: no matching entries in passwd file/)
    const byGroup = await create(d, 'linked', { User: '0:evilgroup' })
    t.equal(byGroup.status, 400)
    t.match(byGroup.body.message, /unable to find group evilgroup/)
    // Numeric ids need no entry, so the image still runs, as uid 0.
    const r = await runOut(d, 'linked', { User: '0' })
    t.equal(r.out.split('\n')[0], '0')
  })

  t.test('a running container that swaps its passwd for a symlink to the host\'s gets no host user on exec', async t => {
    const c = await create(d, 'ok', { Cmd: ['sleep', '300'] })
    const id = c.body.Id as string
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    // Before the swap the container's own root user resolves.
    t.equal((await d.req('POST', `/containers/${id}/exec`, { Cmd: ['true'], User: 'root' })).status, 201)
    await execIn(d, id, `ln -sf ${join(host, 'passwd')} /etc/passwd`)
    const evil = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['id'], User: 'evil' })
    t.equal(evil.status, 400)
    t.match(evil.body.message, /unable to find user evil/)
    // The host's /etc/shadow parsed as a passwd would give root a uid from its "last changed" field.
    await execIn(d, id, 'ln -sf /etc/shadow /etc/passwd')
    const shadow = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['id'], User: 'root' })
    t.equal(shadow.status, 400)
    t.match(shadow.body.message, /unable to find user root: no matching entries in passwd file/)
    // A FIFO swapped in does not wedge the daemon either.
    await execIn(d, id, 'rm /etc/passwd && mkfifo /etc/passwd')
    const fifo = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['id'], User: 'root' })
    t.equal(fifo.status, 400)
    t.match(fifo.body.message, /\/etc\/passwd in the container is not a regular file/)
  })

  t.test('a FIFO passwd never blocks: more such creates than libuv has threads, and others still run', async t => {
    const hostile = await Promise.all(Array.from({ length: 6 }, () => create(d, 'fifo', { User: 'someone' })))
    for (const r of hostile) {
      t.equal(r.status, 400)
      t.match(r.body.message, /unable to find user someone: \/etc\/passwd in the container is not a regular file/)
    }
    const again = await Promise.all(Array.from({ length: 6 }, () => create(d, 'fifo')))
    t.same(again.map(r => r.status), [400, 400, 400, 400, 400, 400], 'the default user reads the files too')
    // Meanwhile the daemon serves creates, runs and logs of other images.
    const r = await runOut(d, 'ok', { User: 'nobody' })
    t.equal(r.code, 0)
    t.equal(r.out.split('\n')[0], '65534')
  })

  t.test('a passwd that is a device or huge is refused without reading it', async t => {
    const zero = await create(d, 'zero', { User: 'x' })
    t.equal(zero.status, 400)
    t.match(zero.body.message, /\/etc\/passwd in the container is not a regular file/)
    const huge = await create(d, 'huge', { User: 'x' })
    t.equal(huge.status, 400)
    t.match(huge.body.message, /unable to find user x: \/etc\/passwd in the container is larger than 4 MiB/)
    t.equal((await d.req('GET', '/_ping')).status, 200)
  })

  t.test('a working dir behind a symlink to a host dir is made inside the container', async t => {
    const image = await runOut(d, 'workdir')
    t.equal(image.code, 0)
    // The process starts in the symlink's target as the container sees it: a dir in its own root.
    t.equal(image.out, `0\n${join(host, 'dir', 'x')}\n`, 'the image\'s WORKDIR, made inside its own root')
    const asked = await runOut(d, 'workdir', { WorkingDir: '/w/a/b/c' })
    t.equal(asked.code, 0)
    t.equal(asked.out, `0\n${join(host, 'dir', 'a', 'b', 'c')}\n`)
    t.same(await tree(host), hostBefore, 'nothing was made on the host')
    t.notOk(existsSync(join(host, 'dir', 'x')))
  })

  t.test('a bind whose target is a symlink to a host dir is mounted inside the container, and docker cp follows it there', async t => {
    const src = join(d.dir, 'bind-src')
    await mkdir(src)
    await writeFile(join(src, 'seen'), 'from the bind\n')
    const r = await runOut(d, 'volume', { Cmd: ['sh', '-c', 'cat /data/seen'], HostConfig: { Binds: [`${src}:/data`] } })
    t.equal(r.code, 0)
    t.equal(r.out, 'from the bind\n')
    const c = await create(d, 'volume', { Cmd: ['sleep', '300'], HostConfig: { Binds: [`${src}:/data`] } })
    const id = c.body.Id as string
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const put = await d.req('PUT', `/containers/${id}/archive?path=/data`, await makeTar([{ name: 'copied', body: 'in\n' }]), { 'content-type': 'application/x-tar' })
    t.equal(put.status, 200)
    t.ok(existsSync(join(src, 'copied')), 'docker cp wrote into the bind source, as Docker does')
    t.same(await tree(host), hostBefore, 'and nothing into the host dir the symlink names')
    const mounts = await readFile('/proc/self/mountinfo', 'utf8')
    t.notOk(mounts.includes(join(host, 'dir')), 'no mount on the host dir')
  })

  t.test('a group that is a FIFO, a device, huge or a symlink to the host\'s, with a sane passwd, is refused as the group file', async t => {
    for (const image of ['gfifo', 'gzero']) {
      const r = await create(d, image, { User: 'root' })
      t.equal(r.status, 400, `${image}: status`)
      t.match(r.body.message, /unable to find user root: \/etc\/group in the container is not a regular file/, `${image}: message`)
    }
    const huge = await create(d, 'ghuge', { User: 'root' })
    t.equal(huge.status, 400)
    t.match(huge.body.message, /unable to find user root: \/etc\/group in the container is larger than 4 MiB/)
    const linked = await create(d, 'glinked', { User: 'root:evilgroup' })
    t.equal(linked.status, 400)
    t.match(linked.body.message, /unable to find group evilgroup: no matching entries in group file/)
    // The passwd is the image's own: its users resolve.
    t.equal((await runOut(d, 'glinked', { User: 'nobody' })).out.split('\n')[0], '65534')
    t.equal((await d.req('GET', '/_ping')).status, 200)
  })

  t.test('an exec working dir behind a symlink to a host dir is the container\'s own dir', async t => {
    const c = await create(d, 'workdir', { Cmd: ['sleep', '300'] })
    const id = c.body.Id as string
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const exec = async (WorkingDir: string): Promise<{ code: number, out: string }> => {
      const e = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'pwd; ls -A'], WorkingDir, AttachStdout: true, AttachStderr: true })
      t.equal(e.status, 201)
      const r = await d.req('POST', `/exec/${e.body.Id}/start`, { Detach: false })
      const ins = await d.req('GET', `/exec/${e.body.Id}/json`)
      return { code: ins.body.ExitCode, out: Buffer.concat(deframe(r.raw).map(f => f.data)).toString() }
    }
    // The image's WORKDIR /w/x was made inside the container, where /w leads.
    const w = await exec('/w')
    t.equal(w.code, 0)
    t.equal(w.out, `${join(host, 'dir')}\nx\n`, 'the container\'s own dir, not the host\'s (which holds host-only)')
    const deeper = await exec('/w/made/by/exec')
    // runc and crun may or may not make a missing exec cwd; if one does, it is inside the container.
    if (deeper.code === 0) t.equal(deeper.out, `${join(host, 'dir', 'made', 'by', 'exec')}\n`)
    t.notOk(existsSync(join(host, 'dir', 'made')))
    t.same(await tree(host), hostBefore, 'nothing made on the host')
  })

  t.test('a named volume whose image path is a symlink to a host dir gets the image\'s content from inside its root', async t => {
    const r = await runOut(d, 'volume-linked', { Cmd: ['sh', '-c', 'ls -A /data; cat /data/inside'], HostConfig: { Binds: ['linkedvol:/data'] } })
    t.equal(r.code, 0)
    t.equal(r.out, 'inside\nthe image\'s\n', 'the copy-up came from the image\'s dir, not the host\'s')
    const v = await d.req('GET', '/volumes/linkedvol')
    t.strictSame((await readdir(v.body.Mountpoint)).sort(), ['inside'])
    t.same(await tree(host), hostBefore, 'the host dir is as it was')
    t.equal((await d.req('DELETE', '/volumes/linkedvol')).status, 204)
  })

  t.test('a running container planting symlinks in a shared empty volume never gets a copy-up written through them', async t => {
    const target = join(host, 'target')
    t.equal((await d.req('POST', '/volumes/create', { Name: 'shared' })).status, 201)
    // The planter holds the volume at a path its image has nothing at, so its own create copies nothing.
    const p = await create(d, 'ok', {
      Cmd: ['sh', '-c', `while :; do for n in a b c; do ln -sf ${target} /v/$n; done; rm -f /v/a /v/b /v/c; done`],
      HostConfig: { Binds: ['shared:/v'] }
    })
    const planter = p.body.Id as string
    t.teardown(async () => {
      await d.req('DELETE', `/containers/${planter}?force=1`)
      await d.req('DELETE', '/volumes/shared')
    })
    t.equal((await d.req('POST', `/containers/${planter}/start`)).status, 204)
    const data = (await d.req('GET', '/volumes/shared')).body.Mountpoint as string
    for (let i = 0; i < 30; i++) {
      const c = await create(d, 'seeded', { Cmd: ['true'], HostConfig: { Binds: ['shared:/seed'] } })
      t.equal(c.status, 201, `create ${i}`)
      await d.req('DELETE', `/containers/${c.body.Id}?force=1`)
      if (await readFile(target, 'utf8') !== 'the host\'s file\n') break
    }
    t.equal(await readFile(target, 'utf8'), 'the host\'s file\n', 'the host file was never written')
    t.same((await readdir(join(data, '..'))).sort(), ['_data', 'volume.json'], 'no staging dir is left')
    // Without the planter, the copy-up fills the empty volume.
    await d.req('DELETE', `/containers/${planter}?force=1`)
    for (const n of await readdir(data)) await rm(join(data, n), { force: true })
    const r = await runOut(d, 'seeded', { Cmd: ['sh', '-c', 'cat /seed/a /seed/b /seed/c'], HostConfig: { Binds: ['shared:/seed'] } })
    t.equal(r.out, 'a from the image\nb from the image\nc from the image\n')
  })

  t.test('the copy-up into a volume that is its own mount (DriverOpts tmpfs) works too', async t => {
    t.equal((await d.req('POST', '/volumes/create', { Name: 'tmpvol', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } })).status, 201)
    t.teardown(() => d.req('DELETE', '/volumes/tmpvol'))
    const r = await runOut(d, 'seeded', { Cmd: ['sh', '-c', 'ls -A /seed; cat /seed/a'], HostConfig: { Binds: ['tmpvol:/seed'] } })
    t.equal(r.code, 0)
    t.equal(r.out, 'a\nb\nc\na from the image\n')
  })

  t.test('a container swapping a dir for a symlink to / never makes its size the host\'s', async t => {
    // 2,000 sibling dirs make a path walker take long between listing /d and opening it, so it meets the swap.
    const c = await create(d, 'ok', { Cmd: ['sh', '-c', 'seq 2000 | sed s,^,/s, | xargs mkdir; mkdir -p /d/e; echo x > /d/e/f; while :; do mv /d /dd; ln -s / /d; rm /d; mv /dd /d; done'] })
    const id = c.body.Id as string
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    await until(async () => (await d.req('GET', `/containers/${id}/json?size=1`)).body.SizeRw > 0, 30_000, 'the dirs to be made')
    let most = 0
    for (let i = 0; i < 30; i++) {
      const started = performance.now()
      const r = await d.req('GET', `/containers/${id}/json?size=1`)
      const took = performance.now() - started
      t.equal(r.status, 200)
      t.ok(took < 15_000, `answered in ${Math.round(took)} ms`)
      most = Math.max(most, r.body.SizeRw as number)
    }
    t.ok(most < 1024 * 1024, `SizeRw stayed small (at most ${most} bytes)`)
  })

  t.test('no container was left and the host is as it was', async t => {
    t.same(await tree(host), hostBefore)
    t.same((await d.req('GET', '/containers/json?all=1')).body, [])
  })
})
