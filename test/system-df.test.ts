/**
 * `GET /system/df` (docker system df, issue 13): the numbers checked against
 * what the test made (a container that wrote 1 MiB, an image committed from
 * it that shares the base layer), through the API, the docker CLI and
 * docker-py.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { execa, execaSync } from 'execa'
import { DOCKER, dockerEnv, dockerTest, importBusybox, startDaemon } from './helpers.js'

const MiB = 1 << 20
const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0

dockerTest(t, 'system df: images, containers, layers', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const base = (await d.req('GET', '/images/bb/json')).body
  const made = await d.req('POST', '/containers/create?name=writer', { Image: 'bb', Cmd: ['dd', 'if=/dev/zero', 'of=/big', 'bs=1024', 'count=1024'] })
  t.equal(made.status, 201, JSON.stringify(made.body))
  const writer = { id: made.body.Id as string }
  t.equal((await d.req('POST', `/containers/${writer.id}/start`)).status, 204)
  t.equal((await d.req('POST', `/containers/${writer.id}/wait`)).body.StatusCode, 0, 'the writer wrote 1 MiB')
  const idle = await d.req('POST', '/containers/create?name=idle', { Image: 'bb', Cmd: ['true'] })
  t.equal(idle.status, 201)
  const snap = await d.req('POST', '/commit?container=writer&repo=snap')
  t.equal(snap.status, 201, JSON.stringify(snap.body))
  const snapImage = (await d.req('GET', '/images/snap/json')).body

  const df = await d.req('GET', '/system/df')
  t.equal(df.status, 200)
  const doc = df.body
  t.equal(doc.LayersSize, snapImage.Size, 'every layer once: the base and the committed one')
  t.ok(snapImage.Size >= base.Size + MiB, 'the committed image holds the 1 MiB layer')
  const bb = doc.Images.find((i: any) => i.Id === base.Id)
  const sn = doc.Images.find((i: any) => i.Id === snapImage.Id)
  t.match(bb, { Size: base.Size, SharedSize: base.Size, Containers: 2, RepoTags: ['bb:latest'] }, 'bb: its one layer is shared, two containers use it')
  t.match(sn, { Size: snapImage.Size, SharedSize: base.Size, Containers: 0 }, 'snap shares the base layer only')
  const w = doc.Containers.find((c: any) => c.Id === writer.id)
  t.ok(w.SizeRw >= MiB, `the writer's SizeRw ${w.SizeRw} is at least 1 MiB`)
  t.equal(w.SizeRootFs, w.SizeRw + base.Size)
  t.match(doc.Containers.find((c: any) => c.Names[0] === '/idle'), { SizeRw: 0, SizeRootFs: base.Size })
  t.same([doc.Volumes, doc.BuildCache], [[], []], 'no volumes, no build cache')

  const images = (await d.req('GET', '/system/df?type=image')).body
  t.equal(images.LayersSize, doc.LayersSize)
  t.same([images.Images.length, images.Containers, images.Volumes, images.BuildCache], [2, null, null, null], 'type: only the parts asked for')
  const two = (await d.req('GET', '/v1.44/system/df?type=container&type=volume')).body
  t.same([two.LayersSize, two.Images, two.Containers.length, two.Volumes, two.BuildCache], [0, null, 2, [], null])
  const bad = await d.req('GET', '/system/df?type=bogus')
  t.same([bad.status, bad.body], [400, { message: 'unknown object type: bogus' }])

  // The docker CLI: the summary table and the verbose one.
  const env = dockerEnv(d)
  const sum = await execa(DOCKER, ['system', 'df'], { env, reject: false, timeout: 30_000 })
  t.equal(sum.exitCode, 0, sum.stderr)
  t.match(sum.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/m)
  t.match(sum.stdout, /^Images\s+2\s+1\s+\S+/m)
  t.match(sum.stdout, /^Containers\s+2\s+0\s+1\.0\d*MB/m, 'the containers\' 1 MiB')
  t.match(sum.stdout, /^Local Volumes\s+0\s+0\s+0B\s+0B$/m)
  t.match(sum.stdout, /^Build Cache\s+0\s+0\s+0B\s+0B$/m)
  const verbose = await execa(DOCKER, ['system', 'df', '-v'], { env, reject: false, timeout: 30_000 })
  t.equal(verbose.exitCode, 0, verbose.stderr)
  t.match(verbose.stdout, /^Images space usage:/m)
  t.match(verbose.stdout, new RegExp(`^bb\\s+latest\\s+${base.Id.slice(7, 19)}\\s+.*\\s2$`, 'm'), 'bb is used by two containers')
  t.match(verbose.stdout, new RegExp(`^${writer.id.slice(0, 12)}\\s+bb\\s+.*\\s1\\.0\\d*MB\\s.*writer$`, 'm'), 'the writer\'s 1 MiB')
  t.match(verbose.stdout, /^Local Volumes space usage:/m)

  t.test('docker-py: client.df()', { skip: hasDockerPy ? false : 'python3-docker is not installed' }, async t => {
    const script = `import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
df = c.df()
print(json.dumps({'layers': df['LayersSize'], 'rw': {x['Names'][0]: x['SizeRw'] for x in df['Containers']}, 'images': len(df['Images']), 'volumes': df['Volumes']}))`
    const r = await execa(PYTHON, ['-c', script, d.socket], { reject: false, timeout: 60_000 })
    t.equal(r.exitCode, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim())
    t.equal(out.layers, doc.LayersSize)
    t.ok(out.rw['/writer'] >= MiB, 'SizeRw of the writer')
    t.equal(out.rw['/idle'], 0)
    t.same([out.images, out.volumes], [2, []])
  })
})
