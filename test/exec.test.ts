/** Exec against a real berthd: each exec under its own conmon, on both runtimes. */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { deframe } from '../src/logs/logs.js'
import { RUNTIMES, createContainer, hijack, sleep, startDaemon, until, type Daemon } from './helpers.js'

/** Creates an exec and starts it attached (upgraded); resolves with the decoded stream and the exec's record right after EOF. */
async function execRun (d: Daemon, id: string, body: Record<string, unknown>, stdin?: Buffer) {
  const c = await d.req('POST', `/containers/${id}/exec`, { AttachStdout: true, AttachStderr: true, ...body })
  if (c.status !== 201) throw new Error(`exec create: ${c.status} ${JSON.stringify(c.body)}`)
  const execId = c.body.Id as string
  const h = await hijack(d, `/exec/${execId}/start`, { Detach: false, Tty: body.Tty === true })
  if (stdin !== undefined) h.socket.write(stdin)
  h.socket.end()
  const raw = await h.output
  // The docker CLI reads the exit code once, right after EOF: it must be final by then.
  const ins = await d.req('GET', `/exec/${execId}/json`)
  const frames = body.Tty === true ? [] : deframe(raw)
  const text = (stream: number): string => Buffer.concat(frames.filter(f => f.stream === stream).map(f => f.data)).toString()
  return { execId, status: h.status, head: h.head, raw, stdout: text(1), stderr: text(2), ins: ins.body }
}

