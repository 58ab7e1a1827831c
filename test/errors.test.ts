/** Bad input gets a clear error, the right status, and leaves nothing behind. */
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { deframe } from '../src/logs/logs.js'
import { createContainer, importBusybox, makeBundle, startDaemon } from './helpers.js'

/** Writes `text` on a new connection and returns what comes back until the server closes or 2 s pass. */
function rawRequest (socket: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket)
    let out = ''
    const timer = setTimeout(() => { c.destroy(); resolve(out) }, 2000)
    c.on('data', b => { out += b.toString(); if (out.includes('}')) { clearTimeout(timer); c.destroy(); resolve(out) } })
    c.on('error', err => { clearTimeout(timer); reject(err) })
    c.on('close', () => { clearTimeout(timer); resolve(out) })
    c.write(text)
  })
}

t.test('errors', async t => {
  const d = await startDaemon(t)
  const good = await makeBundle(d, ['true'])
  const emptyDir = join(d.dir, 'empty-bundle')
  await mkdir(emptyDir)
  const badJson = join(d.dir, 'bad-json-bundle')
  await mkdir(badJson)
  await writeFile(join(badJson, 'config.json'), '{"process": ')
  const noArgs = await makeBundle(d, ['x'], s => { delete s.process.args })
  const missingExe = await makeBundle(d, ['/no/such/program'])
  const notOnPath = await makeBundle(d, ['nosuchprogram'])

  /** Asserts status, exact JSON content type and a message matching `re`. */
  const expectError = async (what: string, status: number, re: RegExp, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<void> => {
    const r = await d.req(method, path, body, headers)
    t.equal(r.status, status, `${what}: status`)
    t.equal(r.headers['content-type'], 'application/json', `${what}: content type`)
    t.match(r.body, { message: re }, `${what}: message`)
  }

  await expectError('malformed JSON', 400, /JSON|Unexpected|Expected/, 'POST', '/containers', '{"Bundle":', { 'content-type': 'application/json' })
  await expectError('empty body', 400, /./, 'POST', '/containers', '', { 'content-type': 'application/json' })
  await expectError('missing Bundle', 400, /Bundle/, 'POST', '/containers', { Name: 'x1' })
  await expectError('wrong type', 400, /Tty/, 'POST', '/containers', { Bundle: good, Tty: 'yes' })
  await expectError('bad name', 400, /Name|pattern/, 'POST', '/containers', { Bundle: good, Name: 'bad name!' })
  await expectError('name like a path', 400, /Name|pattern/, 'POST', '/containers', { Bundle: good, Name: '../x' })
  await expectError('relative bundle', 400, /absolute/, 'POST', '/containers', { Bundle: 'relative/bundle' })
  await expectError('no config.json', 400, /config\.json/, 'POST', '/containers', { Bundle: emptyDir })
  await expectError('config.json does not parse', 400, /does not parse/, 'POST', '/containers', { Bundle: badJson })
  await expectError('config.json without args', 400, /process\.args/, 'POST', '/containers', { Bundle: noArgs })
  await expectError('missing bundle dir', 400, /config\.json/, 'POST', '/containers', { Bundle: '/no/such/bundle' })
  await expectError('unknown runtime', 400, /runtime.*nosuch/, 'POST', '/containers', { Bundle: good, Runtime: 'nosuch' })
  // The container's program cannot be run: the caller's fault, 400 as in Docker (moby's translateContainerdStartErr), from either runtime.
  await expectError('missing program (runc)', 400, /no such file or directory|not found/i, 'POST', '/containers', { Bundle: missingExe, Runtime: 'runc' })
  await expectError('missing program (crun)', 400, /no such file or directory|not found/i, 'POST', '/containers', { Bundle: missingExe, Runtime: 'crun' })
  await expectError('program not on PATH', 400, /not found/i, 'POST', '/containers', { Bundle: notOnPath })
  // A body over the limit is refused from its Content-Length, before it is read (sending it all would race the close).
  const tooLarge = await rawRequest(d.socket, 'POST /containers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{"Bundle":')
  t.match(tooLarge, /^HTTP\/1\.1 413 /, 'body too large: status')
  t.match(tooLarge, /\r\ncontent-type: application\/json\r\n/i, 'body too large: content type')
  t.match(tooLarge, /"message":"[^"]*too large/i, 'body too large: message')

  await expectError('unknown container', 404, /^No such container: nosuch$/, 'GET', '/containers/nosuch/json')
  await expectError('dot-dot id', 404, /No such container/, 'POST', '/containers/..%2Fx/start')
  await expectError('dot-dot id via path', 404, /./, 'DELETE', '/containers/../x')
  await expectError('unknown route', 404, /page not found/, 'GET', '/nosuch')
  await expectError('too new version', 400, /too new/, 'GET', '/v1.99/containers/json')
  await expectError('too old version', 400, /too old/, 'GET', '/v1.12/containers/json')
  await expectError('bad filters', 400, /filter/, 'GET', '/containers/json?filters=%7Bnot-json')
  await expectError('unknown filter', 400, /invalid filter 'bogus'/, 'GET', '/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D')
  await expectError('bad wait condition', 400, /condition/, 'POST', '/containers/x/wait?condition=soon')

  t.same(await readdir(join(d.state, 'containers')), [], 'failed creates left no state dir')
  t.same(await readdir(join(d.root, 'containers')), [], 'failed creates left no record')
  t.same(await readdir(join(d.state, 'sock')), [], 'failed creates left no attach link')
  t.same(await readdir(join(d.state, 'rt', 'runc')), [], 'failed creates left no runtime state')

  const id = await createContainer(d, ['sleep', '30'], { Name: 'taken' })
  await expectError('duplicate name', 409, /^Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"/, 'POST', '/containers', { Bundle: good, Name: 'taken' })
  await expectError('duplicate name with slash', 409, /already in use/, 'POST', '/containers', { Bundle: good, Name: '/taken' })
  await expectError('bad signal', 400, /^Invalid signal: NOPE$/, 'POST', `/containers/${id}/kill?signal=NOPE`)
  await expectError('bad stop timeout', 400, /./, 'POST', `/containers/${id}/stop?t=soon`)
  await expectError('logs with no stream', 400, /you must choose at least one stream/, 'GET', `/containers/${id}/logs`)
  await expectError('logs with bad tail', 400, /tail/, 'GET', `/containers/${id}/logs?stdout=1&tail=x`)
  await expectError('logs with bad since', 400, /since/, 'GET', `/containers/${id}/logs?stdout=1&since=yesterday`)

  // Ambiguous prefixes: create until two ids share a first hex digit.
  const ids = [id]
  while (new Set(ids.map(i => i[0])).size === ids.length) ids.push(await createContainer(d, ['true']))
  const first = ids.at(-1)![0]!
  await expectError('ambiguous prefix', 400, /multiple IDs found with provided prefix/, 'GET', `/containers/${first}/json`)

  // Unknown fields are ignored, as Docker's decoder ignores them (clients send many).
  const extra = await d.req('POST', '/containers', { Bundle: good, HostConfig: { Memory: 0 } })
  t.equal(extra.status, 201, 'unknown fields ignored')

  // Bodies with no content type or text/plain are parsed as JSON, as Docker does.
  const plain = await d.req('POST', '/containers', JSON.stringify({ Bundle: good }), { 'content-type': 'text/plain' })
  t.equal(plain.status, 201, 'text/plain JSON body accepted')
  const empty = await d.req('POST', `/containers/${plain.body.Id as string}/start`, '', {})
  t.equal(empty.status, 204, 'start with an empty body and no content type')
  // Docker reads an empty application/json body as no body.
  const emptyJson = await d.req('POST', `/containers/${plain.body.Id as string}/rename?name=renamed`, '', { 'content-type': 'application/json' })
  t.equal(emptyJson.status, 204, `rename with an empty application/json body: ${emptyJson.raw.toString()}`)
  // Routing comes before the body: an unknown route is a 404, whatever it was sent.
  for (const headers of [{ 'content-type': 'application/json' }, {}] as Array<Record<string, string>>) {
    await expectError(`unknown route with a non-JSON body (${JSON.stringify(headers)})`, 404, /^page not found$/, 'POST', '/nosuch', 'not json {', headers)
  }

  // The daemon is still healthy, and other containers untouched.
  t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'created')
  t.equal((await d.req('GET', '/_ping')).status, 200)
})

