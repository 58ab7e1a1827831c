import t from 'tap'
import { overlayOptions } from '../../src/containers/rootfs.js'
import { rootfsPaths } from '../../src/store/layout.js'

t.test('overlayOptions: lowerdirs top first', async t => {
  const p = rootfsPaths('/c')
  t.equal(overlayOptions(['/l/base', '/l/mid', '/l/top'], p), 'lowerdir=/l/top:/l/mid:/l/base,upperdir=/c/rootfs/upper,workdir=/c/rootfs/work')
  t.equal(overlayOptions(['/l/only'], p), 'lowerdir=/l/only,upperdir=/c/rootfs/upper,workdir=/c/rootfs/work')
  const layers = ['/l/a']
  overlayOptions(layers, p)
  t.same(layers, ['/l/a'], 'the caller\'s list is not reordered')
})

t.test('overlayOptions: what the kernel cannot take is refused', async t => {
  const p = rootfsPaths('/c')
  t.throws(() => overlayOptions([], p), /without layers/)
  t.throws(() => overlayOptions(['/l/a:b'], p), /cannot hold/)
  t.throws(() => overlayOptions(['/l/a,b'], p), /cannot hold/)
  t.throws(() => overlayOptions(Array.from({ length: 80 }, (_, i) => `/var/lib/berth/images/layers/${String(i).padStart(64, '0')}`), p), /too many layers/)
})
