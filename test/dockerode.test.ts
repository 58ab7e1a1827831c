/**
 * dockerode (the Docker client most Node programs use) against berthd: the
 * calls a Node program makes every day, each checked for what the program
 * gets back. dockerode talks to unversioned paths, puts POST options in both
 * the query and a JSON body, and reads attach and exec streams from either a
 * plain response or, with `hijack: true`, an upgraded socket.
 */
import t from 'tap'
import Docker from 'dockerode'
import { PassThrough } from 'node:stream'
import { createReadStream } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import { execa } from 'execa'
import { deframe } from '../src/logs/logs.js'
import { ROOTFS, startDaemon, until } from './helpers.js'

/** A writable that keeps what it is given, as text. */
function sink (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (c: Buffer) => { text += c.toString() })
  return { stream, text: () => text }
}

/** The text of one stream (1 stdout, 2 stderr) in a buffer of Docker frames. */
const streamText = (buf: Buffer, stream: 1 | 2): string => deframe(buf).filter(f => f.stream === stream).map(f => f.data.toString()).join('')

t.test('dockerode', async t => {
  const d = await startDaemon(t)
  const docker = new Docker({ socketPath: d.socket })

  t.test('ping, version, info', async t => {
    t.equal(String(await docker.ping()), 'OK')
    const v = await docker.version()
    t.equal(v.ApiVersion, '1.44')
    t.equal(v.Os, 'linux')
    t.ok(v.Components?.some(c => c.Name === 'conmon'), 'conmon among the components')
    const info = await docker.info() as { Containers: number, OSType: string, Driver: string }
    t.equal(info.OSType, 'linux')
    t.equal(typeof info.Containers, 'number')
  })

  t.test('importImage from a tar stream, then listImages', async t => {
    const tarPath = join(d.dir, 'bb.tar')
    await execa('tar', ['-C', ROOTFS, '-cf', tarPath, '.'])
    const progress = await docker.importImage(createReadStream(tarPath), { repo: 'bb', tag: 'latest' })
    const out = await new Promise<Array<{ status?: string, error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(progress, (err: Error | null, res: Array<{ status?: string }>) => err !== null ? reject(err) : resolve(res)))
    t.ok(out.some(m => /^sha256:[0-9a-f]{64}$/.test(m.status ?? '')), 'the new image\'s id in the progress')
    const images = await docker.listImages()
    t.ok(images.some(i => i.RepoTags?.includes('bb:latest')), 'listed as bb:latest')
  })

  t.test('docker.run: exit code and output (TTY by default, demuxed without)', async t => {
    const tty = sink()
    const [res, c] = await docker.run('bb', ['sh', '-c', 'echo hi; exit 3'], tty.stream) as [{ StatusCode: number }, Docker.Container]
    t.equal(res.StatusCode, 3)
    await until(() => tty.text() === 'hi\r\n', 5000, 'tty output').catch(() => {})
    t.equal(tty.text(), 'hi\r\n', 'a TTY\'s line ends')
    await c.remove()

    const out = sink(); const err = sink()
    const [res2, c2] = await docker.run('bb', ['sh', '-c', 'echo to-out; echo to-err >&2'], [out.stream, err.stream], { Tty: false }) as [{ StatusCode: number }, Docker.Container]
    t.equal(res2.StatusCode, 0)
    await until(() => out.text() !== '' && err.text() !== '', 5000, 'demuxed output').catch(() => {})
    t.equal(out.text(), 'to-out\n')
    t.equal(err.text(), 'to-err\n')
    await c2.remove()
  })

  t.test('createContainer, start, wait, logs (all, tail and timestamps, follow)', async t => {
    const c = await docker.createContainer({ Image: 'bb', name: 'dc1', Cmd: ['sh', '-c', 'for i in 1 2 3; do echo line $i; done; echo oops >&2; exit 2'], Labels: { app: 'dockerode' } })
    t.match(c.id, /^[0-9a-f]{64}$/)
    const ins = await c.inspect()
    t.equal(ins.Name, '/dc1')
    t.equal(ins.State.Status, 'created')
    await c.start()
    t.same(await c.wait(), { StatusCode: 2, Error: null })
    t.equal((await c.inspect()).State.ExitCode, 2)

    const all = await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer
    t.equal(streamText(all, 1), 'line 1\nline 2\nline 3\n')
    t.equal(streamText(all, 2), 'oops\n')
    const tail = await c.logs({ stdout: true, tail: 1, timestamps: true, follow: false }) as unknown as Buffer
    t.match(streamText(tail, 1), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 3\n$/, 'the last stdout line, with its timestamp')

    // Follow: the stream ends when the container stops.
    const f = await docker.createContainer({ Image: 'bb', Cmd: ['sh', '-c', 'echo first; sleep 1; echo second'] })
    await f.start()
    const stream = await f.logs({ stdout: true, stderr: true, follow: true })
    const out = sink(); const err = sink()
    docker.modem.demuxStream(stream, out.stream, err.stream)
    await once(stream, 'end')
    t.equal(out.text(), 'first\nsecond\n')
    await f.remove()
    await c.remove()
  })

  t.test('attach with hijack: stdin round trip, demuxed output, exit code', async t => {
    const c = await docker.createContainer({ Image: 'bb', Cmd: ['sh', '-c', 'read x; echo got $x; echo bye >&2; exit 4'], OpenStdin: true, StdinOnce: true })
    const sock = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }) as unknown as NodeJS.ReadWriteStream
    const out = sink(); const err = sink()
    c.modem.demuxStream(sock, out.stream, err.stream)
    const ended = Promise.race([once(sock, 'end'), once(sock, 'close')])
    await c.start()
    sock.write('ping\n')
    sock.end()
    // As Docker's, a wait sent before start would answer at once: a created container is not running.
    t.same(await c.wait(), { StatusCode: 4, Error: null })
    await ended
    t.equal(out.text(), 'got ping\n', 'the request body was not taken for stdin')
    t.equal(err.text(), 'bye\n')
    await c.remove()
  })

  t.test('exec: hijacked stdin, plain output, inspect', async t => {
    const c = await docker.createContainer({ Image: 'bb', Cmd: ['sleep', '1000'] })
    await c.start()
    const ex = await c.exec({ Cmd: ['sh', '-c', 'cat; echo err >&2; exit 5'], AttachStdin: true, AttachStdout: true, AttachStderr: true })
    const sock = await ex.start({ hijack: true, stdin: true }) as NodeJS.ReadWriteStream
    const out = sink(); const err = sink()
    docker.modem.demuxStream(sock, out.stream, err.stream)
    const ended = Promise.race([once(sock, 'end'), once(sock, 'close')])
    sock.write('in\n')
    sock.end()
    await ended
    t.equal(out.text(), 'in\n')
    t.equal(err.text(), 'err\n')
    const seen = await ex.inspect()
    t.equal(seen.ExitCode, 5)
    t.equal(seen.Running, false)

    // A TTY exec started as dockerode users start it: Docker frames the stream unless the start body says Tty.
    for (const Tty of [false, true]) {
      const te = await c.exec({ Cmd: ['sh', '-c', 'read x; echo got $x'], AttachStdin: true, AttachStdout: true, Tty: true })
      const ts = await te.start({ hijack: true, stdin: true, Tty }) as NodeJS.ReadWriteStream
      const chunks: Buffer[] = []
      ts.on('data', (b: Buffer) => chunks.push(b))
      const tsEnded = Promise.race([once(ts, 'end'), once(ts, 'close')])
      ts.write('hey\n')
      await tsEnded
      const raw = Buffer.concat(chunks)
      if (Tty) t.match(raw.toString(), /got hey\r\n$/, 'Tty: true: raw bytes')
      else t.match(streamText(raw, 1), /got hey\r\n$/, 'no Tty: stdout frames')
      t.equal((await te.inspect()).ExitCode, 0)
    }

    const plain = await c.exec({ Cmd: ['echo', 'plain'], AttachStdout: true, AttachStderr: true })
    const stream = await plain.start({})
    const out2 = sink(); const err2 = sink()
    docker.modem.demuxStream(stream, out2.stream, err2.stream)
    await Promise.race([once(stream, 'end'), once(stream, 'close')])
    t.equal(out2.text(), 'plain\n')
    t.equal((await plain.inspect()).ExitCode, 0)
    await c.remove({ force: true })
  })

  t.test('getEvents with filters sees create, start and die', async t => {
    // until: the stream ends by itself should the test fail before it destroys it.
    const events = await docker.getEvents({ until: Math.ceil(Date.now() / 1000) + 30, filters: { container: ['ev-dockerode'], event: ['create', 'start', 'die'] } })
    const seen: Array<{ Action: string, Actor: { Attributes: Record<string, string> } }> = []
    let buf = ''
    events.on('data', (c: Buffer) => {
      buf += c.toString()
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) { seen.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1) }
    })
    const [res, c] = await docker.run('bb', ['sh', '-c', 'exit 6'], new PassThrough(), { name: 'ev-dockerode', Tty: false }) as [{ StatusCode: number }, Docker.Container]
    t.equal(res.StatusCode, 6)
    await until(() => seen.length >= 3, 10_000, 'three events')
    t.same(seen.map(e => e.Action), ['create', 'start', 'die'])
    t.equal(seen[2]!.Actor.Attributes.exitCode, '6')
    t.equal(seen[0]!.Actor.Attributes.name, 'ev-dockerode')
    ;(events as unknown as { destroy: () => void }).destroy()
    await c.remove()
  })

  t.test('listContainers with all and filters', async t => {
    const a = await docker.createContainer({ Image: 'bb', name: 'ls-run', Cmd: ['sleep', '1000'], Labels: { app: 'lister' } })
    const b = await docker.createContainer({ Image: 'bb', name: 'ls-done', Cmd: ['true'], Labels: { app: 'lister' } })
    await a.start()
    await b.start()
    await b.wait()
    const names = (l: Docker.ContainerInfo[]): string[] => l.map(c => c.Names[0]!).sort()
    t.same(names(await docker.listContainers({ filters: { label: ['app=lister'] } })), ['/ls-run'], 'running only by default')
    t.same(names(await docker.listContainers({ all: true, filters: { label: ['app=lister'] } })), ['/ls-done', '/ls-run'])
    const exited = await docker.listContainers({ all: true, filters: { label: ['app=lister'], status: ['exited'] } })
    t.same(names(exited), ['/ls-done'])
    t.match(exited[0], { Image: 'bb', State: 'exited', Status: /^Exited \(0\) /, Labels: { app: 'lister' } })
    t.same(names(await docker.listContainers({ all: true, filters: { name: ['ls-r'] } })), ['/ls-run'])
    const [sized] = await docker.listContainers({ all: true, size: true, filters: { name: ['ls-done'] } }) as Array<{ SizeRw?: number, SizeRootFs?: number }>
    t.ok(sized!.SizeRw === 0 && sized!.SizeRootFs! > 0, 'size: nothing written, the image\'s bytes')
    await a.remove({ force: true })
    await b.remove()
  })

  t.test('top, stats, pause, unpause, rename, restart, kill, stop', async t => {
    // The shell is the container's init, which only signals it handles reach: it traps USR1.
    const c = await docker.createContainer({ Image: 'bb', name: 'ops', Cmd: ['sh', '-c', 'trap "exit 7" USR1; sleep 1000 & wait'] })
    await c.start()
    const top = await c.top() as { Titles: string[], Processes: string[][] }
    t.ok(top.Titles.includes('PID'))
    t.ok(top.Processes.some(p => /sleep 1000/.test(p.at(-1)!)), 'its processes')
    const stats = await c.stats({ stream: false }) as { name: string, pids_stats: { current: number } }
    t.equal(stats.name, '/ops')
    t.equal(stats.pids_stats.current, 2)
    await c.pause()
    t.equal((await c.inspect()).State.Status, 'paused')
    await c.unpause()
    t.equal((await c.inspect()).State.Status, 'running')
    await c.rename({ name: 'ops2' })
    t.equal((await docker.getContainer('ops2').inspect()).Id, c.id)
    const pid = (await c.inspect()).State.Pid
    await c.restart({ t: 0 })
    const after = await c.inspect()
    t.equal(after.State.Status, 'running')
    t.not(after.State.Pid, pid, 'a new process')
    await c.kill({ signal: 'SIGUSR1' })
    t.same(await c.wait(), { StatusCode: 7, Error: null }, 'the trap ran')
    await c.start()
    await c.stop({ t: 0 })
    t.equal((await c.inspect()).State.ExitCode, 137)
    await c.remove()
  })

  t.test('errors carry Docker\'s status and message', async t => {
    const e = await docker.getContainer('nosuch').inspect().catch((err: unknown) => err) as { statusCode: number, json: { message: string } }
    t.equal(e.statusCode, 404)
    t.same(e.json, { message: 'No such container: nosuch' })
    const c = await docker.createContainer({ Image: 'bb', Cmd: ['true'] })
    const stop = await c.stop().catch((err: unknown) => err) as { statusCode: number }
    t.equal(stop.statusCode, 304, 'stopping a container that is not running')
    await c.remove()
  })
})
