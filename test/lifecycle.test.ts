/** The whole lifecycle against a real berthd, conmon and each runtime. */
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { deframe } from '../src/logs/logs.js'
import { containerEvents, createContainer, makeBundle, run, RUNTIMES, startDaemon, until } from './helpers.js'

const nowS = (): string => (Date.now() / 1000).toFixed(3)
/** Events as `kill 15`, `die 143`, `stop`: the order of signals and exits, which timings only stood in for. */
const signalsAndActions = (evs: Array<{ Action: string, Actor: { Attributes: Record<string, string> } }>): string[] =>
  evs.map(e => [e.Action, e.Actor.Attributes.signal ?? e.Actor.Attributes.exitCode].filter(x => x !== undefined).join(' '))

for (const runtime of RUNTIMES) {
  t.test(`lifecycle with ${runtime}`, async t => {
    const d = await startDaemon(t, ['--runtime', runtime])

    t.test('create, start, wait, logs, inspect, list, delete', async t => {
      const b = await makeBundle(d, ['sh', '-c', 'echo out1; echo err1 >&2; sleep 0.1; echo out2; exit 3'])
      const c = await d.req('POST', '/containers', { Bundle: b, Name: `hello-${runtime}`, Labels: { app: 'hello' } })
      t.equal(c.status, 201)
      t.match(c.body, { Id: /^[0-9a-f]{64}$/, Warnings: [] })
      const id = c.body.Id as string

      const created = await d.req('GET', `/containers/hello-${runtime}/json`)
      t.equal(created.status, 200)
      t.equal(created.body.State.Status, 'created')
      t.equal(created.body.Name, `/hello-${runtime}`)
      t.same(created.body.Args, ['-c', 'echo out1; echo err1 >&2; sleep 0.1; echo out2; exit 3'])
      t.equal(created.body.HostConfig.Runtime, runtime)
      t.same(created.body.Config.Labels, { app: 'hello' })

      const start = await d.req('POST', `/containers/hello-${runtime}/start`)
      t.equal(start.status, 204)
      const wait = await d.req('POST', `/containers/${id}/wait`)
      t.equal(wait.status, 200)
      t.same(wait.body, { StatusCode: 3, Error: null })
      t.equal(wait.headers['content-type'], 'application/json')

      const ins = await d.req('GET', `/containers/${id.slice(0, 12)}/json`)
      t.equal(ins.body.State.Status, 'exited')
      t.equal(ins.body.State.ExitCode, 3)
      t.equal(ins.body.State.Running, false)
      t.not(ins.body.State.StartedAt, '0001-01-01T00:00:00Z')
      t.ok(Date.parse(ins.body.State.FinishedAt) >= Date.parse(ins.body.State.StartedAt))

      const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`)
      t.equal(logs.status, 200)
      t.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream')
      const frames = deframe(logs.raw)
      const text = (s: number): string => frames.filter(f => f.stream === s).map(f => f.data.toString()).join('')
      t.equal(text(1), 'out1\nout2\n')
      t.equal(text(2), 'err1\n')
      const onlyErr = deframe((await d.req('GET', `/containers/${id}/logs?stderr=1`)).raw)
      t.same(onlyErr.map(f => [f.stream, f.data.toString()]), [[2, 'err1\n']])
      const tail = deframe((await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1&tail=1`)).raw)
      t.same(tail.map(f => f.data.toString()), ['out2\n'])
      const stamped = deframe((await d.req('GET', `/containers/${id}/logs?stdout=1&timestamps=1`)).raw)
      t.match(stamped[0]!.data.toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1\n$/)
      const future = deframe((await d.req('GET', `/containers/${id}/logs?stdout=1&since=${Math.floor(Date.now() / 1000) + 3600}`)).raw)
      t.same(future, [])

      const running = await d.req('GET', '/containers/json')
      t.notOk((running.body as any[]).some(c => c.Id === id), 'exited containers are not listed without all')
      const all = await d.req('GET', '/v1.44/containers/json?all=1')
      const mine = (all.body as any[]).find(c => c.Id === id)
      t.match(mine, { Names: [`/hello-${runtime}`], State: 'exited', Status: /^Exited \(3\) /, Labels: { app: 'hello' } })

      // Starting an exited container runs it again; its log grows.
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      t.same((await d.req('POST', `/containers/${id}/wait`)).body, { StatusCode: 3, Error: null })
      const twice = deframe((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw)
      t.equal(Buffer.concat(twice.map(f => f.data)).toString(), 'out1\nout2\nout1\nout2\n', 'both runs\' lines')
      t.ok(twice.every(f => f.stream === 1))

      t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
      t.equal((await d.req('GET', `/containers/${id}/json`)).status, 404)
      // The DELETE answers once the removal is durable; the rest goes in the background.
      await until(async () => (await readdir(join(d.state, 'containers'))).length === 0, 10_000, 'the state dir removed')
      await until(async () => (await readdir(join(d.root, 'containers'))).length === 0, 10_000, 'the record and log removed')
    })

    t.test('exit codes and signals', async t => {
      t.equal((await run(d, ['true'])).code, 0)
      t.equal((await run(d, ['sh', '-c', 'exit 42'])).code, 42)
      // A container's init ignores signals it has no handler for (pid 1 of its namespace), so it traps them.
      const id = await createContainer(d, ['sh', '-c', 'trap "exit 5" USR1; while true; do sleep 0.05; done'])
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      const w = await d.open('POST', `/containers/${id}/wait`)
      t.equal(w.status, 200, 'wait answers its status before the container exits')
      await new Promise(resolve => setTimeout(resolve, 200)) // let sh install its trap
      t.equal((await d.req('POST', `/containers/${id}/kill?signal=USR1`)).status, 204)
      t.same((await w.body).body, { StatusCode: 5, Error: null })
      const id2 = await createContainer(d, ['sleep', '60'])
      await d.req('POST', `/containers/${id2}/start`)
      t.equal((await d.req('POST', `/containers/${id2}/kill`)).status, 204, 'default signal is SIGKILL')
      t.same((await d.req('POST', `/containers/${id2}/wait`)).body, { StatusCode: 137, Error: null })
      const ins = await d.req('GET', `/containers/${id2}/json`)
      t.equal(ins.body.State.ExitCode, 137)
    })

    t.test('logs follow streams until the container exits', async t => {
      const id = await createContainer(d, ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done'])
      await d.req('POST', `/containers/${id}/start`)
      const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&follow=1`)
      t.equal(logs.status, 200)
      t.same(deframe(logs.raw).map(f => f.data.toString()), ['line1\n', 'line2\n', 'line3\n'])
      const ins = await d.req('GET', `/containers/${id}/json`)
      t.equal(ins.body.State.Status, 'exited', 'the stream ended because the container stopped')
    })

    t.test('tty containers log raw bytes', async t => {
      const { id, code } = await run(d, ['sh', '-c', 'echo hi; echo there >&2'], { Tty: true })
      t.equal(code, 0)
      const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`)
      t.equal(logs.headers['content-type'], 'application/vnd.docker.raw-stream')
      t.equal(logs.raw.toString(), 'hi\r\nthere\r\n')
      t.equal((await d.req('GET', `/containers/${id}/json`)).body.Config.Tty, true)
    })

    t.test('stop, restart, kill and delete semantics', async t => {
      const id = await createContainer(d, ['sh', '-c', 'trap "exit 143" TERM; echo trapped; while true; do sleep 0.05; done'])
      t.equal((await d.req('POST', `/containers/${id}/kill`)).status, 409, 'kill of a created container')
      t.equal((await d.req('POST', `/containers/${id}/stop`)).status, 304, 'stop of a created container')
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
      t.equal((await d.req('POST', `/containers/${id}/start`)).status, 304, 'start of a running container')
      const del = await d.req('DELETE', `/containers/${id}`)
      t.equal(del.status, 409)
      t.match(del.body.message, /container is running: stop the container before removing or force remove/)

      await until(async () => (await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw.includes('trapped'), 10_000, 'sh to install its trap')
      const since = nowS()
      t.equal((await d.req('POST', `/containers/${id}/stop?t=5`)).status, 204)
      t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.ExitCode, 143)
      t.same(signalsAndActions(await containerEvents(d, id, since)), ['kill 15', 'die 143', 'stop'], 'it exits on SIGTERM, never SIGKILLed')
      t.equal((await d.req('POST', `/containers/${id}/stop`)).status, 304, 'stop of a stopped container')
      t.equal((await d.req('POST', `/containers/${id}/kill`)).status, 409, 'kill of a stopped container')

      // A process that ignores SIGTERM is SIGKILLed after t seconds.
      const stubborn = await createContainer(d, ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'])
      await d.req('POST', `/containers/${stubborn}/start`)
      const since1 = nowS()
      t.equal((await d.req('POST', `/containers/${stubborn}/stop?t=1`)).status, 204)
      t.equal((await d.req('GET', `/containers/${stubborn}/json`)).body.State.ExitCode, 137)
      const evs = await containerEvents(d, stubborn, since1)
      // Docker also logs `kill 9` for the escalation (daemon/stop.go); berth does not, so the exit stands for it.
      t.same(signalsAndActions(evs), ['kill 15', 'die 137', 'stop'], 'SIGTERM first, then the SIGKILL\'s 137')
      const at = (action: string): number => evs.find(e => e.Action === action)?.timeNano ?? NaN
      t.ok(at('die') - at('kill') >= 1e9, 'the SIGKILL came once the 1 s timeout had passed (a lower bound; load only adds to it)')

      t.equal((await d.req('POST', `/containers/${id}/restart?t=1`)).status, 204)
      const after = await d.req('GET', `/containers/${id}/json`)
      t.equal(after.body.State.Status, 'running', 'restart runs a stopped container again')
      t.equal((await d.req('POST', `/containers/${id}/restart?t=1`)).status, 204)
      t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'running', 'restart of a running one')

      const removed = await d.open('POST', `/containers/${id}/wait?condition=removed`)
      t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204)
      t.same((await removed.body).body, { StatusCode: 137, Error: null }, 'wait removed answers on delete')
      t.equal((await d.req('DELETE', `/containers/${id}`)).status, 404)

      const never = await createContainer(d, ['true'])
      t.same((await d.req('POST', `/containers/${never}/wait`)).body, { StatusCode: 0, Error: null }, 'not-running answers at once for a created container')
      t.same((await d.req('POST', `/containers/${never}/wait?condition=`)).body, { StatusCode: 0, Error: null }, 'an empty condition is not-running (the 20.10 client sends it)')
      t.equal((await d.req('DELETE', `/containers/${never}`)).status, 204, 'a created container is removed without force')
      await until(async () => (await readdir(join(d.state, 'rt', runtime))).length === 0, 5000, 'runtime state cleaned')
    })

    t.test('two stops at once of a paused container', async t => {
      // Found by the fuzzer: the second stop resumed again and got a 500 ('container not paused').
      const id = await createContainer(d, ['sleep', '60'])
      await d.req('POST', `/containers/${id}/start`)
      t.equal((await d.req('POST', `/containers/${id}/pause`)).status, 204)
      const stops = await Promise.all([1, 2].map(async () => (await d.req('POST', `/containers/${id}/stop?t=1`)).status))
      t.same(stops, [204, 204])
      const st = (await d.req('GET', `/containers/${id}/json`)).body.State
      t.match(st, { Status: 'exited', Paused: false })
      t.equal((await d.req('DELETE', `/containers/${id}`)).status, 204)
    })

    t.test('next-exit waits for a created container to run and exit', async t => {
      const id = await createContainer(d, ['sh', '-c', 'exit 7'])
      const w = await d.open('POST', `/containers/${id}/wait?condition=next-exit`)
      t.equal(w.status, 200)
      await d.req('POST', `/containers/${id}/start`)
      t.same((await w.body).body, { StatusCode: 7, Error: null })
    })
  })
}
