/**
 * docker diff (GET /containers/{id}/changes) over the API and through the
 * docker client: A/C/D as Docker's overlay2 reports them, for a running and
 * a stopped container, whiteouts in the container and in the image's
 * layers, an opaque dir, and the refusals (bundle container, unknown id).
 */
import t from 'tap'
import { execa } from 'execa'
import { createContainer, DOCKER, dockerEnv, dockerTest, importBusybox, makeTar, rootfsTar, saveArchive, startDaemon, until, type Daemon } from './helpers.js'

const docker = (d: Daemon, args: string[]) =>
  execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 30_000, killSignal: 'SIGKILL' })

const KIND = ['C', 'A', 'D']
const lines = (changes: Array<{ Path: string, Kind: number }>): string[] => changes.map(c => `${KIND[c.Kind]!} ${c.Path}`)

// What the container does: a file changed, one removed, a new tree, a dir emptied and made again (opaque).
const SCRIPT = 'echo x >> /etc/passwd; rm /bin/ls; mkdir -p /tmp/a/b; echo 1 > /tmp/a/b/f; rm -rf /var; mkdir /var; touch /var/new'
const EXPECTED = ['C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'C /tmp', 'A /tmp/a', 'A /tmp/a/b', 'A /tmp/a/b/f', 'D /var', 'A /var/new']

dockerTest(t, 'docker diff', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')

  // Only what the runtime made for /etc/hosts and the like is in the upper dir: no change.
  const quiet = await docker(d, ['run', '--name', 'quiet', 'bb', 'true'])
  t.equal(quiet.exitCode, 0, quiet.stderr)
  const none = await d.req('GET', '/containers/quiet/changes')
  t.equal(none.status, 200)
  t.same(none.body, [], 'mount points are not changes')

  const run = await docker(d, ['run', '-d', '--name', 'busy', 'bb', 'sh', '-c', `${SCRIPT}; echo done; exec sleep 100`])
  t.equal(run.exitCode, 0, run.stderr)
  await until(async () => (await docker(d, ['logs', 'busy'])).stdout.includes('done'), 10_000, 'the script ran')

  const running = await d.req('GET', '/containers/busy/changes')
  t.equal(running.status, 200)
  t.same(lines(running.body), EXPECTED, 'running: Docker\'s kinds and order')
  const cli = await docker(d, ['diff', 'busy'])
  t.equal(cli.exitCode, 0, cli.stderr)
  t.same(cli.stdout.split('\n'), EXPECTED, 'the docker client prints them')

  t.equal((await docker(d, ['stop', '-t', '0', 'busy'])).exitCode, 0)
  const stopped = await d.req('GET', '/containers/busy/changes')
  t.same(lines(stopped.body), EXPECTED, 'stopped: the same')

  const missing = await docker(d, ['diff', 'nope'])
  t.not(missing.exitCode, 0)
  t.match(missing.stderr, 'No such container: nope')

  t.equal((await docker(d, ['rm', '-f', 'quiet', 'busy'])).exitCode, 0)
})

t.test('docker diff over an image whose top layer deleted things', async t => {
  const d = await startDaemon(t)
  // Layer 2 removes /srv (a whiteout) and touches /opt/keep; the container makes /srv again and adds under /opt.
  const layer1 = await makeTar([
    { name: 'srv/', type: 'directory' }, { name: 'srv/old', body: 'old' },
    { name: 'opt/', type: 'directory', mtime: new Date('2026-01-01T00:00:00Z') }, { name: 'opt/keep', body: 'k' }
  ])
  const layer2 = await makeTar([{ name: '.wh.srv', body: '' }])
  const { archive } = await saveArchive([await rootfsTar(), layer1, layer2], 'layered:1')
  const load = await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })
  t.equal(load.status, 200)

  const create = await d.req('POST', '/containers/create?name=lay', { Image: 'layered:1', Cmd: ['sh', '-c', 'mkdir /srv && echo n > /srv/new && echo m > /opt/more'] })
  t.equal(create.status, 201, JSON.stringify(create.body))
  t.same((await d.req('GET', '/containers/lay/changes')).body, [], 'a created container changed nothing')
  t.equal((await d.req('POST', '/containers/lay/start')).status, 204)
  const wait = await d.req('POST', '/containers/lay/wait')
  t.equal(wait.body.StatusCode, 0)
  const changes = await d.req('GET', '/containers/lay/changes')
  // /srv is new: the layer below whites it out. /opt is listed once, as the parent of what was added.
  t.same(lines(changes.body), ['C /opt', 'A /opt/more', 'A /srv', 'A /srv/new'])
  t.equal((await d.req('DELETE', '/containers/lay')).status, 204)
})

t.test('docker diff refuses a bundle container', async t => {
  const d = await startDaemon(t)
  const id = await createContainer(d, ['true'])
  const r = await d.req('GET', `/containers/${id}/changes`)
  t.equal(r.status, 400)
  t.match(r.body.message, /runs from an OCI bundle, not an image: it has no image layers/)
  t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
})
