/** Bad input gets a clear error, the right status, and leaves nothing behind. */
import t from 'tap'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createContainer, makeBundle, startDaemon } from './helpers.js'

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

  // The daemon is still healthy, and other containers untouched.
  t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'created')
  t.equal((await d.req('GET', '/_ping')).status, 200)
})
