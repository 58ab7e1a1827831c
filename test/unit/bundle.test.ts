import t, { type Test } from 'tap'
import { mkdir, mkdtemp, rm, symlink, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleFields, mountDestinations, readBundle, runSpec, writeResources } from '../../src/containers/bundle.js'

async function bundleDir (t: Test, spec: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bundle-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'real-rootfs'))
  await symlink('real-rootfs', join(dir, 'rootfs'))
  await writeFile(join(dir, 'config.json'), typeof spec === 'string' ? spec : JSON.stringify(spec))
  return dir
}

t.test('readBundle: every problem is a 400 that names it', async t => {
  await t.rejects(readBundle('relative/b'), { code: 'INVALID_ARGUMENT', message: 'bundle path must be absolute: relative/b' })
  await t.rejects(readBundle(await bundleDir(t, '{')), { code: 'INVALID_ARGUMENT', message: /config.json does not parse/ })
  await t.rejects(readBundle(await bundleDir(t, '[]')), { code: 'INVALID_ARGUMENT', message: /config.json is not an object/ })
  await t.rejects(readBundle(await bundleDir(t, { process: { args: [] } })), { code: 'INVALID_ARGUMENT', message: /config.json has no process.args/ })
  const ok = await bundleDir(t, { process: { args: ['sh'] } })
  t.same(await readBundle(ok), { process: { args: ['sh'] } })
})

t.test('bundleFields: the record fields a user\'s bundle gives', async t => {
  t.same(bundleFields({ process: { args: ['sh', '-c', 'x'], env: ['A=1'], cwd: '/w', user: { uid: 5 }, terminal: true }, hostname: 'h' }),
    { terminal: true, path: 'sh', args: ['-c', 'x'], env: ['A=1'], cwd: '/w', hostname: 'h', user: '5:0' })
  t.same(bundleFields({}), { terminal: false, path: '', args: [], env: [], cwd: '/', hostname: '', user: '' })
})

t.test('runSpec: root.path made real and absolute, terminal and size from the record', async t => {
  const dir = await bundleDir(t, {})
  const text = await runSpec({ bundle: dir, tty: true, consoleSize: [30, 100] }, { process: { args: ['sh'], terminal: false }, root: { path: 'rootfs' }, hostname: 'h' })
  const spec = JSON.parse(text)
  t.equal(spec.root.path, join(dir, 'real-rootfs'), 'through the symlink, as runc wants it')
  t.same(spec.process, { args: ['sh'], terminal: true, consoleSize: { height: 30, width: 100 } })
  t.equal(spec.hostname, 'h', 'the rest is kept')
  const plain = JSON.parse(await runSpec({ bundle: dir, tty: false, consoleSize: [30, 100] }, { process: { args: ['sh'] } }))
  t.same(plain.process, { args: ['sh'], terminal: false }, 'no size without a terminal; root.path defaults to rootfs')
  await t.rejects(runSpec({ bundle: dir, tty: false }, { root: { path: 'missing' } }), { code: 'INVALID_ARGUMENT', message: `bundle ${dir}: root.path missing does not exist` })
})

t.test('writeResources merges into linux.resources; mountDestinations lists mount points', async t => {
  const dir = await bundleDir(t, { process: { args: ['sh'] }, linux: { resources: { pids: { limit: 5 } }, namespaces: [] } })
  await writeResources(dir, { memory: { limit: 1024 } })
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
  t.same(spec.linux, { resources: { pids: { limit: 5 }, memory: { limit: 1024 } }, namespaces: [] })
  t.same(mountDestinations({ mounts: [{ destination: '/proc' }, { destination: '/etc/hosts' }] }), ['/proc', '/etc/hosts'])
  t.same(mountDestinations({}), [])
})
