/** Pure parts of the image store: references, import changes, whiteouts, path checks, image paths. */
import t from 'tap'
import { familiarKey, familiarName, fullIdHex, parseNamed, parseRepoTag } from '../../src/images/reference.js'
import { applyChanges, splitWords } from '../../src/images/changes.js'
import { entryPath, whiteoutOf } from '../../src/images/tar.js'
import { referenceMatches } from '../../src/images/view.js'
import { imagePath } from '../../src/api/routes/images.js'

t.test('references are normalised as Docker does', async t => {
  t.same(parseNamed('bb'), { name: 'docker.io/library/bb', tag: 'latest' })
  t.same(parseNamed('library/bb:1'), { name: 'docker.io/library/bb', tag: '1' })
  t.same(parseNamed('docker.io/library/bb:x'), { name: 'docker.io/library/bb', tag: 'x' })
  t.same(parseNamed('index.docker.io/me/bb'), { name: 'docker.io/me/bb', tag: 'latest' })
  t.same(parseNamed('localhost/x'), { name: 'localhost/x', tag: 'latest' })
  t.same(parseNamed('localhost:5000/a/b:v1.2'), { name: 'localhost:5000/a/b', tag: 'v1.2' })
  t.same(parseNamed('Registry.Example/a'), { name: 'Registry.Example/a', tag: 'latest' })
  t.equal(familiarName('docker.io/library/bb'), 'bb')
  t.equal(familiarName('docker.io/me/bb'), 'me/bb')
  t.equal(familiarName('localhost/x'), 'localhost/x')
  t.equal(familiarKey('docker.io/library/bb:latest'), 'bb:latest')
  t.equal(fullIdHex(`sha256:${'a'.repeat(64)}`), 'a'.repeat(64))
  t.equal(fullIdHex('a'.repeat(64)), 'a'.repeat(64))
  t.equal(fullIdHex('abc'), undefined)
  for (const bad of ['Bb', 'bb:', 'bb::x', '-bb', 'a/../b', 'bb@sha256:00', 'a'.repeat(64), 'bb:-x', 'x/', '']) {
    t.throws(() => parseNamed(bad), { code: 'INVALID_ARGUMENT' }, bad)
  }
  t.throws(() => parseRepoTag('UPPER', 'x'), { code: 'INVALID_ARGUMENT', message: /must be lowercase/ })
  t.throws(() => parseRepoTag('ok', 'bad tag'), { code: 'INVALID_ARGUMENT', message: /invalid tag format/ })
  t.same(parseRepoTag('me/ok', undefined), { name: 'docker.io/me/ok', tag: 'latest' })
  t.same(parseRepoTag('ok:v2', ''), { name: 'docker.io/library/ok', tag: 'v2' })
})

t.test('import changes: Dockerfile syntax, JSON and shell forms', async t => {
  const c = applyChanges({ Env: ['A=0'] }, [
    'CMD ["sh", "-c", "echo hi"]',
    'entrypoint /bin/init --flag',
    'ENV A=1 B="two words"',
    'ENV LEGACY some value',
    'LABEL a=b "c d"=e',
    'EXPOSE 80 53/udp',
    'WORKDIR /srv',
    'WORKDIR app',
    'USER nobody',
    'STOPSIGNAL SIGINT',
    'VOLUME ["/data"]'
  ])
  t.same(c.Cmd, ['sh', '-c', 'echo hi'])
  t.same(c.Entrypoint, ['/bin/sh', '-c', '/bin/init --flag'])
  t.same(c.Env, ['A=1', 'B=two words', 'LEGACY=some value'])
  t.same(c.Labels, { a: 'b', 'c d': 'e' })
  t.same(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} })
  t.equal(c.WorkingDir, '/srv/app')
  t.equal(c.User, 'nobody')
  t.equal(c.StopSignal, 'SIGINT')
  t.same(c.Volumes, { '/data': {} })
  t.throws(() => applyChanges({}, ['RUN echo']), { code: 'INVALID_ARGUMENT', message: 'RUN is not a valid change command' })
  t.throws(() => applyChanges({}, ['EXPOSE eighty']), { code: 'INVALID_ARGUMENT' })
  t.throws(() => applyChanges({}, ['LABEL novalue']), { code: 'INVALID_ARGUMENT' })
  t.same(splitWords('a "b c" d\\ e \'f g\''), ['a', 'b c', 'd e', 'f g'])
})

t.test('entry paths: relative, no escapes', async t => {
  t.equal(entryPath('./a/b'), 'a/b')
  t.equal(entryPath('/etc/passwd'), 'etc/passwd')
  t.equal(entryPath('./'), '')
  t.equal(entryPath('a//b/./c/'), 'a/b/c')
  for (const bad of ['../x', 'a/../../x', '/..', 'a/..']) t.throws(() => entryPath(bad), { code: 'INVALID_ARGUMENT' }, bad)
})

t.test('whiteouts map to overlay whiteouts and opaque dirs', async t => {
  t.same(whiteoutOf('etc/.wh.passwd'), { kind: 'remove', path: 'etc/passwd' })
  t.same(whiteoutOf('.wh.top'), { kind: 'remove', path: 'top' })
  t.same(whiteoutOf('usr/share/.wh..wh..opq'), { kind: 'opaque', dir: 'usr/share' })
  t.same(whiteoutOf('.wh..wh..opq'), { kind: 'opaque', dir: '' })
  t.same(whiteoutOf('.wh..wh.plnk/1'), undefined)
  t.same(whiteoutOf('x/.wh..wh.aufs'), { kind: 'ignore' })
  t.equal(whiteoutOf('etc/passwd'), undefined)
  t.equal(whiteoutOf('etc/x.wh.y'), undefined)
})

t.test('image names with slashes reach the {name} routes', async t => {
  t.equal(imagePath('GET', '/images/library/bb/json'), '/images/library%2Fbb/json')
  t.equal(imagePath('GET', '/images/localhost:5000/a/b:v1/history?x=1'), '/images/localhost:5000%2Fa%2Fb:v1/history?x=1')
  t.equal(imagePath('POST', '/images/me/bb/tag?repo=a/b&tag=c'), '/images/me%2Fbb/tag?repo=a/b&tag=c')
  t.equal(imagePath('DELETE', '/images/me/bb?force=1'), '/images/me%2Fbb?force=1')
  t.equal(imagePath('GET', '/images/bb/json'), '/images/bb/json')
  t.equal(imagePath('GET', '/images/json'), '/images/json')
  t.equal(imagePath('GET', '/images/get?names=a/b'), '/images/get?names=a/b')
  t.equal(imagePath('GET', '/containers/a/json'), '/containers/a/json')
})

t.test('reference filter globs', async t => {
  t.ok(referenceMatches('bb', ['bb:latest']))
  t.ok(referenceMatches('bb:*', ['bb:v1']))
  t.ok(referenceMatches('me/*', ['me/x:1']))
  t.notOk(referenceMatches('b', ['bb:latest']))
  t.notOk(referenceMatches('*', ['me/x:1']))
})
