/**
 * Websocket attach (GET /containers/{id}/attach/ws) over berthd's Unix
 * socket, driven by a real RFC 6455 client (the `ws` package's WebSocket,
 * which masks what it sends, as a browser does).
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { execa, execaSync } from 'execa'
import WebSocket from 'ws'
import { createContainer, sleep, startDaemon, until, type Daemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
// Debian's python3-websocket (websocket-client), which python3-docker depends on.
const hasPyWebsocket = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import websocket'], { reject: false }).exitCode === 0

interface Message { data: Buffer, binary: boolean }

/** A websocket client on berthd's socket, keeping every message and how the connection closed. */
interface Client {
  ws: WebSocket
  messages: Message[]
  text: () => string
  closed: Promise<{ code: number }>
}

function wsConnect (d: Daemon, path: string): Promise<Client> {
  const ws = new WebSocket(`ws+unix://${d.socket}:${path}`)
  const messages: Message[] = []
  ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }))
  const closed = new Promise<{ code: number }>(resolve => ws.on('close', code => resolve({ code })))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, text: () => Buffer.concat(messages.map(m => m.data)).toString(), closed }))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })))
    })
    ws.once('error', reject)
  })
}

/** Sends `head` (request line and headers) on a fresh connection; resolves with all the server answered. */
function rawRequest (d: Daemon, head: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(d.socket)
    let out = ''
    s.on('data', (c: Buffer) => { out += c.toString() })
    s.on('close', () => resolve(out))
    s.on('error', reject)
    s.end([...head, 'Host: localhost', '', ''].join('\r\n'))
  })
}

async function removeAll (d: Daemon, ...ids: string[]): Promise<void> {
  for (const id of ids) await d.req('DELETE', `/containers/${id}?force=1`)
}

// Echoes each line it reads to stdout and stderr, until the line `quit`.
const ECHO = ['sh', '-c', 'while read l; do [ "$l" = quit ] && exit 0; echo "o:$l"; echo "e:$l" >&2; done']

