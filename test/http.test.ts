/** The HTTP layer under clients that do not wait: early answers over unsent bodies, followed logs that are slow to start. */
import t from 'tap'
import { mkdir, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { deframe } from '../src/logs/logs.js'
import { makeBundle, startDaemon } from './helpers.js'

/** Blocks this process for `ms`: the daemon, another process, answers meanwhile, and nothing here reads it yet. */
const block = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) }

interface Try {
  /** What came back before the connection closed (or the status line was in, for keep-alive). */
  out: string
  /** The socket error seen, if any (EPIPE, ECONNRESET). */
  error?: string
  /** The server closed the connection (rather than the test giving up after `waitMs`). */
  closed: boolean
}

/**
 * Sends the request head, then, as a client that writes its body in a
 * packet of its own, the body `bodyAfter` after `pauseMs` (0: never). The
 * connection is read until the server closes it, or (keepAlive) until the
 * status line is in.
 */
function tryRequest (socket: string, head: string, bodyAfter: Buffer | undefined, pauseMs: number, until: 'close' | 'status' = 'close', waitMs = 20_000): Promise<Try> {
  return new Promise(resolve => {
    const c = connect(socket)
    const r: Try = { out: '', closed: false }
    const done = (): void => { clearTimeout(timer); c.destroy(); resolve(r) }
    const timer = setTimeout(done, waitMs)
    c.on('data', b => { r.out += b.toString('latin1'); if (until === 'status' && r.out.includes('\r\n')) done() })
    c.on('error', err => { r.error = (err as NodeJS.ErrnoException).code })
    c.on('close', () => { r.closed = true; done() })
    c.on('connect', () => {
      c.write(head)
      if (bodyAfter === undefined) return
      // The server reads the head and answers in this pause; the body is written before this process
      // gets to read the answer, which is what a client sending its body at once does.
      block(pauseMs)
      c.write(bodyAfter)
    })
  })
}

const head = (method: string, path: string, length: number, connection = 'close'): string =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: ${connection}\r\n\r\n`

const d = await startDaemon(t)

t.test('an answer given before the body was read reaches a client still sending it', async t => {
  // Answers that come before the body is parsed: a version refused, a query refused, a GET with a body.
  const early: Array<[string, string, number]> = [
    ['POST', '/v1.99/containers/x/start', 400],
    ['GET', '/containers/json?filters=%7Bnot-json', 400],
    ['GET', '/containers/nosuch/json', 404]
  ]
  const lost: string[] = []
  for (let i = 0; i < 200; i++) {
    const [method, path, status] = early[i % early.length]!
    const r = await tryRequest(d.socket, head(method, path, 2), Buffer.from('{}'), 20)
    if (!r.out.startsWith(`HTTP/1.1 ${status} `)) lost.push(`${method} ${path}: ${r.error ?? JSON.stringify(r.out.slice(0, 40))}`)
  }
  t.same(lost, [], 'every try of 200 read its status (2-byte body sent after the head)')

  // Over the body limit: refused from Content-Length; the client still sends it all.
  const big = Buffer.alloc(2 * 1024 * 1024, 'x')
  const refused: string[] = []
  for (let i = 0; i < 8; i++) {
    const r = await tryRequest(d.socket, head('POST', '/containers', big.length), big, i % 2 === 0 ? 20 : 0)
    if (!r.out.startsWith('HTTP/1.1 413 ')) refused.push(r.error ?? JSON.stringify(r.out.slice(0, 40)))
  }
  t.same(refused, [], 'every oversized body of 8 got its 413')

  const noBody = await tryRequest(d.socket, head('GET', '/containers/json?filters=%7Bnot-json', 100), undefined, 0, 'status')
  t.match(noBody.out, /^HTTP\/1\.1 400 /, 'the answer does not wait for the body')

  // A body far over what is worth reading: the connection is closed, though the client asked to keep it.
  const endless = await tryRequest(d.socket, head('GET', '/containers/json?filters=%7Bnot-json', 64 * 1024 * 1024, 'keep-alive'), Buffer.alloc(8 * 1024 * 1024), 20, 'close', 10_000)
  t.match(endless.out, /^HTTP\/1\.1 400 /, 'a kept-alive request with a large unread body gets its answer')
  t.ok(endless.closed, 'and its connection is closed once the drain limit is read, not held for the rest')

  t.equal((await d.req('GET', '/_ping')).status, 200, 'still serving')
  t.notOk(d.stderr().includes('"level":50'), 'nothing logged as an error')
})

t.test('a kept-alive connection carries on after an answer that did not wait for the body', async t => {
  const out = await new Promise<string>((resolve, reject) => {
    const c = connect(d.socket)
    let text = ''
    c.on('data', b => { text += b.toString(); if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 2 && text.endsWith('OK')) { c.destroy(); resolve(text) } })
    c.on('error', reject)
    c.on('connect', () => {
      c.write(head('GET', '/containers/json?filters=%7Bnot-json', 2, 'keep-alive'))
      block(20)
      c.write('{}GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n')
    })
  })
  t.match(out, /^HTTP\/1\.1 400 [^]*HTTP\/1\.1 200 [^]*OK$/, 'the 400, then the next request\'s answer')
})

t.test('logs with follow send their headers before the first line', async t => {
  const sig = join(d.dir, 'sig')
  await mkdir(sig)
  // Silent until the test says go (or 10 s pass): its line tells which came first.
  const bundle = await makeBundle(d, ['sh', '-c', 'i=0; while [ ! -e /tmp/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e /tmp/go ] && echo after-headers || echo gave-up'], s => {
    s.mounts.push({ destination: '/tmp', type: 'bind', source: sig, options: ['rbind', 'rw'] })
  })
  const id = (await d.req('POST', '/containers', { Bundle: bundle })).body.Id as string
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  const logs = await d.open('GET', `/containers/${id}/logs?stdout=1&follow=1`)
  t.equal(logs.status, 200)
  t.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream')
  t.equal(logs.headers['api-version'], '1.44', 'the usual headers')
  await writeFile(join(sig, 'go'), '')
  const body = await logs.body
  t.same(deframe(body.raw).map(f => f.data.toString()), ['after-headers\n'], 'the headers came while the container was silent')
})
