/**
 * Body keys in any case, as Docker's Go decoder reads them: the schema's
 * spelling is what validation and the container see, and map keys are data.
 */
import t from 'tap'
import { hijack, importBusybox, startDaemon } from './helpers.js'

t.test('a create body in lower case makes the same container, and is validated the same', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const bad = await d.req('POST', '/containers/create', { image: 'bb', cmd: ['true'], hostconfig: { memory: 'lots' } })
  t.equal(bad.status, 400, 'a bad value under a lower-case key is refused')
  t.match(bad.body.message, /HostConfig\/Memory must be/, 'named in the schema\'s spelling')

  const r = await d.req('POST', '/containers/create', {
    image: 'bb', cmd: ['sleep', '5'], ENV: ['A=1'], labels: { Foo: 'x', foo: 'y' },
    hostconfig: { restartpolicy: { name: 'on-failure', maximumRetryCount: 2 }, memory: 64 * 1024 * 1024, tmpfs: { '/Data': 'size=1m' } }
  })
  t.equal(r.status, 201, JSON.stringify(r.body))
  const c = (await d.req('GET', `/containers/${r.body.Id as string}/json`)).body
  t.same(c.Config.Cmd, ['sleep', '5'])
  t.ok(c.Config.Env.includes('A=1'), 'Env')
  t.match(c.Config.Labels, { Foo: 'x', foo: 'y' }, 'label keys kept as sent')
  t.same(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 })
  t.equal(c.HostConfig.Memory, 64 * 1024 * 1024)
  t.same(c.HostConfig.Tmpfs, { '/Data': 'size=1m' }, 'tmpfs mount points kept as sent')
})

t.test('exec create and an upgraded exec start read keys in any case', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '30'] })
  t.equal((await d.req('POST', `/containers/${c.body.Id as string}/start`)).status, 204)
  const ex = await d.req('POST', `/containers/${c.body.Id as string}/exec`, { cmd: ['echo', 'hi'], attachstdout: true })
  t.equal(ex.status, 201)
  // Tty in the start body decides the framing: "tty": true must give the raw stream.
  const h = await hijack(d, `/exec/${ex.body.Id as string}/start`, { detach: false, tty: true })
  t.equal(h.status, 101)
  t.equal((await h.output).toString(), 'hi\n', 'raw, unframed output')
})
