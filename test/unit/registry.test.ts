/** Pure parts of registry pulls: pull references, platforms, auth challenges, registry URLs. */
import t from 'tap'
import { parsePullRef, splitDomain } from '../../src/images/reference.js'
import { parseChallenge, registryBase } from '../../src/registry/client.js'
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

t.test('registry URLs: loopback in plain HTTP, docker.io at registry-1, the rest in HTTPS', async t => {
  t.equal(registryBase('127.0.0.1:5000'), 'http://127.0.0.1:5000')
  t.equal(registryBase('127.3.2.1'), 'http://127.3.2.1')
  t.equal(registryBase('localhost:5000'), 'http://localhost:5000')
  t.equal(registryBase('docker.io'), 'https://registry-1.docker.io')
  t.equal(registryBase('registry.example:5000'), 'https://registry.example:5000')
  t.equal(registryBase('127.example'), 'https://127.example')
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
