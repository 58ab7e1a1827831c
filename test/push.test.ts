/**
 * Registry credentials and pushes against real registries (Debian's
 * docker-registry on 127.0.0.1): POST /auth (docker login) with htpasswd
 * Basic auth and with a Bearer token server, X-Registry-Auth on pulls and
 * pushes, the push progress stream, Layer already exists and cross-repository
 * mounts, RepoDigests, the round trip through a second registry, and the
 * faults (wrong password, no such image), a TLS registry trusted through
 * certs.d. Then the docker CLI, docker-py and
 * dockerode each log in, push and pull.
 */
import t, { type Test } from 'tap'
import Docker from 'dockerode'
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOCKER, dockerEnv, dockerTest, importBusybox, makeTar, saveArchive, startDaemon, type Daemon } from './helpers.js'
import { noRegistry, pull, SKOPEO, startRegistry, statuses, stream, type Msg, type TestRegistry } from './registry-helpers.js'

const USER = 'alice'
const PASS = 'pa55-w0rd!'

const push = async (d: Daemon, name: string, tag: string, creds?: object): ReturnType<typeof stream> => await stream(d, `/images/${name}/push?tag=${tag}`, creds)
const pullTag = async (d: Daemon, name: string, tag: string, creds?: object): ReturnType<typeof stream> => await pull(d, `fromImage=${encodeURIComponent(name)}&tag=${tag}`, creds)

/** What skopeo (an independent client) reads of a pushed image: its manifest digest and layer digests. */
async function inspect (reg: TestRegistry, ref: string, creds?: string): Promise<{ Digest: string, Layers: string[] }> {
  const r = await execa(SKOPEO, ['inspect', '--tls-verify=false', ...creds !== undefined ? ['--creds', creds] : [], `docker://${reg.host}/${ref}`], { env: { HOME: '/nonexistent', PATH: '/usr/bin:/bin' }, extendEnv: false })
  return JSON.parse(r.stdout) as { Digest: string, Layers: string[] }
}

/** No file under `dir` holds `secret`: berthd writes credentials nowhere. */
async function notOnDisk (t: Test, dir: string, secret: string): Promise<void> {
  const r = await execa('grep', ['-rlF', '--', secret, dir], { reject: false })
  t.equal(r.stdout, '', `no file under ${dir} holds the password`)
}

