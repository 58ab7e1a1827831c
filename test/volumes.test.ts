/**
 * Volumes through the API (issue 16): the volume routes with Docker's
 * shapes, filters and statuses; containers that mount them by name, by
 * Mounts, anonymously and from another container; the image's content
 * copied into a new volume; rm -v; prune; DriverOpts mounts made at first
 * use and undone after the last; the volume events.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { importBusybox, makeTar, rootfsTar, saveArchive, startDaemon, type Daemon } from './helpers.js'

/** Creates and starts an image container, waits for its end; its exit code and output (a TTY: the log is plain text). */
async function runIn (d: Daemon, body: Record<string, unknown>): Promise<{ id: string, code: number, out: string[] }> {
  const c = await d.req('POST', '/containers/create', { Image: 'vimg', Tty: true, ...body })
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`)
  const id = c.body.Id as string
  const s = await d.req('POST', `/containers/${id}/start`)
  if (s.status !== 204) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`)
  const w = await d.req('POST', `/containers/${id}/wait`)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1`)
  return { id, code: w.body.StatusCode, out: logs.raw.toString().split(/\r?\n/).filter(l => l !== '') }
}

const names = async (d: Daemon, filters?: object): Promise<string[]> => {
  const r = await d.req('GET', `/volumes${filters === undefined ? '' : `?filters=${encodeURIComponent(JSON.stringify(filters))}`}`)
  if (r.status !== 200) throw new Error(`list: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body.Volumes as Array<{ Name: string }>).map(v => v.Name).sort()
}

const mounted = async (path: string): Promise<boolean> => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some(l => l.split(' ')[4] === path)

/** An image with content at /data (a VOLUME) and at /seed (not one), owned by 1000:1000 with mode 0750 at /data. */
async function volumeImage (d: Daemon): Promise<void> {
  const extra = await makeTar([
    { name: 'data', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
    { name: 'data/from-image', body: 'image-data\n' },
    { name: 'seed', type: 'directory' },
    { name: 'seed/s', body: 'seed\n' }
  ])
  const { archive } = await saveArchive([await rootfsTar(), extra], 'vimg:latest', { Cmd: ['sh'], Volumes: { '/data': {} } })
  const r = await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })
  if (r.status !== 200) throw new Error(`load: ${r.status}`)
}

