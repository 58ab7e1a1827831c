/** Pure parts of registry pulls: pull references, platforms, auth challenges, registry URLs. */
import t from 'tap'
import { parsePullRef, splitDomain } from '../../src/images/reference.js'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseChallenge, parseContentRange } from '../../src/registry/client.js'
import { checkInsecure, endpointsFor, isInsecure, normalizeMirror, registryInfo } from '../../src/registry/hosts.js'
import { familiarRef, parsePlatform, pickPlatform } from '../../src/registry/pull.js'

const D = `sha256:${'a'.repeat(64)}`

t.test('pull references: name, name:tag, name@digest, and a tag param that is either', async t => {
  t.same(parsePullRef('bb', 'latest'), { name: 'docker.io/library/bb', tag: 'latest' })
  t.same(parsePullRef('bb', ''), { name: 'docker.io/library/bb', tag: 'latest' })
  t.same(parsePullRef('127.0.0.1:5000/a/b:v1'), { name: '127.0.0.1:5000/a/b', tag: 'v1' })
  t.same(parsePullRef(`bb@${D}`), { name: 'docker.io/library/bb', digest: D })
  t.same(parsePullRef('bb', D), { name: 'docker.io/library/bb', digest: D }, 'the CLI sends a digest as tag=')
  t.same(parsePullRef(`bb:1@${D}`), { name: 'docker.io/library/bb', tag: '1', digest: D })
  for (const [from, tag] of [['bb@sha256:00', undefined], ['BB', 'latest'], ['bb', 'bad tag'], ['', 'x']] as const) {
    t.throws(() => parsePullRef(from, tag), { code: 'INVALID_ARGUMENT' }, `${from} ${tag ?? ''}`)
  }
  t.same(splitDomain('docker.io/library/bb'), { domain: 'docker.io', path: 'library/bb' })
  t.equal(familiarRef({ name: 'docker.io/library/bb', tag: 'latest' }), 'bb:latest')
  t.equal(familiarRef({ name: 'localhost:5000/x', digest: D }), `localhost:5000/x@${D}`)
})

t.test('registry endpoints: insecure ones by unverified HTTPS then HTTP, certs.d CAs added, docker.io mirrors first', async t => {
  const certsDir = await mkdtemp(join(tmpdir(), 'berth-certs-'))
  t.teardown(() => rm(certsDir, { recursive: true, force: true }))
  await mkdir(join(certsDir, '[::1]:5000'))
  await writeFile(join(certsDir, '[::1]:5000', 'ca.crt'), 'CA PEM')
  const hosts = { mirrors: ['http://127.0.0.1:6000/', 'https://mirror.example/'], insecure: ['reg.example:5000', '10.1.0.0/16'], certsDir }
  const bases = (d: string): string[] => endpointsFor(d, hosts).map(e => `${e.base}${e.tls === undefined ? '' : e.tls.verify ? ' verify' : ' noverify'}${e.mirror ? ' mirror' : ''}`)
  t.same(bases('127.0.0.1:5000'), ['https://127.0.0.1:5000 noverify', 'http://127.0.0.1:5000'], '127.0.0.0/8 is insecure by default')
  t.same(bases('127.3.2.1'), ['https://127.3.2.1 noverify', 'http://127.3.2.1'])
  t.same(bases('localhost:5000'), ['https://localhost:5000 noverify', 'http://localhost:5000'])
  t.same(bases('reg.example:5000'), ['https://reg.example:5000 noverify', 'http://reg.example:5000'], 'named with --insecure-registry')
  t.same(bases('10.1.2.3:443'), ['https://10.1.2.3:443 noverify', 'http://10.1.2.3:443'], 'inside an insecure CIDR')
  t.same(bases('registry.example:5000'), ['https://registry.example:5000 verify'])
  t.same(bases('127.example'), ['https://127.example verify'])
  t.same(bases('[::1]:5000'), ['https://[::1]:5000 verify'], '::1 is not in Docker\'s default insecure CIDR')
  t.equal(endpointsFor('[::1]:5000', hosts)[0]!.tls!.ca!.at(-1), 'CA PEM', 'certs.d adds its CA')
  t.ok(endpointsFor('[::1]:5000', hosts)[0]!.tls!.ca!.length > 1, 'to the system\'s')
  t.equal(endpointsFor('registry.example:5000', hosts)[0]!.tls!.ca, undefined, 'no certs.d dir: the system\'s CAs')
  t.same(bases('docker.io'), ['http://127.0.0.1:6000 mirror', 'https://mirror.example verify mirror', 'https://registry-1.docker.io verify'])
  t.same(bases('quay.io'), ['https://quay.io verify'], 'mirrors are for docker.io only')
  t.ok(isInsecure('[::1]:5000', ['::1/128']))
  t.notOk(isInsecure('reg.example:5001', ['reg.example:5000']))
})