t.test('htpasswd Basic auth: login, push with progress, Layer already exists, mount, pull back, wrong password', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { htpasswd: { [USER]: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const creds = { username: USER, password: PASS, serveraddress: reg.host }

  const ok = await d.req('POST', '/auth', creds)
  t.equal(ok.status, 200)
  t.same(ok.body, { Status: 'Login Succeeded', IdentityToken: '' })
  const wrong = await d.req('POST', '/auth', { ...creds, password: 'nope' })
  t.equal(wrong.status, 401)
  t.equal(wrong.body.message, `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`)

  const name = `${reg.host}/bb`
  t.equal((await d.req('POST', `/images/bb/tag?repo=${name}&tag=v1`)).status, 201)
  const anonymous = await push(d, name, 'v1')
  t.equal(anonymous.status, 200)
  t.equal(statuses(anonymous.msgs)[0], `The push refers to repository [${name}]`)
  t.match(statuses(anonymous.msgs).slice(1), [/^error: Head "http:\/\/[^"]+\/v2\/bb\/blobs\/sha256:[0-9a-f]{64}": no basic auth credentials$/], 'without credentials the push stops at the registry\'s challenge')

  const first = await push(d, name, 'v1', creds)
  t.equal(first.status, 200)
  const s = statuses(first.msgs)
  const layer = (await d.req('GET', `/images/${name}:v1/json`)).body.RootFS.Layers[0] as string
  const short = layer.slice(7, 19)
  t.same(s.filter(x => !x.startsWith('Pushing')), [`The push refers to repository [${name}]`, 'Preparing', 'Pushed', s.at(-2), 'aux'], JSON.stringify(first.msgs))
  t.ok(first.msgs.filter(m => m.id !== undefined).every(m => m.id === short), 'layer lines are named by the diffID\'s short id, as moby names them')
  const last = first.msgs.filter(m => m.status === 'Pushing').at(-1)!
  t.ok(last.progressDetail!.current! > 0 && last.progressDetail!.current === last.progressDetail!.total, 'Pushing counts up to the layer\'s size')
  const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(s.at(-2)!)
  t.ok(m, 'the tag line names the manifest digest and size')
  t.same(first.msgs.at(-1), { progressDetail: {}, aux: { Tag: 'v1', Digest: m![1], Size: Number(m![2]) } })

  const seen = await inspect(reg, 'bb:v1', `${USER}:${PASS}`)
  t.equal(seen.Digest, m![1], 'skopeo reads the manifest the push put')
  t.equal(seen.Layers.length, 1)
  const img = await d.req('GET', `/images/${name}:v1/json`)
  t.same(img.body.RepoDigests, [`${name}@${m![1]}`], 'the pushed digest is a RepoDigest')

  const again = await push(d, name, 'v1', creds)
  t.same(statuses(again.msgs).slice(0, 3), [`The push refers to repository [${name}]`, 'Preparing', 'Layer already exists'])
  t.equal(statuses(again.msgs).at(-2), `v1: digest: ${m![1]} size: ${m![2]}`, 'the same manifest again')

  const other = `${reg.host}/team/other`
  t.equal((await d.req('POST', `/images/bb/tag?repo=${other}&tag=latest`)).status, 201)
  const mounted = await push(d, other, '', creds)
  t.ok(statuses(mounted.msgs).includes('Mounted from bb'), `the layer is mounted from bb: ${JSON.stringify(mounted.msgs)}`)
  t.match(statuses(mounted.msgs).at(-2), /^latest: digest: sha256:/, 'no tag pushes the repository\'s tags')

  // Pulled back: the same image id.
  t.equal((await d.req('DELETE', `/images/${name}:v1`)).status, 200)
  const bad = await pullTag(d, name, 'v1', { ...creds, password: 'nope' })
  t.equal(bad.status, 500)
  t.equal(bad.message, `Get "http://${reg.host}/v2/bb/manifests/v1": unauthorized: authentication required`)
  const none = await pullTag(d, name, 'v1')
  t.equal(none.status, 500)
  t.equal(none.message, `Get "http://${reg.host}/v2/bb/manifests/v1": no basic auth credentials`)
  const back = await pullTag(d, name, 'v1', creds)
  t.equal(back.msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:v1`, JSON.stringify(back))
  t.equal((await d.req('GET', `/images/${name}:v1/json`)).body.Id, img.body.Id, 'the pulled image is the pushed one')

  const missing = await push(d, `${reg.host}/nosuch`, 'v1', creds)
  t.equal(missing.status, 404)
  t.equal(missing.message, `An image does not exist locally with the tag: ${reg.host}/nosuch:v1`)
  const badHeader = await d.client.request({ method: 'POST', path: `/images/${name}/push?tag=v1`, headers: { 'x-registry-auth': '{not base64' } })
  t.equal(badHeader.statusCode, 400)
  t.match(JSON.parse(await badHeader.body.text()).message, /X-Registry-Auth/)

  await notOnDisk(t, d.dir, PASS)
  t.notOk(d.stderr().includes(PASS), 'the log does not hold the password')
})

t.test('docker tag + push to a second registry and pull back: the same image id; push events', { skip: noRegistry }, async t => {
  const first = await startRegistry(t)
  const second = await startRegistry(t)
  const d = await startDaemon(t)
  const layers = [await makeTar([{ name: 'a', body: 'one\n' }]), await makeTar([{ name: 'b', body: 'x'.repeat(300_000) }])]
  const { archive } = await saveArchive(layers, 'two:layers')
  const dir = await mkdtemp(join(tmpdir(), 'berth-push-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'img.tar'), archive)
  await first.push(`docker-archive:${join(dir, 'img.tar')}`, 'two:layers')
  t.equal((await pullTag(d, `${first.host}/two`, 'layers')).status, 200)
  const id = (await d.req('GET', `/images/${first.host}/two:layers/json`)).body.Id as string
  t.equal((await d.req('POST', `/images/${first.host}/two:layers/tag?repo=${second.host}/copy&tag=v2`)).status, 201)
  const since = Math.floor(Date.now() / 1000)
  const r = await push(d, `${second.host}/copy`, 'v2')
  const s = statuses(r.msgs)
  t.equal(s.filter(x => x === 'Pushed').length, 2, JSON.stringify(r.msgs))
  t.equal(s.filter(x => x === 'Preparing').length, 2)
  const digest = /^v2: digest: (sha256:[0-9a-f]{64})/.exec(s.at(-2) ?? '')![1]!
  t.equal((await inspect(second, 'copy:v2')).Digest, digest)
  // Pushed back where it was pulled from, under a new name: the registry has both blobs, mounted.
  t.equal((await d.req('POST', `/images/${first.host}/two:layers/tag?repo=${first.host}/renamed&tag=v1`)).status, 201)
  const mounted = statuses((await push(d, `${first.host}/renamed`, 'v1')).msgs)
  t.equal(mounted.filter(x => x === 'Mounted from two').length, 2, JSON.stringify(mounted))

  t.equal((await d.req('DELETE', `/images/${id}?force=1`)).status, 200)
  const back = await pullTag(d, `${second.host}/copy`, 'v2')
  t.equal(back.msgs.at(-1)?.status, `Status: Downloaded newer image for ${second.host}/copy:v2`, JSON.stringify(back))
  const img = (await d.req('GET', `/images/${second.host}/copy:v2/json`)).body
  t.equal(img.Id, id, 'pulled back from the second registry: the same image id')
  t.same(img.RepoDigests, [`${second.host}/copy@${digest}`])
  const ev = await d.client.request({ method: 'GET', path: `/events?since=${since}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent('{"type":["image"],"event":["push"]}')}` })
  const events = (await ev.body.text()).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { Actor: { ID: string } })
  t.ok(events.some(e => e.Actor.ID === `${second.host}/copy:v2`), 'a push event names the reference')

  // A registry that is not there: the stream's first line, then the error; the image is as it was.
  t.equal((await d.req('POST', `/images/${second.host}/copy:v2/tag?repo=127.0.0.1:1/gone&tag=v1`)).status, 201)
  const down = await push(d, '127.0.0.1:1/gone', 'v1')
  t.equal(down.status, 200)
  t.same(statuses(down.msgs), ['The push refers to repository [127.0.0.1:1/gone]', 'error: Get "http://127.0.0.1:1/v2/": connect: connection refused'])
  t.same((await d.req('GET', '/images/127.0.0.1:1/gone:v1/json')).body.RepoDigests, [`${second.host}/copy@${digest}`], 'no digest is recorded for a failed push')
})

t.test('a Bearer token server: login gives an identity token, wrong password is a 401, credentials and the token pull and push', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { token: true, users: { bob: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const ok = await d.req('POST', '/auth', { username: 'bob', password: PASS, serveraddress: `http://${reg.host}/` })
  t.equal(ok.status, 200)
  t.equal(ok.body.Status, 'Login Succeeded')
  t.ok(reg.tokens!.refreshTokens.has(ok.body.IdentityToken), 'the IdentityToken is the refresh token the token server gave')
  const wrong = await d.req('POST', '/auth', { username: 'bob', password: 'nope', serveraddress: reg.host })
  t.equal(wrong.status, 401)
  t.equal(wrong.body.message, 'unauthorized: incorrect username or password', 'the token server\'s reason')

  const name = `${reg.host}/secret`
  t.equal((await d.req('POST', `/images/bb/tag?repo=${name}&tag=v1`)).status, 201)
  const asked = reg.tokens!.requests.length
  const r = await push(d, name, 'v1', { identitytoken: ok.body.IdentityToken })
  t.match(statuses(r.msgs).at(-2), /^v1: digest: sha256:/, JSON.stringify(r.msgs))
  const mine = reg.tokens!.requests.slice(asked)
  t.same(mine.map(q => [q.get('grant_type'), q.get('scope')]), [['refresh_token', 'repository:secret:pull,push']], 'one token for the push scope, traded for the identity token and reused')

  t.equal((await d.req('DELETE', `/images/${name}:v1`)).status, 200)
  const denied = await pullTag(d, name, 'v1')
  t.equal(denied.status, 404, 'anonymous: pull access denied')
  const wrongPull = await pullTag(d, name, 'v1', { username: 'bob', password: 'nope' })
  t.equal(wrongPull.status, 500)
  t.equal(wrongPull.message, 'unauthorized: incorrect username or password')
  const back = await pullTag(d, name, 'v1', { username: 'bob', password: PASS })
  t.equal(back.msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:v1`, JSON.stringify(back))
  const basicAsked = reg.tokens!.requests.at(-1)!
  t.equal(basicAsked.get('account'), 'bob', 'the token is asked for with the account, as Docker asks')
  await notOnDisk(t, d.dir, PASS)
  await notOnDisk(t, d.dir, ok.body.IdentityToken as string)
})

dockerTest(t, 'docker login, push, pull, logout', async t => {
  if (noRegistry !== false) { t.fail(noRegistry); return }
  const reg = await startRegistry(t, { htpasswd: { [USER]: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const env = dockerEnv(d)
  const name = `${reg.host}/cli/bb:v1`
  const bad = await execa(DOCKER, ['login', reg.host, '-u', USER, '--password-stdin'], { env, input: 'nope', reject: false })
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, `Error response from daemon: login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`)
  const login = await execa(DOCKER, ['login', reg.host, '-u', USER, '--password-stdin'], { env, input: PASS, reject: false })
  t.equal(login.exitCode, 0, login.stderr)
  t.match(login.stdout, /Login Succeeded/)
  const config = JSON.parse(await readFile(join(env.DOCKER_CONFIG!, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> }
  t.equal(Buffer.from(config.auths[reg.host]!.auth, 'base64').toString(), `${USER}:${PASS}`, 'the client keeps the credentials')

  t.equal((await execa(DOCKER, ['tag', 'bb', name], { env })).exitCode, 0)
  const p = await execa(DOCKER, ['push', name], { env, reject: false })
  t.equal(p.exitCode, 0, p.stderr)
  t.match(p.stdout, `The push refers to repository [${reg.host}/cli/bb]`)
  t.match(p.stdout, /: Pushed$/m)
  t.match(p.stdout, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/m)
  const id = (await execa(DOCKER, ['image', 'inspect', '--format', '{{.Id}}', name], { env })).stdout
  t.equal((await execa(DOCKER, ['rmi', name], { env })).exitCode, 0)
  const pl = await execa(DOCKER, ['pull', name], { env, reject: false })
  t.equal(pl.exitCode, 0, pl.stderr)
  t.equal((await execa(DOCKER, ['image', 'inspect', '--format', '{{.Id}}', name], { env })).stdout, id, 'pulled back: the same image')
  const again = await execa(DOCKER, ['push', name], { env, reject: false })
  t.match(again.stdout, /: Layer already exists$/m)

  const out = await execa(DOCKER, ['logout', reg.host], { env, reject: false })
  t.equal(out.exitCode, 0, out.stderr)
  await execa(DOCKER, ['rmi', name], { env })
  const anon = await execa(DOCKER, ['pull', name], { env, reject: false })
  t.not(anon.exitCode, 0)
  t.match(anon.stderr, 'no basic auth credentials')
  const missing = await execa(DOCKER, ['push', `${reg.host}/nosuch:v1`], { env, reject: false })
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, `An image does not exist locally with the tag: ${reg.host}/nosuch`)
})

dockerTest(t, 'docker login to a Bearer token registry keeps the identity token, and push and pull use it', async t => {
  if (noRegistry !== false) { t.fail(noRegistry); return }
  const reg = await startRegistry(t, { token: true, users: { bob: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const env = dockerEnv(d)
  const name = `${reg.host}/secret/bb:v1`
  const bad = await execa(DOCKER, ['login', reg.host, '-u', 'bob', '--password-stdin'], { env, input: 'nope', reject: false })
  t.not(bad.exitCode, 0)
  t.match(bad.stderr, 'unauthorized: incorrect username or password')
  const login = await execa(DOCKER, ['login', reg.host, '-u', 'bob', '--password-stdin'], { env, input: PASS, reject: false })
  t.equal(login.exitCode, 0, login.stderr)
  const config = JSON.parse(await readFile(join(env.DOCKER_CONFIG!, 'config.json'), 'utf8')) as { auths: Record<string, { identitytoken?: string }> }
  t.ok(reg.tokens!.refreshTokens.has(config.auths[reg.host]?.identitytoken ?? ''), 'the client keeps the identity token, not the password')
  await execa(DOCKER, ['tag', 'bb', name], { env })
  const asked = reg.tokens!.requests.length
  const p = await execa(DOCKER, ['push', name], { env, reject: false })
  t.equal(p.exitCode, 0, p.stderr)
  t.match(p.stdout, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/m)
  t.ok(reg.tokens!.requests.slice(asked).every(q => q.get('grant_type') === 'refresh_token'), 'the push traded the identity token')
  await execa(DOCKER, ['rmi', name], { env })
  const pl = await execa(DOCKER, ['pull', name], { env, reject: false })
  t.equal(pl.exitCode, 0, pl.stderr)
  t.match(pl.stdout, `Status: Downloaded newer image for ${name}`)
})

const PYTHON = '/usr/bin/python3'
t.test('docker-py: login, images.push and images.pull with auth_config', { skip: noRegistry !== false ? noRegistry : existsSync(PYTHON) ? false : 'python3 is not installed' }, async t => {
  const reg = await startRegistry(t, { htpasswd: { [USER]: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const script = `
import docker, json, sys
sock, host, user, pw = sys.argv[1:5]
c = docker.DockerClient(base_url='unix://' + sock, version='auto')
out = {}
try:
    c.login(username=user, password='nope', registry=host, reauth=True)
except docker.errors.APIError as e:
    out['bad'] = [e.status_code, e.explanation]
out['login'] = c.login(username=user, password=pw, registry=host, reauth=True)
c.images.get('bb').tag(host + '/py/bb', 'v1')
creds = {'username': user, 'password': pw}
lines = list(c.images.push(host + '/py/bb', tag='v1', auth_config=creds, stream=True, decode=True))
out['push'] = lines
c.images.remove(host + '/py/bb:v1')
img = c.images.pull(host + '/py/bb', tag='v1', auth_config=creds)
out['pulled'] = [img.id, img.attrs['RepoDigests']]
out['id'] = c.images.get('bb').id
print(json.dumps(out))
`
  const r = await execa(PYTHON, ['-c', script, d.socket, reg.host, USER, PASS], { reject: false, timeout: 120_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { bad: [number, string], login: { Status: string }, push: Msg[], pulled: [string, string[]], id: string }
  t.same(out.bad, [401, `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`])
  t.equal(out.login.Status, 'Login Succeeded')
  t.ok(out.push.some(m => m.status === 'Pushed'), JSON.stringify(out.push))
  const aux = out.push.at(-1)!.aux!
  t.equal(aux.Tag, 'v1')
  t.equal(out.pulled[0], out.id, 'pulled back: the same image')
  t.same(out.pulled[1], [`${reg.host}/py/bb@${aux.Digest}`])
})

t.test('dockerode: push and pull with authconfig and followProgress', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { htpasswd: { [USER]: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const docker = new Docker({ socketPath: d.socket })
  const authconfig = { username: USER, password: PASS, serveraddress: reg.host }
  const check = await docker.checkAuth(authconfig) as { Status: string }
  t.equal(check.Status, 'Login Succeeded')
  await docker.getImage('bb').tag({ repo: `${reg.host}/node/bb`, tag: 'v1' })
  const follow = async (s: NodeJS.ReadableStream): Promise<Msg[]> => await new Promise((resolve, reject) => {
    docker.modem.followProgress(s, (err: Error | null, out: Msg[]) => { if (err !== null) reject(err); else resolve(out) })
  })
  const pushed = await follow(await docker.getImage(`${reg.host}/node/bb`).push({ tag: 'v1', authconfig }))
  t.ok(pushed.some(m => m.status === 'Pushed'), JSON.stringify(pushed))
  t.equal(pushed.at(-1)!.aux!.Tag, 'v1')
  await docker.getImage(`${reg.host}/node/bb:v1`).remove()
  const pulled = await follow(await docker.pull(`${reg.host}/node/bb:v1`, { authconfig }))
  t.equal(pulled.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/node/bb:v1`)
  const bad = await follow(await docker.getImage(`${reg.host}/node/bb`).push({ tag: 'v1', authconfig: { ...authconfig, password: 'nope' } }))
  // followProgress hands the stream's error line over as output, where a program finds it.
  t.match(bad.at(-1)?.error, /unauthorized: authentication required/, 'a wrong password fails the push with the registry\'s reason')
})

t.test('login and push to a TLS registry: refused with Docker\'s x509 message, then trusted through certs.d', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { tls: true, htpasswd: { [USER]: PASS } })
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const name = `${reg.host}/sec`
  t.equal((await d.req('POST', `/images/bb/tag?repo=${name}&tag=v1`)).status, 201)
  const creds = { username: USER, password: PASS, serveraddress: reg.host }
  const x509 = `Get "https://${reg.host}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`

  const untrusted = await d.req('POST', '/auth', creds)
  t.equal(untrusted.status, 500)
  t.equal(untrusted.body.message, x509, 'a secure registry is never tried in plain HTTP')
  t.same(statuses((await push(d, name, 'v1', creds)).msgs), [`The push refers to repository [${name}]`, `error: ${x509}`])

  const certs = join(d.root, 'certs.d', reg.host)
  await mkdir(certs, { recursive: true })
  await copyFile(reg.certs!.caFile, join(certs, 'ca.crt'))
  const ok = await d.req('POST', '/auth', creds)
  t.same([ok.status, ok.body], [200, { Status: 'Login Succeeded', IdentityToken: '' }], 'the CA of certs.d is trusted without a restart')
  const pushed = await push(d, name, 'v1', creds)
  const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/.exec(statuses(pushed.msgs).at(-2) ?? '')
  t.ok(m, JSON.stringify(pushed.msgs))
  // What the registry stored is the manifest the push announced.
  const stored = await readFile(reg.blobFile(m![1]!))
  t.equal(`sha256:${createHash('sha256').update(stored).digest('hex')}`, m![1])
  t.same((await d.req('GET', `/images/${name}:v1/json`)).body.RepoDigests, [`${name}@${m![1]!}`])
})

