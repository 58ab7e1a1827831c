import t from 'tap'
import { bool, splitVersion, versionError, API_VERSION, MIN_API_VERSION } from '../../src/api/docker.js'

t.test('bool', async t => {
  for (const v of ['1', 'true', 'True', 'TRUE', 'yes', 'on', 'anything', ' 1 ']) {
    t.equal(bool(v), true, JSON.stringify(v))
    t.equal(bool(v, true), true, `${JSON.stringify(v)} default true`)
  }
  for (const v of ['', '0', 'no', 'false', 'none', 'False', 'NO', 'None', ' false ', '  ']) {
    t.equal(bool(v), false, JSON.stringify(v))
    t.equal(bool(v, true), false, `${JSON.stringify(v)} ignores default`)
  }
  t.equal(bool(undefined), false, 'undefined -> false by default')
  t.equal(bool(undefined, true), true, 'undefined -> given default')
  t.equal(bool(undefined, false), false)
})

t.test('splitVersion', async t => {
  const rows: Array<[string, { version?: string, url: string }]> = [
    ['/v1.44/containers/json', { version: '1.44', url: '/containers/json' }],
    ['/v1.24/_ping', { version: '1.24', url: '/_ping' }],
    ['/v1.41/containers/abc/logs?stdout=1', { version: '1.41', url: '/containers/abc/logs?stdout=1' }],
    ['/v1.44', { version: '1.44', url: '/' }],
    ['/v1.44/', { version: '1.44', url: '/' }],
    ['/v10.0/x', { version: '10.0', url: '/x' }],
    ['/containers/json', { url: '/containers/json' }],
    ['/_ping', { url: '/_ping' }],
    ['/v1/containers', { url: '/v1/containers' }],
    ['/v1.44containers', { url: '/v1.44containers' }],
    ['/vx.y/containers', { url: '/vx.y/containers' }],
    ['/', { url: '/' }]
  ]
  for (const [url, want] of rows) t.same(splitVersion(url), want, url)
  t.notOk('version' in splitVersion('/containers/json'), 'no version key when unversioned')
})

t.test('versionError', async t => {
  t.equal(API_VERSION, '1.44')
  t.equal(MIN_API_VERSION, '1.24')
  for (const v of ['1.24', '1.25', '1.40', '1.41', '1.43', '1.44']) t.equal(versionError(v), undefined, v)
  t.equal(versionError('1.45'), 'client version 1.45 is too new. Maximum supported API version is 1.44')
  t.equal(versionError('2.0'), 'client version 2.0 is too new. Maximum supported API version is 1.44')
  t.equal(versionError('1.100'), 'client version 1.100 is too new. Maximum supported API version is 1.44', 'minor compared numerically')
  t.equal(versionError('1.23'), 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version')
  t.equal(versionError('1.5'), 'client version 1.5 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version', '1.5 < 1.24')
  t.match(versionError('0.99'), /too old/)
})
