/** docker cp's path and stat shapes, archive names, and commit's config merge: pure functions, table-tested. */
import t from 'tap'
import { bindsOf, containerPath, goBase, goFileMode, pathStat, rfc3339Nano, statHeader } from '../../src/containers/archive-paths.js'
import { changeLines, commitConfig, containerConfig } from '../../src/containers/commit.js'
import { archiveName, whiteoutName } from '../../src/images/pack.js'

t.test('containerPath: absolute, cleaned, trailing / and /. kept', async t => {
  const cases: Array<[string, string]> = [
    ['etc/passwd', '/etc/passwd'],
    ['/etc//passwd', '/etc/passwd'],
    ['/tmp/', '/tmp/'],
    ['/tmp//', '/tmp/'],
    ['/tmp/dir/.', '/tmp/dir/.'],
    ['/tmp/./dir', '/tmp/dir'],
    ['/', '/'],
    ['.', '/.'],
    ['/../../etc', '/etc'],
    ['a/../../b/', '/b/']
  ]
  for (const [path, want] of cases) t.equal(containerPath(path), want, path)
})

t.test('goBase: Go\'s filepath.Base', async t => {
  const cases: Array<[string, string]> = [['/etc/passwd', 'passwd'], ['/tmp/', 'tmp'], ['/tmp/dir/.', '.'], ['/', '/'], ['//', '/'], ['', '.']]
  for (const [path, want] of cases) t.equal(goBase(path), want, path)
})

t.test('goFileMode: Unix st_mode to Go\'s os.FileMode', async t => {
  const cases: Array<[number, number, string]> = [
    [0o100644, 0o644, 'regular file'],
    [0o040755, 2 ** 31 + 0o755, 'dir'],
    [0o041777, 2 ** 31 + 2 ** 20 + 0o777, 'sticky dir'],
    [0o120777, 2 ** 27 + 0o777, 'symlink'],
    [0o020666, 2 ** 26 + 2 ** 21 + 0o666, 'char device'],
    [0o060660, 2 ** 26 + 0o660, 'block device'],
    [0o010600, 2 ** 25 + 0o600, 'fifo'],
    [0o140755, 2 ** 24 + 0o755, 'socket'],
    [0o104755, 2 ** 23 + 0o755, 'setuid'],
    [0o102755, 2 ** 22 + 0o755, 'setgid']
  ]
  for (const [mode, want, what] of cases) t.equal(goFileMode(mode), want, what)
})

t.test('rfc3339Nano: Go\'s time.Time JSON', async t => {
  t.equal(rfc3339Nano(0n), '1970-01-01T00:00:00Z')
  t.equal(rfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z')
  t.equal(rfc3339Nano(1_700_000_000_500_000_000n), '2023-11-14T22:13:20.5Z', 'trailing zeros dropped')
})

t.test('pathStat and the header: base64 JSON with Docker\'s keys', async t => {
  const stat = pathStat({ name: 'tmp', size: 4096, mode: 0o041777, mtimeNs: '1000000000', linkTarget: '' })
  t.same(stat, { name: 'tmp', size: 4096, mode: 2 ** 31 + 2 ** 20 + 0o777, mtime: '1970-01-01T00:00:01Z', linkTarget: '' })
  t.same(JSON.parse(Buffer.from(statHeader(stat), 'base64').toString()), stat)
})

t.test('bindsOf: the bind mounts of a spec', async t => {
  t.same(bindsOf([
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/etc/hostname', type: 'bind', source: '/c/hostname', options: ['rbind', 'rprivate'] },
    { destination: '/data', source: '/srv/data', options: ['bind', 'ro'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }
  ]), [
    { source: '/c/hostname', destination: '/etc/hostname', readOnly: false },
    { source: '/srv/data', destination: '/data', readOnly: true }
  ])
  t.same(bindsOf(undefined), [])
})

t.test('archive names', async t => {
  t.equal(archiveName('dir', ''), 'dir')
  t.equal(archiveName('dir', 'a/b'), 'dir/a/b')
  t.equal(archiveName('/', 'bin'), '/bin')
  t.equal(archiveName('', 'bin'), 'bin')
  t.equal(archiveName('.', 'a'), './a')
  t.equal(whiteoutName('etc/hosts'), 'etc/.wh.hosts')
  t.equal(whiteoutName('top'), '.wh.top')
})

t.test('commit config: moby\'s BuildFromConfig then merge', async t => {
  const image = { Cmd: ['sh'], Env: ['PATH=/bin', 'A=image'], Labels: { from: 'image' }, ExposedPorts: { '80/tcp': {} } }
  const ctr = containerConfig(image, { Image: 'x', Cmd: ['sleep', '1'], Env: ['A=create'], Labels: { from: 'create', c: '1' } })
  t.same(ctr, { Cmd: ['sleep', '1'], Env: ['A=create', 'PATH=/bin'], Labels: { from: 'create', c: '1' }, ExposedPorts: { '80/tcp': {} } })

  t.same(commitConfig(ctr, undefined, []), ctr, 'no body, no changes: the container\'s config')
  t.same(commitConfig(ctr, null, ['CMD ["cat","/new"]']).Cmd, ['cat', '/new'])
  t.same(commitConfig(ctr, undefined, ['ENTRYPOINT ["/bin/x"]']), { ...ctr, Entrypoint: ['/bin/x'] }, 'an entrypoint alone keeps the container\'s Cmd')
  const body = commitConfig(ctr, { Cmd: ['ls'], Env: ['B=2'], Labels: null, WorkingDir: '' }, ['WORKDIR /w'])
  t.same(body, { Cmd: ['ls'], Env: ['B=2', 'A=create', 'PATH=/bin'], WorkingDir: '/w', Labels: { from: 'create', c: '1' }, ExposedPorts: { '80/tcp': {} } }, 'the body\'s gaps are the container\'s')
  t.same(commitConfig(ctr, { Entrypoint: ['/e'] }, []).Cmd, undefined, 'an Entrypoint in the body: no Cmd taken from the container')
  t.throws(() => commitConfig(ctr, undefined, ['RUN x']), /not a valid change command/)
  const hc = { Test: ['CMD-SHELL', 'true'], Interval: 5e9 }
  const healthy = containerConfig({ ...image, Healthcheck: { Test: ['CMD', 'img'], Retries: 2 } }, { Image: 'x', Healthcheck: hc })
  t.same(healthy.Healthcheck, { ...hc, Retries: 2 }, 'the container\'s healthcheck: the body\'s merged over the image\'s')
  t.same(commitConfig(healthy, undefined, []).Healthcheck, { ...hc, Retries: 2 }, 'a commit keeps the container\'s healthcheck')
  t.same(commitConfig(healthy, { Healthcheck: { Interval: 1e9 } }, []).Healthcheck, { ...hc, Retries: 2, Interval: 1e9 }, 'the body\'s zero fields filled from the container\'s')
  // moby's merge fills even a NONE's zero durations from the container's: harmless, as NONE runs nothing.
  t.same(commitConfig(healthy, undefined, ['HEALTHCHECK NONE']).Healthcheck, { ...hc, Retries: 2, Test: ['NONE'] }, 'a change replaces its test')
  t.same(changeLines(['CMD ["a"]\nENV A=1', '', 'LABEL x=y']), ['CMD ["a"]', 'ENV A=1', 'LABEL x=y'])
})
