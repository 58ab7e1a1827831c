/** Attach and resize against a real berthd: conmon's attach socket and ctl FIFO, on both runtimes. */
import t from 'tap'
import { deframe } from '../src/logs/logs.js'
import { RUNTIMES, createContainer, hijack, sleep, startDaemon, until, type Daemon, type Hijacked } from './helpers.js'

const ATTACH = 'attach?stream=1&stdin=1&stdout=1&stderr=1'

const text = (raw: Buffer, stream: number): string =>
  Buffer.concat(deframe(raw).filter(f => f.stream === stream).map(f => f.data)).toString()

/** Collects what arrives on a hijacked stream as it comes. */
function collect (h: Hijacked): { seen: () => Buffer } {
  const chunks: Buffer[] = []
  h.socket.on('data', (c: Buffer) => chunks.push(c))
  return { seen: () => Buffer.concat(chunks) }
}

async function status (d: Daemon, id: string): Promise<string> {
  return (await d.req('GET', `/containers/${id}/json`)).body.State.Status as string
}

for (const runtime of RUNTIMES) {
  t.test(`attach with ${runtime}`, async t => {
    const d = await startDaemon(t, ['--runtime', runtime])

    t.test('stdin written before start is not lost; the half-close ends it (StdinOnce); output flows after it', async t => {
      const id = await createContainer(d, ['sh', '-c', 'cat; echo after-eof; echo bye >&2'], { OpenStdin: true, StdinOnce: true })
      const h = await hijack(d, `/containers/${id}/${ATTACH}`)
      t.equal(h.status, 101)
      t.match(h.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/)
      t.match(h.head, /Upgrade: tcp/)
      h.socket.write('hello\n')
      h.socket.end() // FIN: stdin ended, the stream stays open for output
      const w = await d.open('POST', `/containers/${id}/wait?condition=next-exit`)
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      const raw = await h.output
      t.equal(text(raw, 1), 'hello\nafter-eof\n')
      t.equal(text(raw, 2), 'bye\n')
      t.equal((await w.body).body.StatusCode, 0)
    })

    t.test('without StdinOnce, stdin stays open when a client\'s stdin ends; the next client can write', async t => {
      const id = await createContainer(d, ['cat'], { OpenStdin: true })
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      const a = await hijack(d, `/containers/${id}/${ATTACH}`)
      const seenA = collect(a)
      a.socket.write('one\n')
      a.socket.end()
      await until(() => text(seenA.seen(), 1) === 'one\n', 10_000, 'echo of one')
      await sleep(200)
      t.equal(await status(d, id), 'running', 'cat still has its stdin')
      a.socket.destroy()
      const b = await hijack(d, `/containers/${id}/${ATTACH}`)
      const seenB = collect(b)
      b.socket.write('two\n')
      await until(() => text(seenB.seen(), 1) === 'two\n', 10_000, 'echo of two')
      b.socket.destroy()
      t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204)
    })

    t.test('output of a running container, to two clients at once; logs=1 replays what came before', async t => {
      const id = await createContainer(d, ['sh', '-c', 'echo early; read x; echo late $x; echo oops >&2'], { OpenStdin: true })
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      await until(async () => (await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw.length > 0, 10_000, 'early line logged')
      const withLogs = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1&stderr=1&logs=1`)
      const live = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1`)
      const feeder = await hijack(d, `/containers/${id}/attach?stream=1&stdin=1`)
      await sleep(100)
      feeder.socket.write('now\n')
      const [a, b, f] = await Promise.all([withLogs.output, live.output, feeder.output])
      t.equal(text(a, 1), 'early\nlate now\n', 'replay, then live')
      t.equal(text(a, 2), 'oops\n')
      t.equal(text(b, 1), 'late now\n', 'live only')
      t.equal(text(b, 2), '', 'stderr not asked for')
      t.equal(f.length, 0, 'a client that asked for no output gets none')
    })

    t.test('a client that never reads does not hold the container', async t => {
      const id = await createContainer(d, ['sh', '-c', 'i=0; while [ $i -lt 64 ]; do head -c 1048576 /dev/zero; i=$((i+1)); done; echo done'])
      const h = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1`)
      h.socket.pause() // never read: the kernel's buffers fill, then berthd's
      const w = await d.open('POST', `/containers/${id}/wait?condition=next-exit`)
      await d.req('POST', `/containers/${id}/start`)
      const code = await Promise.race([w.body.then(r => r.body.StatusCode as number), sleep(30_000).then(() => 'stalled')])
      t.equal(code, 0, '64 MiB written and the container exited while its client read nothing')
      h.socket.destroy()
      // The zeros have no newline: the last log line may hold the tail of them before "done".
      const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&tail=1`)
      t.match(text(logs.raw, 1), /done\n$/, 'the log has it all')
    })

    t.test('attach without upgrade streams output (dockerode\'s default) and ends at exit', async t => {
      const id = await createContainer(d, ['sh', '-c', 'echo plain; echo err >&2; exit 2'])
      const h = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, undefined, false)
      t.equal(h.status, 200)
      t.match(h.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/)
      await d.req('POST', `/containers/${id}/start`)
      const raw = await h.output
      t.equal(text(raw, 1), 'plain\n')
      t.equal(text(raw, 2), 'err\n')
    })

    t.test('a stopped container\'s attach begins with its next run (docker start -a)', async t => {
      const id = await createContainer(d, ['sh', '-c', 'echo run'])
      await d.req('POST', `/containers/${id}/start`)
      await until(async () => await status(d, id) === 'exited', 10_000, 'first run ends')
      const h = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1`)
      await sleep(100)
      await d.req('POST', `/containers/${id}/start`)
      t.equal(text(await h.output, 1), 'run\n', 'the second run\'s output only')
      const gone = await hijack(d, `/containers/${id}/attach?stream=1&stdout=1`)
      await d.req('DELETE', `/containers/${id}`)
      t.equal((await gone.output).length, 0, 'removing the container ends a waiting attach')
    })

    t.test('a TTY container: raw bytes, a terminal of the asked size, resize, and detach keys', async t => {
      const id = await createContainer(d, ['sh', '-c', 'stty size; read x; stty size; read y; echo got $y'], { Tty: true, OpenStdin: true, ConsoleSize: [24, 80] })
      await d.req('POST', `/containers/${id}/start`)
      const h = await hijack(d, `/containers/${id}/${ATTACH}&logs=1`)
      t.match(h.head, /application\/vnd\.docker\.raw-stream/)
      const seen = collect(h)
      await until(() => seen.seen().toString().includes('24 80'), 10_000, 'first size')
      t.equal((await d.req('POST', `/containers/${id}/resize?h=50&w=132`)).status, 200)
      h.socket.write('\n')
      await until(() => seen.seen().toString().includes('50 132\r\n'), 10_000, 'size after resize')
      h.socket.write(Buffer.from([0x10, 0x11])) // ctrl-p ctrl-q: detach, the container runs on
      await h.output
      t.equal(await status(d, id), 'running', 'detaching left it running')
      const again = await hijack(d, `/containers/${id}/${ATTACH}`)
      again.socket.write('back\n')
      t.match((await again.output).toString(), /got back/, 'stdin still open after the detach')
    })
  })
}

t.test('attach and resize: bad input', async t => {
  const d = await startDaemon(t)
  const id = await createContainer(d, ['sleep', '1000'])
  const unknown = await hijack(d, `/containers/nosuch/${ATTACH}`)
  t.equal(unknown.status, 404)
  t.same(JSON.parse((await unknown.output).toString()), { message: 'No such container: nosuch' })
  const noStream = await hijack(d, `/containers/${id}/attach?stdout=1`)
  t.equal(noStream.status, 400)
  t.match(JSON.parse((await noStream.output).toString()).message, /at least one stream/)
  const badKeys = await hijack(d, `/containers/${id}/${ATTACH}&detachKeys=ctrl-%3F`)
  t.equal(badKeys.status, 400)
  t.match(JSON.parse((await badKeys.output).toString()).message, /Invalid detach keys/)
  const badVersion = await hijack(d, `/v9.99/containers/${id}/${ATTACH}`)
  t.equal(badVersion.status, 400)
  const plainUnknown = await d.req('POST', `/containers/nosuch/${ATTACH}`)
  t.equal(plainUnknown.status, 404)

  await d.req('POST', `/containers/${id}/start`)
  await d.req('POST', `/containers/${id}/pause`)
  const paused = await hijack(d, `/containers/${id}/${ATTACH}`)
  t.equal(paused.status, 409)
  t.match(JSON.parse((await paused.output).toString()).message, /is paused, unpause the container before attach/)
  await d.req('POST', `/containers/${id}/unpause`)

  const notTty = await d.req('POST', `/containers/${id}/resize?h=10&w=10`)
  t.equal(notTty.status, 409)
  t.match(notTty.body.message, /has no terminal/)
  for (const q of ['h=0&w=10', 'h=10&w=65536', 'h=-3&w=5', 'h=abc&w=5', 'h=5']) {
    const r = await d.req('POST', `/containers/${id}/resize?${q}`)
    t.equal(r.status, 400, `resize ${q}`)
    t.type(r.body.message, 'string')
  }
  t.equal((await d.req('POST', '/containers/nosuch/resize?h=10&w=10')).status, 404)
  const stopped = await createContainer(d, ['true'], { Tty: true })
  t.equal((await d.req('POST', `/containers/${stopped}/resize?h=10&w=10`)).status, 409, 'not running')
})