t.test('volume routes', async t => {
  const d = await startDaemon(t)

  t.test('create: Docker\'s shape; a generated 64-hex name; an existing name returns the volume as it is', async t => {
    const r = await d.req('POST', '/volumes/create', { Name: 'v1', Labels: { app: 'shop' } })
    t.equal(r.status, 201)
    t.strictSame(Object.keys(r.body).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope'])
    t.match(r.body, { Name: 'v1', Driver: 'local', Scope: 'local', Labels: { app: 'shop' }, Options: null, Mountpoint: `${d.root}/volumes/v1/_data` })
    t.match(r.body.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const again = await d.req('POST', '/volumes/create', { Name: 'v1', Labels: { other: 'x' } })
    t.equal(again.status, 201)
    t.strictSame(again.body, r.body, 'the existing volume, unchanged')
    const anon = await d.req('POST', '/volumes/create', {})
    t.equal(anon.status, 201)
    t.match(anon.body.Name, /^[0-9a-f]{64}$/)
    t.strictSame((await d.req('GET', '/volumes/v1')).body, r.body, 'inspect gives the same document')
    t.equal((await d.req('DELETE', `/volumes/${anon.body.Name as string}`)).status, 204)
  })

  t.test('bad input: 400 with Docker\'s message, nothing made', async t => {
    for (const [body, message] of [
      [{ Name: '..' }, /"\.\." includes invalid characters for a local volume name/],
      [{ Name: 'a' }, /"a" includes invalid characters/],
      [{ Name: 'x y' }, /invalid characters/],
      [{ Name: 'x'.repeat(256) }, /volume name is too long \(256 characters, at most 255\)/],
      [{ Name: 'v2', Driver: 'nfs' }, /plugin "nfs" not found/],
      [{ Name: 'v2', DriverOpts: { size: '1m' } }, /^invalid option: "size"$/],
      [{ Name: 'v2', DriverOpts: { type: 'tmpfs' } }, /missing required option: "device"/]
    ] as const) {
      const r = await d.req('POST', '/volumes/create', body)
      t.equal(r.status, 400, JSON.stringify(body))
      t.match(r.body.message, message)
    }
    t.notOk((await names(d)).includes('v2'))
    t.equal((await d.req('GET', '/volumes/nope')).status, 404)
    t.equal((await d.req('GET', '/volumes/nope')).body.message, 'get nope: no such volume')
    t.equal((await d.req('GET', '/volumes/..')).status, 404)
    t.equal((await d.req('DELETE', '/volumes/nope')).status, 404)
    t.equal((await d.req('DELETE', '/volumes/nope?force=1')).status, 204, 'force: a missing volume is no error')
  })

  t.test('list filters: name (a regexp), label, driver, dangling; an unknown key is a 400', async t => {
    await d.req('POST', '/volumes/create', { Name: 'v3', Labels: { app: 'db', tier: '1' } })
    t.strictSame(await names(d), ['v1', 'v3'])
    t.strictSame(await names(d, { name: ['^v3$'] }), ['v3'])
    t.strictSame(await names(d, { name: ['v'] }), ['v1', 'v3'])
    t.strictSame(await names(d, { label: ['app'] }), ['v1', 'v3'])
    t.strictSame(await names(d, { label: ['app=db'] }), ['v3'])
    t.strictSame(await names(d, { label: ['app=db', 'tier=2'] }), [], 'labels: all must match')
    t.strictSame(await names(d, { driver: ['local'] }), ['v1', 'v3'])
    t.strictSame(await names(d, { driver: ['nfs'] }), [])
    t.strictSame(await names(d, { dangling: ['true'] }), ['v1', 'v3'])
    t.strictSame(await names(d, { dangling: ['false'] }), [])
    const bad = await d.req('GET', `/volumes?filters=${encodeURIComponent('{"colour":["red"]}')}`)
    t.equal(bad.status, 400)
    t.equal(bad.body.message, 'invalid filter \'colour\'')
    const badBool = await d.req('GET', `/volumes?filters=${encodeURIComponent('{"dangling":["maybe"]}')}`)
    t.equal(badBool.status, 400)
    t.equal(badBool.body.message, 'invalid filter \'dangling=maybe\'')
  })
})

t.test('containers and volumes', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  await volumeImage(d)

  t.test('-v name:/path: made if missing, data outlives the container, in use is 409 until it goes', async t => {
    const a = await runIn(d, { Cmd: ['sh', '-c', 'echo kept > /store/f'], HostConfig: { Binds: ['keep:/store'] } })
    t.equal(a.code, 0)
    const insp = await d.req('GET', `/containers/${a.id}/json`)
    t.strictSame(insp.body.Mounts.find((m: any) => m.Destination === '/store'),
      { Type: 'volume', Name: 'keep', Source: `${d.root}/volumes/keep/_data`, Destination: '/store', Driver: 'local', Mode: 'z', RW: true, Propagation: '' })
    const busy = await d.req('DELETE', '/volumes/keep')
    t.equal(busy.status, 409)
    t.equal(busy.body.message, `remove keep: volume is in use - [${a.id}]`)
    t.equal((await d.req('DELETE', '/volumes/keep?force=1')).status, 409, 'force does not take a volume from its container')
    t.strictSame(await names(d, { dangling: ['false'], name: ['^keep$'] }), ['keep'])
    t.equal((await d.req('DELETE', `/containers/${a.id}?v=1`)).status, 204)
    t.ok((await names(d)).includes('keep'), 'rm -v leaves a named volume')
    const b = await runIn(d, { Cmd: ['cat', '/again/f'], HostConfig: { Binds: ['keep:/again:ro'] } })
    t.strictSame(b.out, ['kept'], 'a new container sees the data')
    t.equal((await d.req('DELETE', `/containers/${b.id}`)).status, 204)
    t.equal((await d.req('DELETE', '/volumes/keep')).status, 204)
    t.notOk((await names(d)).includes('keep'))
  })

  t.test('ro: writes fail; Mounts type=volume with ReadOnly and Labels', async t => {
    const ro = await runIn(d, { Cmd: ['sh', '-c', 'echo x > /r/f'], HostConfig: { Binds: ['rov:/r:ro'] } })
    t.not(ro.code, 0, 'the write is refused')
    t.match(ro.out.join('\n'), /Read-only file system/)
    const m = await runIn(d, { Cmd: ['sh', '-c', 'touch /m/f'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'mv', Target: '/m', ReadOnly: true, VolumeOptions: { Labels: { made: 'by-mount' } } }] } })
    t.not(m.code, 0)
    t.strictSame((await d.req('GET', '/volumes/mv')).body.Labels, { made: 'by-mount' })
    t.match((await d.req('GET', `/containers/${m.id}/json`)).body.Mounts, [{ Type: 'volume', Name: 'mv', RW: false, Destination: '/m' }])
    for (const id of [ro.id, m.id]) await d.req('DELETE', `/containers/${id}`)
  })

  t.test('copy-up: an empty volume gets the image\'s content there, with its owner and mode; nocopy and a full volume do not', async t => {
    const named = await runIn(d, { Cmd: ['sh', '-c', 'cat /seed/s; stat -c "%u:%g %a" /seed'], HostConfig: { Binds: ['seeded:/seed'] } })
    t.strictSame(named.out, ['seed', '0:0 755'])
    const anon = await runIn(d, { Cmd: ['sh', '-c', 'cat /data/from-image; stat -c "%u:%g %a" /data'] })
    t.strictSame(anon.out, ['image-data', '1000:1000 750'], 'the image\'s VOLUME gets an anonymous volume, filled')
    const mount = (await d.req('GET', `/containers/${anon.id}/json`)).body.Mounts
    t.match(mount, [{ Type: 'volume', Destination: '/data', Driver: 'local', RW: true }])
    const vol = await d.req('GET', `/volumes/${mount[0].Name as string}`)
    t.strictSame(vol.body.Labels, { 'com.docker.volume.anonymous': '' })
    const nocopy = await runIn(d, { Cmd: ['ls', '-A', '/seed'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'empty', Target: '/seed', VolumeOptions: { NoCopy: true } }] } })
    t.strictSame(nocopy.out, [], 'nocopy: empty')
    const nocopyBind = await runIn(d, { Cmd: ['ls', '-A', '/seed'], HostConfig: { Binds: ['empty2:/seed:nocopy'] } })
    t.strictSame(nocopyBind.out, [], '-v name:/path:nocopy')
    await runIn(d, { Cmd: ['sh', '-c', 'rm /seed/s; echo mine > /seed/m'], HostConfig: { Binds: ['full:/seed'] } })
    const full = await runIn(d, { Cmd: ['ls', '/seed'], HostConfig: { Binds: ['full:/seed'] } })
    t.strictSame(full.out, ['m'], 'a volume with files is not filled again')
  })

  t.test('Volumes (-v /path) gets an anonymous volume; rm -v removes it, a named one stays', async t => {
    const before = await names(d)
    const c = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], Volumes: { '/anon': {} }, HostConfig: { Binds: ['named:/n', '/scratch'] } })
    t.equal(c.status, 201, JSON.stringify(c.body))
    const made = (await names(d)).filter(n => !before.includes(n))
    t.equal(made.length, 4, 'named, /scratch, /anon and the image\'s /data')
    t.equal((await d.req('DELETE', `/containers/${c.body.Id as string}?v=1`)).status, 204)
    t.strictSame((await names(d)).filter(n => !before.includes(n)), ['named'])
  })

  t.test('--rm removes its anonymous volumes', async t => {
    const before = await names(d)
    const c = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: { AutoRemove: true } })
    t.equal(c.status, 201)
    t.equal((await names(d)).length, before.length + 1)
    const w = await d.open('POST', `/containers/${c.body.Id as string}/wait?condition=removed`)
    await d.req('POST', `/containers/${c.body.Id as string}/start`)
    await w.body
    let now = await names(d)
    for (let i = 0; i < 50 && now.length > before.length; i++) { await new Promise(resolve => setTimeout(resolve, 100)); now = await names(d) }
    t.strictSame(now, before)
  })

  t.test('VolumesFrom: the donor\'s volumes and binds, :ro applied; a missing donor is a 404', async t => {
    const donor = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: { Binds: ['shared:/shared', `${d.dir}:/hostdir:ro`] } })
    t.equal(donor.status, 201)
    await runIn(d, { Cmd: ['sh', '-c', 'echo from-a > /shared/f'], HostConfig: { VolumesFrom: [donor.body.Id] } })
    const b = await runIn(d, { Cmd: ['sh', '-c', 'cat /shared/f; test -d /hostdir && echo bind; ls /data; touch /shared/x || echo ro'], HostConfig: { VolumesFrom: ['/' + (await d.req('GET', `/containers/${donor.body.Id as string}/json`)).body.Name.slice(1) + ':ro'] } })
    t.strictSame(b.out.filter(l => !/Read-only/.test(l)), ['from-a', 'bind', 'from-image', 'ro'])
    const mounts = (await d.req('GET', `/containers/${b.id}/json`)).body.Mounts
    t.match(mounts.find((m: any) => m.Destination === '/shared'), { Type: 'volume', Name: 'shared', RW: false })
    t.match(mounts.find((m: any) => m.Destination === '/hostdir'), { Type: 'bind', Source: d.dir, RW: false })
    const missing = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: { VolumesFrom: ['ghost'] } })
    t.equal(missing.status, 404)
    const badMode = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: { VolumesFrom: ['x:rx'] } })
    t.equal(badMode.status, 400)
    t.equal((await d.req('DELETE', '/volumes/shared')).status, 409, 'in use by the donor and the containers that took it')
  })

  t.test('bad volume specs: 400, nothing made', async t => {
    const before = await names(d)
    for (const hc of [{ Binds: ['a/b:/x'] }, { Binds: ['..:/x'] }, { Binds: ['v:x'] }, { Mounts: [{ Type: 'volume', Source: '../x', Target: '/x' }] },
      { Mounts: [{ Type: 'volume', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }] }]) {
      const r = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: hc })
      t.equal(r.status, 400, JSON.stringify(hc))
    }
    t.strictSame(await names(d), before)
    const late = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], WorkingDir: '/bin/busybox/x', HostConfig: { Binds: ['late:/late', '/anon'] } })
    t.equal(late.status, 400, 'a create that fails after its volumes were made')
    t.match(late.body.message, /cannot create working directory/)
    t.strictSame(await names(d), before, 'takes them away again')
  })

  t.test('docker cp reaches into a volume; commit leaves the volume\'s files out', async t => {
    const a = await runIn(d, { Cmd: ['sh', '-c', 'echo in-volume > /cpv/f; echo in-layer > /layer'], HostConfig: { Binds: ['cpv:/cpv'] } })
    const put = await d.req('PUT', `/containers/${a.id}/archive?path=/cpv`, await makeTar([{ name: 'copied', body: 'by-cp\n' }]), { 'content-type': 'application/x-tar' })
    t.equal(put.status, 200)
    t.equal(await readFile(`${d.root}/volumes/cpv/_data/copied`, 'utf8'), 'by-cp\n', 'the upload lands in the volume')
    const get = await d.req('GET', `/containers/${a.id}/archive?path=/cpv/f`)
    t.equal(get.status, 200)
    t.match(get.raw.toString(), /in-volume/)
    const c = await d.req('POST', `/commit?container=${a.id}&repo=committed&tag=1`)
    t.equal(c.status, 201)
    const b = await runIn(d, { Image: 'committed:1', Cmd: ['sh', '-c', 'cat /layer; cat /cpv/f /cpv/copied 2>/dev/null || echo no-volume-files'] })
    t.strictSame(b.out, ['in-layer', 'no-volume-files'], 'the layer has the container\'s own writes, not the volume\'s')
    for (const id of [a.id, b.id]) await d.req('DELETE', `/containers/${id}`)
    await d.req('DELETE', '/images/committed:1')
  })

  t.test('/system/df: each volume with its size and users', async t => {
    const r = await d.req('GET', '/system/df?type=volume')
    t.equal(r.status, 200)
    const full = r.body.Volumes.find((v: any) => v.Name === 'full')
    t.match(full, { Driver: 'local', UsageData: { Size: 5, RefCount: 2 } })
  })

  t.test('prune: anonymous unused ones by default, all=true for every unused one, label filters', async t => {
    await d.req('POST', '/volumes/create', { Name: 'lonely', Labels: { keep: 'no' } })
    const anonBefore = (await names(d, { label: ['com.docker.volume.anonymous'], dangling: ['true'] }))
    t.ok(anonBefore.length > 0)
    const p = await d.req('POST', '/volumes/prune')
    t.equal(p.status, 200)
    t.strictSame([...p.body.VolumesDeleted].sort(), anonBefore)
    t.ok((await names(d)).includes('lonely'), 'a named volume stays')
    const labelled = await d.req('POST', `/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['true'], label: ['keep=no'] }))}`)
    t.strictSame(labelled.body.VolumesDeleted, ['lonely'])
    const none = await d.req('POST', '/volumes/prune')
    t.strictSame(none.body, { VolumesDeleted: null, SpaceReclaimed: 0 })
    await d.req('POST', '/volumes/create', { Name: 'unused' })
    const old = await d.req('POST', '/v1.41/volumes/prune')
    t.ok(old.body.VolumesDeleted.includes('unused'), 'before API 1.42 every unused volume goes, named ones too')
    t.strictSame(await names(d, { dangling: ['true'] }), [], 'none is left')
    t.ok((await names(d)).includes('shared'), 'a used one stays')
  })
})

