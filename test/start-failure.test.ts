/**
 * A command the image lacks, or one that cannot be invoked, as Docker reports
 * it: the create succeeds (nothing runs at create), the start answers 400
 * with the runtime's words in Docker's frame, and the container stays created
 * with ExitCode 127 or 126, which is what `docker run` exits with. Under runc
 * and crun, through the docker CLI, docker-py and the API, and across a
 * SIGKILLed berthd.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { execa, execaSync } from 'execa'
import { containerEvents, DOCKER, dockerEnv, dockerTest, importBusybox, makeTar, RUNTIMES, startDaemon, until, type Daemon } from './helpers.js'

const PREFIX = 'failed to create task for container: failed to create shim task: OCI runtime create failed: '

function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 60_000, killSignal: 'SIGKILL' })
}

/** A container's State, as inspect shows it. */
const stateOf = async (d: Daemon, ref: string): Promise<Record<string, any>> => (await d.req('GET', `/containers/${ref}/json`)).body.State

dockerTest(t, 'docker run of a command that cannot run exits 127 or 126, the container left created', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const cases: Array<[string, number, RegExp]> = [
    ['/no/such', 127, /no such file or directory/],
    ['nosuch', 127, /executable file not found|no such file or directory/],
    ['/etc', 126, /permission denied/],
    ['/etc/passwd', 126, /permission denied/]
  ]
  for (const runtime of RUNTIMES) {
    for (const [cmd, code, words] of cases) {
      const name = `f-${runtime}-${code}-${cmd.replace(/\W/g, '')}`
      const r = await docker(d, ['run', '--runtime', runtime, '--name', name, 'bb', cmd])
      t.equal(r.exitCode, code, `${runtime} ${cmd}: docker run exits ${code}`)
      t.match(r.stderr, `docker: Error response from daemon: ${PREFIX}`, `${runtime} ${cmd}: Docker's message`)
      // crun's words for a program it cannot open ("open executable: Permission denied") do not name it.
      if (runtime === 'runc' || code === 127) t.match(r.stderr, cmd, `${runtime} ${cmd}: it names the command`)
      t.match(r.stderr, words, `${runtime} ${cmd}: and why, in the words the CLI reads`)
      const state = await stateOf(d, name)
      t.match(state, { Status: 'created', Running: false, ExitCode: code, Pid: 0, StartedAt: '0001-01-01T00:00:00Z' }, `${runtime} ${cmd}: created, with exit code ${code}`)
      t.match(state.Error, new RegExp(`^${PREFIX}.*: unknown$`), `${runtime} ${cmd}: the error on record`)
      t.equal((await docker(d, ['rm', name])).exitCode, 0, `${runtime} ${cmd}: removed without force`)
    }
  }

  t.test('run --rm: exits 127 and the container is gone', async t => {
    const r = await docker(d, ['run', '--rm', 'bb', '/no/such'])
    t.equal(r.exitCode, 127)
    await until(async () => ((await d.req('GET', '/containers/json?all=1')).body as unknown[]).length === 0, 10_000, 'removal')
  })

  t.test('a program copied in with docker cp runs at the next start', async t => {
    t.teardown(() => docker(d, ['rm', '-f', 'fixme']))
    t.equal((await docker(d, ['create', '--name', 'fixme', 'bb', '/hello'])).exitCode, 0, 'the create succeeds')
    const first = await docker(d, ['start', '-a', 'fixme'])
    t.not(first.exitCode, 0)
    t.match(first.stderr, /stat \/hello: no such file or directory/)
    const tar = await makeTar([{ name: 'hello', mode: 0o755, body: '#!/bin/sh\necho fixed\n' }])
    t.equal((await d.req('PUT', '/containers/fixme/archive?path=/', tar, { 'content-type': 'application/x-tar' })).status, 200)
    const second = await docker(d, ['start', '-a', 'fixme'])
    t.equal(second.exitCode, 0, second.stderr)
    t.equal(second.stdout, 'fixed')
    t.match(await stateOf(d, 'fixme'), { Status: 'exited', ExitCode: 0, Error: '' }, 'the failure is off the record once it ran')
  })
})

t.test('API: create 201, each start 400, no start or die event; the bundle API still refuses at create', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const since = (Date.now() / 1000).toFixed(3)
  const created = await d.req('POST', '/containers/create?name=nocmd', { Image: 'bb', Cmd: ['/no/such'] })
  t.equal(created.status, 201)
  const id = created.body.Id as string
  t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
  t.match(await stateOf(d, id), { Status: 'created', ExitCode: 0, Error: '' }, 'before its start, nothing has failed')
  for (const attempt of ['first', 'second']) {
    const start = await d.req('POST', `/containers/${id}/start`)
    t.equal(start.status, 400, `${attempt} start: 400`)
    t.equal(start.body.message, `${PREFIX}runc create failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory: unknown`)
    t.match(await stateOf(d, id), { Status: 'created', ExitCode: 127, Error: start.body.message }, `${attempt} start: on record`)
  }
  const listed = (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string, State: string, Status: string }>
  t.match(listed.find(c => c.Id === id), { State: 'created', Status: 'Created' })
  t.same((await d.req('POST', `/containers/${id}/wait?condition=not-running`)).body, { StatusCode: 127, Error: null }, 'wait: not running, with its code')
  t.equal((await d.req('POST', `/containers/${id}/kill`)).status, 409, 'nothing to kill')
  t.same((await containerEvents(d, id, since)).map(e => e.Action), ['create'], 'nothing ran: no start, no die (moby#22043)')
  t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204, 'removed without force')
  t.same((await d.req('GET', '/containers/json?all=1')).body, [])
})

t.test('an unlaunched container survives a SIGKILLed berthd as it was', async t => {
  let d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const created = await d.req('POST', '/containers/create?name=later', { Image: 'bb', Cmd: ['/no/such'], HostConfig: { Runtime: 'crun' } })
  t.equal(created.status, 201)
  t.equal((await d.req('POST', '/containers/later/start')).status, 400)
  await d.stop('SIGKILL')
  d = await d.restart()
  t.match(await stateOf(d, 'later'), { Status: 'created', ExitCode: 127 }, 're-loaded as recorded')
  const again = await d.req('POST', '/containers/later/start')
  t.equal(again.status, 400, 'its start still fails as Docker\'s does')
  t.match(again.body.message, /^failed to create task for container: .*executable file `\/no\/such` not found in \$PATH: no such file or directory: unknown$/)
  t.equal((await d.req('DELETE', '/containers/later')).status, 204)
})

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0

t.test('docker-py: containers.run raises APIError 400 (not ContainerError); the container is created with 127', { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const script = `
import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
out = {}
try:
    c.containers.run('bb', '/no/such', name='py')
except docker.errors.ContainerError:
    out['raised'] = 'ContainerError'
except docker.errors.APIError as e:
    out['raised'] = [type(e).__name__, e.status_code, e.explanation]
ct = c.containers.get('py')
out['state'] = [ct.status, ct.attrs['State']['ExitCode']]
ct.remove()
print(json.dumps(out))
`
  const r = await execa(PYTHON, ['-c', script, d.socket], { reject: false, timeout: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { raised: [string, number, string], state: [string, number] }
  t.match(out.raised, ['APIError', 400, new RegExp(`^${PREFIX}.*"/no/such".*: unknown$`)])
  t.same(out.state, ['created', 127])
})
