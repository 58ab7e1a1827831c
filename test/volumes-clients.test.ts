/**
 * Volumes through Docker's own clients (issue 16): `docker volume
 * create/ls/inspect/rm/prune` and `docker run -v name:/data` with the docker
 * CLI; `volumes.create/list/get/remove` and `containers.run(volumes={...})`
 * with docker-py.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { execa, execaSync } from 'execa'
import { DOCKER, dockerEnv, dockerTest, importBusybox, startDaemon, type Daemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0

const docker = (d: Daemon, args: string[]) => execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 60_000, killSignal: 'SIGKILL' })
const lines = (s: string): string[] => s === '' ? [] : s.split('\n')

dockerTest(t, 'docker CLI: docker volume and run -v', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')

  const created = await docker(d, ['volume', 'create', '--label', 'app=web', 'webdata'])
  t.equal(created.exitCode, 0, created.stderr)
  t.equal(created.stdout, 'webdata')
  const ls = await docker(d, ['volume', 'ls'])
  t.equal(ls.exitCode, 0, ls.stderr)
  t.match(lines(ls.stdout)[0], /^DRIVER\s+VOLUME NAME$/)
  t.match(lines(ls.stdout)[1], /^local\s+webdata$/)
  t.strictSame(lines((await docker(d, ['volume', 'ls', '-q', '--filter', 'label=app=web'])).stdout), ['webdata'])
  t.strictSame(lines((await docker(d, ['volume', 'ls', '-q', '--filter', 'label=app=db'])).stdout), [])
  const insp = await docker(d, ['volume', 'inspect', 'webdata'])
  t.equal(insp.exitCode, 0, insp.stderr)
  t.match(JSON.parse(insp.stdout), [{ Name: 'webdata', Driver: 'local', Labels: { app: 'web' }, Mountpoint: `${d.root}/volumes/webdata/_data`, Scope: 'local' }])
  t.equal((await docker(d, ['volume', 'inspect', '--format', '{{.Mountpoint}}', 'webdata'])).stdout, `${d.root}/volumes/webdata/_data`)

  const w = await docker(d, ['run', '--name', 'writer', '-v', 'webdata:/data', 'bb', 'sh', '-c', 'echo hello > /data/greeting'])
  t.equal(w.exitCode, 0, w.stderr)
  const r = await docker(d, ['run', '--rm', '-v', 'webdata:/data:ro', 'bb', 'cat', '/data/greeting'])
  t.equal(r.stdout, 'hello')
  const ro = await docker(d, ['run', '--rm', '-v', 'webdata:/data:ro', 'bb', 'touch', '/data/x'])
  t.not(ro.exitCode, 0, 'ro is read-only')
  const m = await docker(d, ['run', '--rm', '--mount', 'type=volume,src=webdata,dst=/m,readonly', 'bb', 'cat', '/m/greeting'])
  t.equal(m.stdout, 'hello', m.stderr)
  const from = await docker(d, ['run', '--rm', '--volumes-from', 'writer:ro', 'bb', 'cat', '/data/greeting'])
  t.equal(from.stdout, 'hello', from.stderr)
  t.match(JSON.parse((await docker(d, ['inspect', '--format', '{{json .Mounts}}', 'writer'])).stdout), [{ Type: 'volume', Name: 'webdata', Destination: '/data', RW: true }])

  const busy = await docker(d, ['volume', 'rm', 'webdata'])
  t.equal(busy.exitCode, 1)
  t.match(busy.stderr, /remove webdata: volume is in use/)

  // An anonymous volume (-v /path): rm -v removes it; docker volume prune takes anonymous ones only.
  t.equal((await docker(d, ['create', '--name', 'anon', '-v', '/scratch', 'bb', 'true'])).exitCode, 0)
  const before = lines((await docker(d, ['volume', 'ls', '-q'])).stdout)
  t.equal(before.length, 2)
  t.equal((await docker(d, ['rm', '-v', 'anon'])).exitCode, 0)
  t.strictSame(lines((await docker(d, ['volume', 'ls', '-q'])).stdout), ['webdata'])
  t.equal((await docker(d, ['create', '--name', 'anon2', '-v', '/scratch', 'bb', 'true'])).exitCode, 0)
  t.equal((await docker(d, ['volume', 'create', 'spare'])).exitCode, 0)
  t.equal((await docker(d, ['rm', 'anon2'])).exitCode, 0, 'rm without -v leaves the anonymous volume')
  t.equal(lines((await docker(d, ['volume', 'ls', '-q'])).stdout).length, 3)
  const pruned = await docker(d, ['volume', 'prune', '-f'])
  t.equal(pruned.exitCode, 0, pruned.stderr)
  t.match(pruned.stdout, /Total reclaimed space/)
  t.strictSame(lines((await docker(d, ['volume', 'ls', '-q'])).stdout).sort(), ['spare', 'webdata'], 'named volumes stay')
  t.equal((await docker(d, ['volume', 'prune', '-af'])).exitCode, 0)
  t.strictSame(lines((await docker(d, ['volume', 'ls', '-q'])).stdout), ['webdata'], '--all: every unused one')

  t.equal((await docker(d, ['rm', 'writer'])).exitCode, 0)
  const rm = await docker(d, ['volume', 'rm', 'webdata'])
  t.equal(rm.exitCode, 0, rm.stderr)
  t.equal(rm.stdout, 'webdata')
  const gone = await docker(d, ['volume', 'inspect', 'webdata'])
  t.equal(gone.exitCode, 1)
  t.match(gone.stderr, /no such volume/)
  const df = await docker(d, ['system', 'df'])
  t.match(df.stdout, /Local Volumes\s+0\s+0\s+0B/)
})

t.test('docker-py: volumes.create/list/get/remove, containers.run(volumes={...})', { skip: hasDockerPy ? false : 'python3-docker is not installed' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const script = `
import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
v = c.volumes.create('pyvol', labels={'by': 'py'})
out = {'created': v.name, 'labels': v.attrs['Labels']}
out['listed'] = [x.name for x in c.volumes.list()]
out['filtered'] = [x.name for x in c.volumes.list(filters={'label': 'by=py'})]
out['got'] = c.volumes.get('pyvol').attrs['Driver']
c.containers.run('bb', ['sh', '-c', 'echo py > /d/f'], volumes={'pyvol': {'bind': '/d', 'mode': 'rw'}}, remove=True)
out['read'] = c.containers.run('bb', ['cat', '/d/f'], volumes={'pyvol': {'bind': '/d', 'mode': 'ro'}}, remove=True).decode()
try:
    c.volumes.get('nope')
except docker.errors.NotFound as e:
    out['notfound'] = True
c.volumes.get('pyvol').remove()
out['after'] = [x.name for x in c.volumes.list()]
print(json.dumps(out))`
  const r = await execa(PYTHON, ['-c', script, d.socket], { reject: false, timeout: 120_000 })
  t.equal(r.exitCode, 0, r.stderr)
  t.strictSame(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null'),
    { created: 'pyvol', labels: { by: 'py' }, listed: ['pyvol'], filtered: ['pyvol'], got: 'local', read: 'py\n', notfound: true, after: [] })
})