for (const runtime of RUNTIMES) {
  t.test(`exec with ${runtime}`, async t => {
    const d = await startDaemon(t, ['--runtime', runtime])
    const id = await createContainer(d, ['sleep', '1000'], { Name: `ex-${runtime}` })
    t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)

    t.test('stdout and stderr are separate streams; exit codes are recorded before EOF', async t => {
      const r = await execRun(d, id, { Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 5'] })
      t.equal(r.status, 101)
      t.match(r.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/)
      t.equal(r.stdout, 'out\n')
      t.equal(r.stderr, 'err\n')
      t.equal(r.ins.ExitCode, 5)
      t.equal(r.ins.Running, false)
      t.equal(r.ins.ContainerID, id)
      t.same(r.ins.ProcessConfig, { entrypoint: 'sh', arguments: ['-c', 'echo out; echo err >&2; exit 5'], tty: false, privileged: false, user: '' })
      const ok = await execRun(d, id, { Cmd: ['true'] })
      t.equal(ok.ins.ExitCode, 0)
      t.equal(ok.raw.length, 0, 'no output, no frames')
    })

    t.test('a command that does not exist: Docker\'s message on the stream and 126 (moby\'s exec inspect for any failed start)', async t => {
      const r = await execRun(d, id, { Cmd: ['no-such-command'] })
      t.equal(r.status, 101)
      t.match(r.stdout, /^OCI runtime exec failed: .*no-such-command.* not found.*: unknown\r\n$/)
      t.equal(r.ins.ExitCode, 126)
      t.equal(r.ins.Running, false)
    })

    t.test('10 MB through cat on stdin comes back byte for byte', async t => {
      const data = randomBytes(10 * 1024 * 1024)
      const r = await execRun(d, id, { Cmd: ['cat'], AttachStdin: true }, data)
      t.equal(r.ins.ExitCode, 0)
      const frames = deframe(r.raw)
      const back = Buffer.concat(frames.map(f => f.data))
      t.equal(back.length, data.length)
      t.ok(back.equals(data), 'identical bytes')
      t.ok(frames.every(f => f.stream === 1), 'all on stdout')
    })

    t.test('Env, WorkingDir and User apply, names resolved in the container', async t => {
      const r = await execRun(d, id, { Cmd: ['sh', '-c', 'echo $A $PATH; pwd; id -u; id -g'], Env: ['A=1'], WorkingDir: '/tmp', User: 'nobody' })
      const [env, cwd, uid, gid] = r.stdout.trim().split('\n')
      t.match(env, /^1 \/usr\/local\/sbin/)
      t.equal(cwd, '/tmp')
      t.equal(uid, '65534')
      t.equal(gid, '65534')
      const numeric = await execRun(d, id, { Cmd: ['sh', '-c', 'id -u; id -g'], User: '1:2' })
      t.equal(numeric.stdout, '1\n2\n')
    })

    t.test('stdin typed after a start body that came in a packet of its own reaches the process', async t => {
      // The docker client sends the start body apart from the head; reading it must not leave stdin unread.
      const c = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'read x; echo "got $x"'], AttachStdin: true, AttachStdout: true })
      const execId = c.body.Id as string
      const h = await hijack(d, `/exec/${execId}/start`, { Detach: false, Tty: false }, true, true)
      t.equal(h.status, 101)
      await sleep(200)
      h.socket.write('typed\n')
      const raw = await Promise.race([h.output, sleep(15_000).then(() => { h.socket.destroy(); return Buffer.from('') })])
      t.equal(deframe(raw).map(f => f.data.toString()).join(''), 'got typed\n', 'the process read the line and ended')
      t.equal((await d.req('GET', `/exec/${execId}/json`)).body.ExitCode, 0)
    })

    t.test('a TTY exec gets a terminal whose size follows resize', async t => {
      // The process reads a line before its first probe: output a TTY exec writes in its first
      // instant can be lost between the runtime and conmon (see the README), which is not what this tests.
      const c = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'read x; stty size; read y; stty size'], Tty: true, AttachStdin: true, AttachStdout: true, ConsoleSize: [30, 100] })
      const execId = c.body.Id as string
      const h = await hijack(d, `/exec/${execId}/start`, { Detach: false, Tty: true })
      t.match(h.head, /application\/vnd\.docker\.raw-stream/)
      let seen = ''
      h.socket.on('data', (b: Buffer) => { seen += b.toString() })
      await sleep(300)
      h.socket.write('\n')
      await until(() => seen.includes('30 100'), 10_000, 'first size')
      const rs = await d.req('POST', `/exec/${execId}/resize?h=40&w=120`)
      t.equal(rs.status, 200)
      h.socket.write('\n')
      await h.output
      t.match(seen, /30 100\r\n[\s\S]*40 120\r\n/, 'raw TTY bytes, CRLF from the pty')
      t.equal((await d.req('GET', `/exec/${execId}/json`)).body.ExitCode, 0)
    })

    t.test('a detached exec runs on; so does an attached one whose client left', async t => {
      const c = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sleep', '0.5'], Detach: true })
      const s = await d.req('POST', `/exec/${c.body.Id as string}/start`, { Detach: true, Tty: false })
      t.equal(s.status, 200)
      t.equal(s.raw.length, 0)
      const running = await d.req('GET', `/exec/${c.body.Id as string}/json`)
      t.equal(running.body.Running, true)
      t.equal(running.body.ExitCode, null)
      t.ok(running.body.Pid > 0)
      await until(async () => (await d.req('GET', `/exec/${c.body.Id as string}/json`)).body.Running === false, 10_000, 'detached exec end')
      t.equal((await d.req('GET', `/exec/${c.body.Id as string}/json`)).body.ExitCode, 0)

      const a = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'sleep 0.5; exit 4'], AttachStdout: true })
      const h = await hijack(d, `/exec/${a.body.Id as string}/start`, { Detach: false })
      h.socket.destroy()
      await sleep(100)
      t.equal((await d.req('GET', `/exec/${a.body.Id as string}/json`)).body.Running, true, 'still running after the client left')
      await until(async () => (await d.req('GET', `/exec/${a.body.Id as string}/json`)).body.ExitCode === 4, 10_000, 'exit 4')
    })

    t.test('exec ids are listed on the container and go with it', async t => {
      const ins = await d.req('GET', `/containers/${id}/json`)
      t.ok(Array.isArray(ins.body.ExecIDs) && ins.body.ExecIDs.length >= 5)
      const some = ins.body.ExecIDs[0] as string
      t.equal((await d.req('GET', `/exec/${some}/json`)).status, 200)
      t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204)
      const gone = await d.req('GET', `/exec/${some}/json`)
      t.equal(gone.status, 404)
      t.equal(gone.body.message, `No such exec instance: ${some}`)
    })
  })
}