t.test('websocket attach', async t => {
  const d = await startDaemon(t)

  t.test('stdin from masked and fragmented messages, raw output as binary messages, ping, close 1000 at the exit', async t => {
    const id = await createContainer(d, ECHO, { OpenStdin: true })
    t.teardown(() => removeAll(d, id))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const c = await wsConnect(d, `/v1.44/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`)
    c.ws.send(Buffer.from('hel'), { fin: false })
    c.ws.send(Buffer.from('lo\n'), { fin: true })
    await until(() => c.text().includes('o:hello\n') && c.text().includes('e:hello\n'), 10_000, 'both echoes')
    t.ok(c.messages.every(m => m.binary), 'binary messages (API >= 1.28)')
    t.equal(c.text().split('\n').filter(l => l !== '').sort().join(','), 'e:hello,o:hello', 'raw bytes, stdout and stderr not multiplexed')
    const pong = new Promise<Buffer>(resolve => c.ws.once('pong', resolve))
    c.ws.ping(Buffer.from('p1'))
    t.equal((await pong).toString(), 'p1', 'a ping is answered')
    c.ws.send('quit\n')
    t.equal((await c.closed).code, 1000, 'the server closes normally when the container ends')
    t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.ExitCode, 0)
  })

  t.test('stdout only; before API 1.42 all three streams, before 1.28 text messages', async t => {
    const id = await createContainer(d, ECHO, { OpenStdin: true })
    t.teardown(() => removeAll(d, id))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const q = 'stream=1&stdin=1&stdout=1&stderr=0'
    const now = await wsConnect(d, `/containers/${id}/attach/ws?${q}`)
    const old = await wsConnect(d, `/v1.41/containers/${id}/attach/ws?stream=1`)
    const oldest = await wsConnect(d, `/v1.27/containers/${id}/attach/ws?stream=1`)
    now.ws.send('a\n')
    await until(() => old.text().includes('e:a\n') && oldest.text().includes('e:a\n') && now.text().includes('o:a\n'), 10_000, 'echoes of a')
    await sleep(100)
    t.equal(now.text(), 'o:a\n', 'stderr=0: no stderr')
    t.ok(old.text().includes('o:a\n'), 'v1.41: stdout and stderr whatever the query says')
    t.ok(oldest.messages.every(m => !m.binary) && old.messages.every(m => m.binary), 'v1.27: text messages; v1.41: binary')
    old.ws.send('b\n')
    await until(() => now.text().includes('o:b\n'), 10_000, 'v1.41 took stdin without asking')
    // A client's close leaves the container running: its stdin is not StdinOnce.
    now.ws.close()
    t.equal((await now.closed).code, 1005, 'closing handshake completed')
    await sleep(200)
    t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'running')
    old.ws.close(); oldest.ws.close()
    await Promise.all([old.closed, oldest.closed])
  })

  t.test('logs=1 replays a stopped container\'s output and closes; errors are HTTP answers before the handshake', async t => {
    const id = await createContainer(d, ['sh', '-c', 'echo one; echo two >&2'])
    t.teardown(() => removeAll(d, id))
    const w = await d.open('POST', `/containers/${id}/wait?condition=next-exit`)
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    await w.body
    const c = await wsConnect(d, `/containers/${id}/attach/ws?logs=1&stdout=1&stderr=1`)
    t.equal((await c.closed).code, 1000)
    t.equal(c.text(), 'one\ntwo\n')

    const refused = (path: string): Promise<unknown> => wsConnect(d, path).then(() => 'opened', (err: unknown) => err)
    t.match(await refused('/containers/nope/attach/ws?stream=1'), { status: 404, body: /No such container: nope/ })
    t.match(await refused(`/containers/${id}/attach/ws?stdout=1`), { status: 400, body: /choose at least one stream/ })
    const plain = await d.req('GET', `/containers/${id}/attach/ws?stream=1`)
    t.equal(plain.status, 400, 'a GET without the handshake')
    t.match(plain.body.message, /websocket handshake/)
    t.equal((await d.req('GET', '/containers/nope/attach/ws')).status, 404)
    const path = `/containers/${id}/attach/ws?logs=1&stdout=1`
    const tcp = await rawRequest(d, [`GET ${path} HTTP/1.1`, 'Connection: Upgrade', 'Upgrade: tcp'])
    t.match(tcp, /^HTTP\/1\.1 400 [^]*Content-Type: application\/json[^]*\{"message":"websocket attach needs a websocket handshake/, 'Upgrade: tcp is no websocket handshake')
    const badKey = await rawRequest(d, [`GET ${path} HTTP/1.1`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: short'])
    t.match(badKey, /^HTTP\/1\.1 400 [^]*\{"message":"invalid websocket handshake: missing or invalid Sec-WebSocket-Key header"\}$/)
    const badProto = await rawRequest(d, [`GET ${path} HTTP/1.1`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol: a,,b'])
    t.match(badProto, /^HTTP\/1\.1 400 [^]*\{"message":"invalid websocket handshake: Invalid Sec-WebSocket-Protocol header"\}$/, 'what ws refuses: JSON too')
  })

  t.test('a TTY container: raw terminal output, and the detach keys close the websocket and leave it running', async t => {
    const id = await createContainer(d, ['sh', '-c', 'read x; echo "got $x"; sleep 60'], { Tty: true, OpenStdin: true })
    t.teardown(() => removeAll(d, id))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const c = await wsConnect(d, `/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-x`)
    c.ws.send('hi\r')
    await until(() => c.text().includes('got hi\r\n'), 10_000, 'the echo')
    c.ws.send(Buffer.from([0x18]))
    t.equal((await c.closed).code, 1000, 'detached: the server closed')
    t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'running')
  })

  // A second, independent client. docker-py's own attach_socket(ws=True) cannot reach a Unix socket (it builds
  // an http+docker:// URL), so websocket-client is given the connected socket, as docker-py would over TCP.
  t.test('websocket-client (python3-websocket) on the Unix socket', { skip: hasPyWebsocket ? false : 'python3-websocket is not installed' }, async t => {
    const id = await createContainer(d, ECHO, { OpenStdin: true })
    t.teardown(() => removeAll(d, id))
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
    const script = `
import json, socket, sys, websocket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
ws = websocket.create_connection('ws://localhost/v1.44/containers/' + sys.argv[2] + '/attach/ws?stream=1&stdin=1&stdout=1&stderr=1', socket=s, timeout=10)
ws.send_binary(b'py\\n')
got, ops = b'', set()
while got.count(b'\\n') < 2:
    op, data = ws.recv_data()
    ops.add(op)
    got += data
ws.send('quit\\n')
op, data = ws.recv_data(control_frame=True)
print(json.dumps({'got': sorted(got.decode().split()), 'binary': list(ops) == [websocket.ABNF.OPCODE_BINARY], 'close': [op == websocket.ABNF.OPCODE_CLOSE, int.from_bytes(data[:2], 'big')]}))
`
    const r = await execa(PYTHON, ['-c', script, d.socket, id], { reject: false, timeout: 60_000 })
    t.equal(r.exitCode, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
    t.same(out.got, ['e:py', 'o:py'], 'stdin in, stdout and stderr out')
    t.equal(out.binary, true, 'binary messages')
    t.same(out.close, [true, 1000], 'closed with 1000 when the container ended')
  })
})
