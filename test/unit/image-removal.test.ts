import t from 'tap'
import { createHash } from 'node:crypto'
import { chainIds, planRemoval, pruneOrder, removalItems, removedLayers, type RemovalRequest } from '../../src/images/removal.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const ID = `sha256:${'a'.repeat(64)}`
const BB = 'docker.io/library/bb'
const STOPPED = { id: 'c'.repeat(64), running: false }
const RUNNING = { id: 'c'.repeat(64), running: true }
const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`

t.test('prune: each reference untagged as moby\'s prune deletes them', async t => {
  t.same(pruneOrder([], []), [], 'a dangling image: nothing untagged')
  t.same(pruneOrder([`${BB}:latest`], [`${BB}@${D1}`]), [`${BB}:latest`, `${BB}@${D1}`], 'a pulled image: its tag, then its digest')
  t.same(pruneOrder([`${BB}:1`, `${BB}:latest`, 'localhost:5000/x/y:t'], [`${BB}@${D2}`, `localhost:5000/x/y@${D1}`]),
    [`${BB}:1`, `${BB}:latest`, `${BB}@${D2}`, 'localhost:5000/x/y:t', `localhost:5000/x/y@${D1}`],
    'a repository\'s digests follow its last tag; repositories in lexical order')
  t.same(pruneOrder(['docker.io/me/app:v1'], [`${BB}@${D1}`]), [`${BB}@${D1}`, 'docker.io/me/app:v1'], 'a digest of a repository without a tag stands in its own place')
})

t.test('delete: what moby\'s ImageDelete untags and whether the image goes', async t => {
  const req = (r: Partial<RemovalRequest>): RemovalRequest => ({ ref: 'x', id: ID, refs: [], force: false, ...r })
  const cases: Array<[string, Partial<RemovalRequest>, { untag: string[], remove: boolean } | RegExp]> = [
    ['the only tag of a pulled image: the tag, its repository\'s digest, then the image',
      { key: `${BB}:latest`, refs: [`${BB}@${D1}`, `${BB}:latest`] }, { untag: [`${BB}:latest`, `${BB}@${D1}`], remove: true }],
    ['one of two tags of a repository: the digest stays with the other tag',
      { key: `${BB}:latest`, refs: [`${BB}:1`, `${BB}:latest`, `${BB}@${D1}`] }, { untag: [`${BB}:latest`], remove: false }],
    ['the repository\'s last tag while another repository tags the image: its digests go, the image stays',
      { key: `${BB}:latest`, refs: [`${BB}:latest`, `${BB}@${D1}`, 'docker.io/library/other:1'] }, { untag: [`${BB}:latest`, `${BB}@${D1}`], remove: false }],
    ['a digest while the tag is there: only the digest',
      { key: `${BB}@${D1}`, refs: [`${BB}:latest`, `${BB}@${D1}`] }, { untag: [`${BB}@${D1}`], remove: false }],
    ['the last digest of an image pulled by digest: the digest, then the image',
      { key: `${BB}@${D1}`, refs: [`${BB}@${D1}`] }, { untag: [`${BB}@${D1}`], remove: true }],
    ['by id, one tag and its digests: all in lexical order, then the image',
      { refs: [`${BB}@${D2}`, `${BB}:latest`, `${BB}@${D1}`] }, { untag: [`${BB}:latest`, `${BB}@${D1}`, `${BB}@${D2}`], remove: true }],
    ['by id, two tags: refused without force',
      { refs: [`${BB}:1`, `${BB}:latest`] }, /^conflict: unable to delete aaaaaaaaaaaa \(must be forced\) - image is referenced in multiple repositories$/],
    ['by id, a tag and a digest of another repository: refused without force',
      { refs: [`${BB}:latest`, `docker.io/library/cc@${D1}`] }, /referenced in multiple repositories/],
    ['by id with force, two tags: every reference, then the image',
      { force: true, refs: [`${BB}:latest`, `${BB}:1`, `${BB}@${D1}`] }, { untag: [`${BB}:1`, `${BB}:latest`, `${BB}@${D1}`], remove: true }],
    ['by id, dangling: only the image', {}, { untag: [], remove: true }],
    ['the last reference of an image a container uses: refused without force',
      { ref: 'bb', key: `${BB}:latest`, refs: [`${BB}:latest`, `${BB}@${D1}`], user: STOPPED },
      /^conflict: unable to remove repository reference "bb" \(must force\) - container cccccccccccc is using its referenced image aaaaaaaaaaaa$/],
    ['... and with force untagged, the image kept, even while the container runs',
      { ref: 'bb', key: `${BB}:latest`, refs: [`${BB}:latest`, `${BB}@${D1}`], user: RUNNING, force: true }, { untag: [`${BB}:latest`, `${BB}@${D1}`], remove: false }],
    ['one of two tags of an image a container uses: untagged',
      { key: `${BB}:1`, refs: [`${BB}:1`, `${BB}:latest`], user: STOPPED }, { untag: [`${BB}:1`], remove: false }],
    ['by id, an image a stopped container uses: refused without force',
      { refs: [`${BB}:latest`], user: STOPPED }, /^conflict: unable to delete aaaaaaaaaaaa \(must be forced\) - image is being used by stopped container cccccccccccc$/],
    ['... with force untagged, the image kept for the container',
      { refs: [`${BB}:latest`, `${BB}@${D1}`], user: STOPPED, force: true }, { untag: [`${BB}:latest`, `${BB}@${D1}`], remove: false }],
    ['by id, an image a running container uses: refused even with force, before the multiple-repositories check',
      { refs: [`${BB}:1`, `${BB}:latest`], user: RUNNING, force: true }, /^conflict: unable to delete aaaaaaaaaaaa \(cannot be forced\) - image is being used by running container cccccccccccc$/],
    ['by id, two tags and a stopped container: the multiple repositories first, as moby checks',
      { refs: [`${BB}:1`, `${BB}:latest`], user: STOPPED }, /image is referenced in multiple repositories$/]
  ]
  for (const [name, r, want] of cases) {
    if (want instanceof RegExp) t.throws(() => planRemoval(req(r)), { code: 'CONFLICT', message: want }, name)
    else t.same(planRemoval(req(r)), want, name)
  }
})

t.test('layers: chain ids, and those no other image has, top first', async t => {
  const [a, b, c] = [D1, D2, `sha256:${'3'.repeat(64)}`]
  const ab = sha(`${a} ${b}`)
  t.same(chainIds([]), [])
  t.same(chainIds([a, b, c]), [a, ab, sha(`${ab} ${c}`)], 'image-spec ChainID: the first diffID, then sha256("<parent> <diffID>")')
  t.same(removedLayers([a, b], []), [{ chainId: ab, diffId: b }, { chainId: a, diffId: a }], 'an image alone: every layer, top first')
  t.same(removedLayers([a, b], [[a]]), [{ chainId: ab, diffId: b }], 'the base another image has stays')
  t.same(removedLayers([a, b], [[b, a]]), [{ chainId: ab, diffId: b }, { chainId: a, diffId: a }], 'the same diffIDs on other parents are other layers')
  t.same(removedLayers([a, b], [[a, b, c]]), [], 'a child image keeps the whole chain')
})

t.test('items: untags in order, then the image, then its layers', async t => {
  t.same(removalItems([`${BB}:latest`, `localhost:5000/x@${D1}`], { id: ID, layers: [{ chainId: D2 }] }),
    [{ Untagged: 'bb:latest' }, { Untagged: `localhost:5000/x@${D1}` }, { Deleted: ID }, { Deleted: D2 }])
  t.same(removalItems([`${BB}:latest`]), [{ Untagged: 'bb:latest' }], 'untagged only')
})