t.test('exec: bad input', async t => {
  const d = await startDaemon(t)
  const id = await createContainer(d, ['sleep', '1000'])
  const created = await createContainer(d, ['true'])
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)

  const unknown = await d.req('POST', '/containers/nosuch/exec', { Cmd: ['true'] })
  t.equal(unknown.status, 404)
  t.equal(unknown.body.message, 'No such container: nosuch')
  const notRunning = await d.req('POST', `/containers/${created}/exec`, { Cmd: ['true'] })
  t.equal(notRunning.status, 409)
  t.equal(notRunning.body.message, `container ${created} is not running`)

  for (const [what, body, msg] of [
    ['no Cmd', {}, /No exec command specified/],
    ['empty Cmd', { Cmd: [] }, /No exec command specified/],
    ['Cmd an object', { Cmd: { a: 1 } }, /invalid request/],
    ['Env not strings', { Cmd: ['true'], Env: [1, {}] }, /invalid request/],
    ['relative WorkingDir', { Cmd: ['true'], WorkingDir: 'tmp' }, /needs to be an absolute path/],
    ['unknown user', { Cmd: ['true'], User: 'nosuchuser' }, /unable to find user nosuchuser/],
    ['unknown group', { Cmd: ['true'], User: 'root:nosuchgroup' }, /unable to find group nosuchgroup/],
    ['bad ConsoleSize', { Cmd: ['true'], ConsoleSize: [1] }, /invalid request/]
  ] as const) {
    const r = await d.req('POST', `/containers/${id}/exec`, body)
    t.equal(r.status, 400, what)
    t.match(r.body.message, msg, what)
  }
  const oneString = await d.req('POST', `/containers/${id}/exec`, { Cmd: 'true' })
  t.equal(oneString.status, 201, 'Cmd as one string is one argument, as Docker\'s StrSlice reads it')
  const notJson = await d.req('POST', `/containers/${id}/exec`, '{"Cmd": [', { 'content-type': 'application/json' })
  t.equal(notJson.status, 400)

  const noExec = await hijack(d, `/exec/${'0'.repeat(64)}/start`, { Detach: false })
  t.equal(noExec.status, 404)
  t.match(noExec.head, /Content-Type: application\/json/)
  t.same(JSON.parse((await noExec.output).toString()), { message: `No such exec instance: ${'0'.repeat(64)}` })
  t.equal((await d.req('GET', '/exec/nosuch/json')).status, 404)
  t.equal((await d.req('POST', '/exec/nosuch/resize?h=10&w=10')).status, 404)

  const once = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['true'] })
  t.equal((await d.req('POST', `/exec/${once.body.Id as string}/start`, { Detach: true })).status, 200)
  const again = await d.req('POST', `/exec/${once.body.Id as string}/start`, { Detach: true })
  t.equal(again.status, 409)
  t.match(again.body.message, /already been started/)

  const e = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sleep', '5'], Tty: true })
  await d.req('POST', `/exec/${e.body.Id as string}/start`, { Detach: true })
  for (const q of ['h=0&w=10', 'h=10&w=70000', 'h=-1&w=5', 'h=abc&w=5', 'w=5']) {
    const r = await d.req('POST', `/exec/${e.body.Id as string}/resize?${q}`)
    t.equal(r.status, 400, `resize ${q}`)
  }
  const plain = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['sleep', '5'] })
  await d.req('POST', `/exec/${plain.body.Id as string}/start`, { Detach: true })
  t.equal((await d.req('POST', `/exec/${plain.body.Id as string}/resize?h=10&w=10`)).status, 409, 'no terminal to resize')

  t.equal((await d.req('POST', `/containers/${id}/pause`)).status, 204)
  const paused = await d.req('POST', `/containers/${id}/exec`, { Cmd: ['true'] })
  t.equal(paused.status, 409)
  t.match(paused.body.message, /is paused, unpause the container before exec/)
  t.equal((await d.req('POST', `/containers/${id}/unpause`)).status, 204)

  const bad = await hijack(d, '/containers/nosuch/other')
  t.equal(bad.status, 404, 'other upgrade requests: 404')
})