t.test('daemon registry options: mirrors normalised, bad values refused, /info RegistryConfig', async t => {
  t.equal(normalizeMirror('https://mirror.example'), 'https://mirror.example/')
  t.equal(normalizeMirror('http://127.0.0.1:5000/'), 'http://127.0.0.1:5000/')
  t.throws(() => normalizeMirror('https://mirror.example/v2/'), /invalid mirror: path, query, or fragment/)
  t.throws(() => normalizeMirror('ftp://mirror.example'), /invalid mirror: unsupported scheme "ftp"/)
  t.throws(() => normalizeMirror('mirror'), /invalid mirror/)
  t.doesNotThrow(() => checkInsecure('reg.example:5000'))
  t.doesNotThrow(() => checkInsecure('10.0.0.0/8'))
  t.throws(() => checkInsecure('http://reg.example'), /should not contain '::\/\/'|should not contain/)
  t.throws(() => checkInsecure('10.0.0.0/99'), /not a valid CIDR/)
  const info = registryInfo({ mirrors: ['https://m.example/'], insecure: ['reg.example:5000', '10.0.0.0/8'], certsDir: '/x' }) as any
  t.same(info.InsecureRegistryCIDRs, ['127.0.0.0/8', '10.0.0.0/8'])
  t.same(info.Mirrors, ['https://m.example/'])
  t.same(info.IndexConfigs['docker.io'], { Name: 'docker.io', Mirrors: ['https://m.example/'], Secure: true, Official: true })
  t.same(info.IndexConfigs['reg.example:5000'], { Name: 'reg.example:5000', Mirrors: [], Secure: false, Official: false })
})

t.test('Content-Range of a 206', async t => {
  t.same(parseContentRange('bytes 100-199/200'), { start: 100, total: 200 })
  t.same(parseContentRange('bytes 5-9/*'), { start: 5, total: 0 })
  t.equal(parseContentRange('bytes */200'), undefined)
})

t.test('WWW-Authenticate challenges: scheme and quoted or bare parameters', async t => {
  t.same(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/bb:pull"'),
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/bb:pull' } })
  t.same(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } })
  t.same(parseChallenge('bearer realm=http://x/t, error="insufficient_scope"'), { scheme: 'bearer', params: { realm: 'http://x/t', error: 'insufficient_scope' } })
  t.equal(parseChallenge(''), undefined)
})

t.test('platforms: parsed from platform=, picked from a list by os, architecture and variant', async t => {
  t.same(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' })
  t.same(parsePlatform('Linux/AMD64'), { os: 'linux', architecture: 'amd64' })
  t.throws(() => parsePlatform('linux//v7'), { code: 'INVALID_ARGUMENT' })
  t.throws(() => parsePlatform('a/b/c/d'), { code: 'INVALID_ARGUMENT' })
  const list = [
    { digest: 'amd', platform: { os: 'linux', architecture: 'amd64' } },
    { digest: 'v6', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { digest: 'v7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { digest: 'a64', platform: { os: 'linux', architecture: 'arm64' } },
    { digest: 'win', platform: { os: 'windows', architecture: 'amd64' } }
  ]
  t.equal(pickPlatform(list, { os: 'linux', architecture: 'amd64' })?.digest, 'amd')
  t.equal(pickPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, 'v7')
  t.equal(pickPlatform(list, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, 'a64', 'arm64 without a variant is v8')
  t.equal(pickPlatform(list, { os: 'windows', architecture: 'amd64' })?.digest, 'win')
  t.equal(pickPlatform(list, { os: 'linux', architecture: 's390x' }), undefined)
  t.equal(pickPlatform(list, { os: 'linux', architecture: 'arm', variant: 'v5' }), undefined)
})
