import t from 'tap'
import { boolFilter, labelMatches, volumeMatches } from '../../src/volumes/filters.js'
import { BerthError } from '../../src/errors.js'

const v = { name: 'db-data', driver: 'local', labels: { app: 'shop', tier: '' }, inUse: false }
const f = (o: Record<string, string[]>) => new Map(Object.entries(o))

t.test('volume list filters (moby volume/service/convert.go)', async t => {
  t.ok(volumeMatches(v, f({})), 'no filter: everything')
  t.ok(volumeMatches(v, f({ name: ['^db-'] })), 'name is a regexp')
  t.ok(volumeMatches(v, f({ name: ['nope', 'data'] })), 'values of one key are alternatives')
  t.notOk(volumeMatches(v, f({ name: ['^data'] })))
  t.notOk(volumeMatches(v, f({ name: ['('] })), 'a bad regexp matches nothing')
  t.ok(volumeMatches(v, f({ driver: ['local'] })))
  t.notOk(volumeMatches(v, f({ driver: ['loc'] })), 'driver: exact')
  t.ok(volumeMatches(v, f({ label: ['app', 'tier='] })), 'labels: all of them, key or key=value')
  t.notOk(volumeMatches(v, f({ label: ['app', 'env'] })))
  t.ok(volumeMatches(v, f({ dangling: ['true'] })))
  t.notOk(volumeMatches({ ...v, inUse: true }, f({ dangling: ['1'] })))
  t.ok(volumeMatches({ ...v, inUse: true }, f({ dangling: ['false'] })))
  t.throws(() => volumeMatches(v, f({ dangling: ['yes'] })), new BerthError('INVALID_ARGUMENT', 'invalid filter \'dangling=yes\''))
  t.ok(labelMatches({ a: 'b=c' }, 'a=b=c'), 'the value may hold =')
  t.equal(boolFilter('all', '0'), false)
})