t.test('DriverOpts: mounted at first use, undone after the last user; a bad device fails the create cleanly', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  await volumeImage(d)
  t.equal((await d.req('POST', '/volumes/create', { Name: 'tmp', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } })).body.Options.o, 'size=1m')
  const data = `${d.root}/volumes/tmp/_data`
  t.notOk(await mounted(data), 'not mounted before use')
  const a = await runIn(d, { Cmd: ['sh', '-c', 'df -k /t | tail -1; echo hi > /t/f'], HostConfig: { Binds: ['tmp:/t'] } })
  t.match(a.out[0], /\s1024\s/, 'the tmpfs of 1m')
  const b = await runIn(d, { Cmd: ['cat', '/t/f'], HostConfig: { Binds: ['tmp:/t'] } })
  t.strictSame(b.out, ['hi'])
  t.ok(await mounted(data))
  await d.req('DELETE', `/containers/${a.id}`)
  t.ok(await mounted(data), 'still used by one')
  await d.req('DELETE', `/containers/${b.id}`)
  t.notOk(await mounted(data), 'unmounted with its last user')

  await d.req('POST', '/volumes/create', { Name: 'nodev', DriverOpts: { type: 'none', o: 'bind', device: `${d.dir}/not-there` } })
  const before = (await d.req('GET', '/containers/json?all=1')).body.length
  const r = await d.req('POST', '/containers/create', { Image: 'vimg', Cmd: ['true'], HostConfig: { Binds: ['nodev:/x'] } })
  t.equal(r.status, 500)
  t.match(r.body.message, /^error while mounting volume '.*nodev\/_data': failed to mount local volume: mount .*not-there/)
  t.equal((await d.req('GET', '/containers/json?all=1')).body.length, before, 'no container left')
  t.equal((await d.req('DELETE', '/volumes/nodev')).status, 204, 'and the volume is not held')
  t.equal((await d.req('DELETE', '/volumes/tmp')).status, 204)
})

t.test('events: create, mount, unmount, destroy', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  await volumeImage(d)
  const since = (Date.now() / 1000 - 1).toFixed(3)
  const a = await runIn(d, { Cmd: ['true'], HostConfig: { Binds: ['ev:/e'] } })
  await d.req('DELETE', `/containers/${a.id}`)
  await d.req('DELETE', '/volumes/ev')
  const r = await d.client.request({ method: 'GET', path: `/events?since=${since}&until=${(Date.now() / 1000).toFixed(3)}&filters=${encodeURIComponent(JSON.stringify({ type: ['volume'], volume: ['ev'] }))}` })
  const evs = (await r.body.text()).split('\n').filter(l => l !== '').map(l => JSON.parse(l))
  t.strictSame(evs.map(e => e.Action), ['create', 'mount', 'unmount', 'destroy'])
  t.match(evs[1].Actor, { ID: 'ev', Attributes: { driver: 'local', container: a.id, destination: '/e', 'read/write': 'true' } })
  t.ok(evs.every(e => e.Type === 'volume' && e.scope === 'local'))
})
