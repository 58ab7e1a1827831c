import t from 'tap'
import { normalizeName, isSafeRef, generateName, isId, newId, NAME_PATTERN } from '../../src/containers/names.js'

t.test('normalizeName', async t => {
  const ok: Array<[string, string]> = [
    ['web', 'web'],
    ['/web', 'web'],
    ['a1', 'a1'],
    ['My_App.v2-x', 'My_App.v2-x'],
    ['0abc', '0abc'],
    ['a'.repeat(253), 'a'.repeat(253)]
  ]
  for (const [input, want] of ok) t.equal(normalizeName(input), want, JSON.stringify(input.slice(0, 20)))
  const bad = ['', 'a', '/', '/a', '//web', '_web', '.web', '-web', 'we b', 'web/x', '../x', 'wéb', 'web\n', 'a'.repeat(254)]
  for (const input of bad) {
    t.throws(() => normalizeName(input), { code: 'INVALID_ARGUMENT', message: /Invalid container name/ }, JSON.stringify(input.slice(0, 20)))
  }
  t.equal(NAME_PATTERN, '^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$')
})

t.test('isSafeRef', async t => {
  for (const ref of ['web', '/web', 'a', 'abc123', 'a.b-c_d', 'a'.repeat(254), 'x..y']) t.equal(isSafeRef(ref), true, JSON.stringify(ref.slice(0, 20)))
  for (const ref of ['', '/', '../x', '..', '.', 'a/b', '/a/b', '//a', 'a b', '-x', 'a\0b', 'a'.repeat(255)]) t.equal(isSafeRef(ref), false, JSON.stringify(ref.slice(0, 20)))
})

t.test('ids', async t => {
  const id = newId()
  t.match(id, /^[0-9a-f]{64}$/)
  t.equal(isId(id), true)
  t.not(newId(), id)
  t.equal(isId(id.slice(1)), false)
  t.equal(isId(id.toUpperCase()), false)
  t.equal(isId(`${id}0`), false)
})

t.test('generateName', async t => {
  for (let i = 0; i < 50; i++) {
    const n = generateName(() => false)
    t.match(n, /^[a-z]+_[a-z]+$/)
    t.doesNotThrow(() => normalizeName(n), 'valid name')
  }
  // the first ten tries are plain names, then a number is added
  const seen: string[] = []
  const n = generateName(name => { seen.push(name); return seen.length <= 10 })
  t.equal(seen.length, 11)
  for (const s of seen.slice(0, 10)) t.match(s, /^[a-z]+_[a-z]+$/)
  t.match(n, /^[a-z]+_[a-z]+10$/)
  // taken names are never returned
  const taken = new Set<string>()
  for (let i = 0; i < 30; i++) taken.add(generateName(x => taken.has(x)))
  t.equal(taken.size, 30, 'all distinct')
})
