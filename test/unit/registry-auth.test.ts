/** Pure parts of registry credentials: AuthConfig documents, X-Registry-Auth, login server addresses, token refusals. */
import t from 'tap'
import { authConfig, decodeAuthHeader, loginDomain, tokenRefusal } from '../../src/registry/auth.js'

const b64url = (s: string): string => Buffer.from(s).toString('base64url')

t.test('AuthConfig: fields as clients send them, auth for username and password, anonymous when empty', async t => {
  t.same(authConfig({ username: 'u', password: 'p', serveraddress: 'h:1' }), { username: 'u', password: 'p', serveraddress: 'h:1' })
  t.same(authConfig({ Username: 'u', PASSWORD: 'p' }), { username: 'u', password: 'p' }, 'keys match case-insensitively, as Go decodes them')
  t.same(authConfig({ auth: Buffer.from('u:p:q').toString('base64') }), { auth: Buffer.from('u:p:q').toString('base64'), username: 'u', password: 'p:q' })
  t.same(authConfig({ identitytoken: 'tok' }), { identitytoken: 'tok' })
  t.same(authConfig({ registrytoken: 'rt' }), { registrytoken: 'rt' })
  t.equal(authConfig({}), undefined)
  t.equal(authConfig({ username: '', password: '', email: 'x@y' }), undefined, 'no credential: anonymous')
  t.throws(() => authConfig([]), { code: 'INVALID_ARGUMENT' })
  t.throws(() => authConfig({ username: 1 }), { code: 'INVALID_ARGUMENT', message: /username must be a string/ })
  t.throws(() => authConfig({ auth: Buffer.from('nocolon').toString('base64') }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => authConfig({ registrytoken: 'a\u0002b' }), { code: 'INVALID_ARGUMENT', message: /registrytoken must be printable ASCII/ }, 'a token no header can carry')
  t.same(authConfig({ username: 'ü\u0002', password: '\r\n' }), { username: 'ü\u0002', password: '\r\n' }, 'a username and password go base64-encoded: anything will do')
})

t.test('X-Registry-Auth: base64url or base64 JSON; absent, empty or {} is anonymous; anything else a 400', async t => {
  t.equal(decodeAuthHeader(undefined), undefined)
  t.equal(decodeAuthHeader(''), undefined)
  t.equal(decodeAuthHeader(b64url('{}')), undefined)
  const doc = JSON.stringify({ username: 'ü?>', password: '~~~???' })
  t.same(decodeAuthHeader(b64url(doc)), { username: 'ü?>', password: '~~~???' })
  t.same(decodeAuthHeader(Buffer.from(doc).toString('base64')), { username: 'ü?>', password: '~~~???' }, 'standard base64 too')
  t.throws(() => decodeAuthHeader('{"username":"u"}'), { code: 'INVALID_ARGUMENT', message: /X-Registry-Auth/ })
  t.throws(() => decodeAuthHeader(b64url('"just a string"')), { code: 'INVALID_ARGUMENT' })
})

t.test('login server addresses: Docker Hub\'s index is docker.io, others are host[:port]', async t => {
  t.equal(loginDomain(undefined), 'docker.io')
  t.equal(loginDomain('https://index.docker.io/v1/'), 'docker.io')
  t.equal(loginDomain('127.0.0.1:5000'), '127.0.0.1:5000')
  t.equal(loginDomain('http://127.0.0.1:5000/'), '127.0.0.1:5000')
  t.equal(loginDomain('Registry.Example'), 'registry.example')
})

t.test('token refusals: Docker Hub\'s details, distribution\'s errors, or the text', async t => {
  t.equal(tokenRefusal(401, '{"details":"incorrect username or password"}'), 'unauthorized: incorrect username or password')
  t.equal(tokenRefusal(401, '{"errors":[{"code":"UNAUTHORIZED","message":"bad"}]}'), 'unauthorized: bad')
  t.equal(tokenRefusal(403, 'go away'), 'unauthorized: go away')
  t.equal(tokenRefusal(500, ''), 'the token server answered 500')
})