t.test('what a push uploaded is remembered across a berthd restart: the next push finds the layer there and mounts it elsewhere', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t)
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const name = `${reg.host}/keep/bb`
  t.equal((await d.req('POST', `/images/bb/tag?repo=${name}&tag=v1`)).status, 201)
  t.ok(statuses((await push(d, name, 'v1')).msgs).includes('Pushed'), 'the first push uploads the layer')
  const record = JSON.parse(await readFile(join(d.root, 'images', 'registry-blobs.json'), 'utf8')) as { layers: Record<string, unknown[]> }
  t.equal(Object.keys(record.layers).length, 1, 'the layer\'s blob is recorded under the root')
  await d.stop()
  const d2 = await d.restart()
  t.equal((await d2.req('POST', `/images/bb/tag?repo=${name}&tag=v2`)).status, 201)
  const again = statuses((await push(d2, name, 'v2')).msgs)
  t.ok(again.includes('Layer already exists'), JSON.stringify(again))
  t.notOk(again.includes('Pushed'), 'nothing is uploaded again')
  t.equal((await d2.req('POST', `/images/bb/tag?repo=${reg.host}/other/bb&tag=v1`)).status, 201)
  const other = statuses((await push(d2, `${reg.host}/other/bb`, 'v1')).msgs)
  t.ok(other.includes('Mounted from keep/bb'), JSON.stringify(other))
})