t.test('values the runtime or kernel would refuse are 400s before it sees them', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const running = (await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '60'] })).body.Id as string
  t.equal((await d.req('POST', `/containers/${running}/start`)).status, 204)
  const expect400 = async (what: string, re: RegExp, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<void> => {
    const r = await d.req(method, path, body, headers)
    t.equal(r.status, 400, `${what}: status`)
    t.match(r.body, { message: re }, `${what}: message`)
  }
  const create = (body: Record<string, unknown>): ['POST', string, unknown] => ['POST', '/containers/create', { Image: 'bb', Cmd: ['true'], ...body }]
  const update = (body: Record<string, unknown>): ['POST', string, unknown] => ['POST', `/containers/${running}/update`, body]

  await expect400('create: Cmd a number, not coerced to a string', /Cmd must be array,string,null/, ...create({ Cmd: 123 }))
  await expect400('create: Memory 1e308', /HostConfig\/Memory must be <= 9007199254740991/, ...create({ HostConfig: { Memory: 1e308 } }))
  await expect400('create: unlimited nofile', /ulimit nofile: hard limit unlimited is above the kernel's maximum/, ...create({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: -1, Hard: -1 }] } }))
  await expect400('create: unlimited soft over a hard limit', /soft limit must be less than or equal to hard limit: -5 > 10/, ...create({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: -5, Hard: 10 }] } }))
  await expect400('create: CpusetCpus the machine lacks', /^Requested CPUs are not available - requested 0-99999, available: /, ...create({ HostConfig: { CpusetCpus: '0-99999' } }))
  await expect400('create: Tmpfs size=-1', /invalid tmpfs option "size=-1": size must be a number/, ...create({ HostConfig: { Tmpfs: { '/t': 'size=-1' } } }))
  await expect400('create: NUL in Hostname', /^Hostname must not contain a NUL byte$/, ...create({ Hostname: 'a\u0000b' }))
  // runc quotes a missing executable whole: at 100 KB its message filled conmon's pipe and create hung for 60 s.
  const started = performance.now()
  await expect400('create: a 100 KB executable name', /the command's executable is 102400 bytes long: the kernel's limit for a path is 4095 bytes/, ...create({ Cmd: ['x'.repeat(100 * 1024)] }))
  t.ok(performance.now() - started < 10_000, 'refused at once')

  await expect400('update: Memory 1e308', /^invalid request: body\/Memory must be <= 9007199254740991$/, ...update({ Memory: 1e308 }))
  await expect400('update: PidsLimit 2^53', /body\/PidsLimit must be <= 9007199254740991/, ...update({ PidsLimit: 2 ** 53 }))
  await expect400('update: CpuShares out of range', /^invalid CpuShares: 1000000000000: the maximum allowed cpu-shares is 262144$/, ...update({ CpuShares: 1e12 }))
  await expect400('update: CpusetCpus the machine lacks', /^Requested CPUs are not available - requested 99, available: /, ...update({ CpusetCpus: '99' }))

  // A body nested 5,000 deep overflowed the stack of code that walks it; every route refuses it before parsing.
  const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`
  for (const [method, path] of [['POST', `/containers/${running}/update`], ['POST', '/containers/create'], ['POST', '/containers'], ['POST', `/containers/${running}/exec`]]) {
    await expect400(`${path}: JSON 5,000 deep`, /^JSON nested deeper than 64 levels$/, method!, path!, deep, { 'content-type': 'application/json' })
    await expect400(`${path}: JSON 5,000 deep, no content type`, /^JSON nested deeper than 64 levels$/, method!, path!, `[${deep}]`, {})
  }

  await expect400('archive: NUL in path', /querystring\/path must match pattern/, 'GET', `/containers/${running}/archive?path=/etc%00x`)
  await expect400('archive: 10,000 character path', /querystring\/path must NOT have more than 4095 characters/, 'GET', `/containers/${running}/archive?path=/${'a'.repeat(10_000)}`)
  await expect400('archive put: NUL in path', /querystring\/path must match pattern/, 'PUT', `/containers/${running}/archive?path=/tmp%00x`, Buffer.alloc(1024), { 'content-type': 'application/x-tar' })
  await expect400('top: NUL in ps_args', /querystring\/ps_args must match pattern/, 'GET', `/containers/${running}/top?ps_args=a%00x`)
  await expect400('top: ps_args without a PID column', /^Couldn't find PID field in ps output: ps_args must keep the PID column$/, 'GET', `/containers/${running}/top?ps_args=--help%20all`)

  t.equal((await d.req('DELETE', `/containers/${running}?force=1`)).status, 204)
  t.same((await d.req('GET', '/containers/json?all=1')).body, [], 'no refused create left a container')
})

t.test('kill and pause of a container whose process just exited are 409 through the API, never 500', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const statuses = new Map<number, number>()
  const count = (s: number): void => { statuses.set(s, (statuses.get(s) ?? 0) + 1) }
  for (let i = 0; i < 8; i++) {
    const id = (await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sh', '-c', 'sleep 0.3'] })).body.Id as string
    t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    // Hammer the container from before its exit until well after: the runtime's "not running" window included.
    for (let seenExit = 0; seenExit < 10;) {
      // WINCH: sh ignores it, so kill never ends the container early.
      const kill = await d.req('POST', `/containers/${id}/kill?signal=WINCH`)
      count(kill.status)
      const pause = await d.req('POST', `/containers/${id}/pause`)
      count(pause.status)
      if (pause.status === 204) {
        // A pause that lands as the process exits freezes nothing: then unpause finds it stopped.
        const unpause = await d.req('POST', `/containers/${id}/unpause`)
        count(unpause.status)
        t.ok(unpause.status === 204 || unpause.status === 409, `unpause after a pause that took: ${unpause.status} ${unpause.raw.toString()}`)
      }
      for (const r of [kill, pause]) {
        if (r.status === 409) t.match(r.body.message, /is not running/, `409 says why: ${r.body.message as string}`)
        else t.equal(r.status, 204, `otherwise it took: ${r.status} ${r.raw.toString()}`)
      }
      if ((await d.req('GET', `/containers/${id}/json`)).body.State.Running === false) seenExit++
    }
    t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
  }
  t.ok((statuses.get(409) ?? 0) >= 16, `409s after the exits: ${JSON.stringify([...statuses])}`)
  t.notOk([...statuses.keys()].some(s => s >= 500), 'no 5xx')
})

t.test('a container runs with a 100 KB argument, as on Docker', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const arg = 'a'.repeat(100 * 1024)
  const id = (await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sh', '-c', 'echo ${#1} $(echo "$1" | tr -d a | wc -c)', 'sh', arg] })).body.Id as string
  t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  t.equal((await d.req('POST', `/containers/${id}/wait`)).body.StatusCode, 0)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`)
  t.equal(Buffer.concat(deframe(logs.raw).map(f => f.data)).toString(), '102400 1\n', 'the argument arrived whole, nothing but a\'s')
  t.equal((await d.req('GET', `/containers/${id}/json`)).body.Args[3], arg, 'inspect shows it whole')
})

