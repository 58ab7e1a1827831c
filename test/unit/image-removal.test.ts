import t from 'tap'
import { removalItems } from '../../src/images/removal.js'

const D1 = `sha256:${'1'.repeat(64)}`
const D2 = `sha256:${'2'.repeat(64)}`
const ID = `sha256:${'a'.repeat(64)}`

t.test('an image removed whole: each reference untagged as moby\'s prune reports it, then the image', async t => {
  t.same(removalItems(ID, [], []), [{ Deleted: ID }], 'a dangling image: only deleted')
  t.same(removalItems(ID, ['docker.io/library/bb:latest'], [`docker.io/library/bb@${D1}`]),
    [{ Untagged: 'bb:latest' }, { Untagged: `bb@${D1}` }, { Deleted: ID }], 'a pulled image: its tag, then its digest')
  t.same(removalItems(ID, ['docker.io/library/bb:1', 'docker.io/library/bb:latest', 'localhost:5000/x/y:t'], [`docker.io/library/bb@${D2}`, `localhost:5000/x/y@${D1}`]),
    [{ Untagged: 'bb:1' }, { Untagged: 'bb:latest' }, { Untagged: `bb@${D2}` }, { Untagged: 'localhost:5000/x/y:t' }, { Untagged: `localhost:5000/x/y@${D1}` }, { Deleted: ID }],
    'a repository\'s digests follow its last tag; repositories in lexical order')
  t.same(removalItems(ID, ['docker.io/me/app:v1'], [`docker.io/library/bb@${D1}`]),
    [{ Untagged: `bb@${D1}` }, { Untagged: 'me/app:v1' }, { Deleted: ID }], 'a digest of a repository without a tag stands in its own place')
})