t.test('an exec start whose client or monitor goes away early leaves the daemon serving', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const id = (await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['sleep', '300'] })).body.Id as string
  t.teardown(() => d.req('DELETE', `/containers/${id}?force=1`))
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  const newExec = async (): Promise<string> => (await d.req('POST', `/containers/${id}/exec`, { Cmd: ['echo', 'hi'], AttachStdout: true })).body.Id as string
  // The monitor dies before reading its start pipe: with the attach-socket dir a file, it cannot make its
  // socket. berthd's release write then fails (EPIPE); without its error listener that killed the daemon.
  const sock = join(d.state, 'sock')
  await rename(sock, `${sock}.aside`)
  t.teardown(async () => { if (existsSync(`${sock}.aside`)) { await rm(sock, { force: true }); await rename(`${sock}.aside`, sock) } })
  await writeFile(sock, 'in the way\n')
  for (let i = 0; i < 5; i++) {
    const r = await d.req('POST', `/exec/${await newExec()}/start`, { Detach: false })
    t.equal(r.status, 200, 'the failure is the output, as Docker sends it')
    t.notMatch(Buffer.concat(deframe(r.raw).map(f => f.data)).toString(), /^hi\n$/, 'the exec did not run')
    t.equal((await d.req('GET', '/_ping')).status, 200, 'berthd answers')
  }
  await rm(sock)
  await rename(`${sock}.aside`, sock)
  // The client hangs up right after sending the start.
  for (let i = 0; i < 10; i++) {
    const exec = await newExec()
    await new Promise<void>((resolve, reject) => {
      const c = connect(d.socket)
      const body = JSON.stringify({ Detach: false })
      c.on('error', reject)
      c.write(`POST /exec/${exec}/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, () => { c.destroy(); resolve() })
    })
  }
  t.equal((await d.req('GET', '/_ping')).status, 200, 'berthd answers')
  const ok = await newExec()
  const r = await d.req('POST', `/exec/${ok}/start`, { Detach: false })
  t.equal(Buffer.concat(deframe(r.raw).map(f => f.data)).toString(), 'hi\n', 'and a later exec runs')
})
