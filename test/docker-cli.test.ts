/**
 * The real docker client against berthd: attach, start -ai, exec and its
 * flags, and exec -it from a terminal (util-linux `script` gives it a pty).
 */
import t from 'tap'
import { execa } from 'execa'
import { createContainer, DOCKER, dockerEnv, dockerTest, sleep, startDaemon, until, type Daemon } from './helpers.js'

/** Runs the docker client against `d`; never hangs a test for more than 30 s. */
function docker (d: Daemon, args: string[], input?: string) {
  return execa(DOCKER, args, {
    env: dockerEnv(d),
    input: input ?? '', reject: false, timeout: 30_000, killSignal: 'SIGKILL'
  })
}

/** Runs `command` under a 30x100 pseudo-terminal, typing `keys` into it, each after a pause. */
/**
 * `command` in a 30x100 terminal (script(1)); `keys` typed 700 ms apart. A
 * function for `keys` is asked for the next key with what the terminal has
 * shown so far (undefined: stop typing).
 */
function inTerminal (d: Daemon, command: string, keys: string[] | ((shown: string) => string | undefined) = []) {
  let shown = ''
  const next = typeof keys === 'function' ? keys : (() => { let i = 0; return () => keys[i++] })()
  async function * typing (): AsyncGenerator<string> {
    for (;;) {
      await sleep(700)
      const k = next(shown)
      if (k === undefined) return
      yield k
    }
  }
  const child = execa('script', ['-qec', `stty rows 30 cols 100; ${command}`, '/dev/null'], {
    env: { ...dockerEnv(d), TERM: 'xterm' },
    stdin: typing(), reject: false, timeout: 30_000, killSignal: 'SIGKILL'
  })
  child.stdout?.on('data', (b: Buffer) => { shown += b.toString() })
  return child
}

dockerTest(t, 'docker CLI: attach, start -ai, exec', async t => {
  const d = await startDaemon(t)
  const box = await createContainer(d, ['sleep', '1000'], { Name: 'box' })
  t.equal((await d.req('POST', `/containers/${box}/start`)).status, 204)

  t.test('exec: output, streams and exit codes', async t => {
    const out = await docker(d, ['exec', 'box', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 5'])
    t.equal(out.exitCode, 5)
    t.equal(out.stdout, 'to-out')
    t.equal(out.stderr, 'to-err')
    const ok = await docker(d, ['exec', 'box', 'ls', '/'])
    t.equal(ok.exitCode, 0)
    t.match(ok.stdout, /^bin$/m)
    const missing = await docker(d, ['exec', 'box', 'no-such-command'])
    t.equal(missing.exitCode, 126, 'docker exec exits with the exec\'s 126')
    t.match(missing.stdout + missing.stderr, /OCI runtime exec failed: .*no-such-command/)
  })

  t.test('exec -i, -e, -w, -u, -d', async t => {
    const cat = await docker(d, ['exec', '-i', 'box', 'cat'], 'line one\nline two\n')
    t.equal(cat.exitCode, 0)
    t.equal(cat.stdout, 'line one\nline two')
    const env = await docker(d, ['exec', '-e', 'GREETING=hi there', '-w', '/tmp', '-u', 'nobody', 'box', 'sh', '-c', 'echo "$GREETING"; pwd; id -un'])
    t.equal(env.exitCode, 0)
    t.equal(env.stdout, 'hi there\n/tmp\nnobody')
    const detached = await docker(d, ['exec', '-d', 'box', 'sh', '-c', 'sleep 0.3'])
    t.equal(detached.exitCode, 0)
    t.equal(detached.stdout, '')
    const ins = await d.req('GET', `/containers/${box}/json`)
    const last = (ins.body.ExecIDs as string[]).at(-1)!
    await until(async () => (await d.req('GET', `/exec/${last}/json`)).body.ExitCode === 0, 10_000, 'detached exec finishes with 0')
    const unknown = await docker(d, ['exec', 'nosuch', 'true'])
    t.not(unknown.exitCode, 0)
    t.match(unknown.stderr, /No such container: nosuch/)
  })

  t.test('exec -it from a terminal: a tty of the terminal\'s size', async t => {
    // It reads a line first: what the user types must reach the process (the start body and the typing come
    // in separate packets from the docker client, the case that once left stdin unread).
    const r = await inTerminal(d, `${DOCKER} exec -it box sh -c 'read x; stty size; tty; exit 3'`, ['\n'])
    t.equal(r.exitCode, 3)
    t.match(r.stdout, /30 100/)
    t.match(r.stdout, /\/dev\/pts\/\d+/)
  })

  t.test('start -ai feeds stdin to a created container and returns its exit code', async t => {
    await createContainer(d, ['sh', '-c', 'cat; exit 7'], { Name: 'echoer', OpenStdin: true, StdinOnce: true })
    const first = await docker(d, ['start', '-ai', 'echoer'], 'hello from stdin\n')
    t.equal(first.stdout, 'hello from stdin')
    t.equal(first.exitCode, 7)
    const again = await docker(d, ['start', '-ai', 'echoer'], 'second run\n')
    t.equal(again.stdout, 'second run', 'a stopped container: attached to its next run')
    t.equal(again.exitCode, 7)
  })

  t.test('attach to a running container follows it to its end; a stopped one is refused by the client', async t => {
    const id = await createContainer(d, ['sh', '-c', 'read x; echo got $x; exit 4'], { Name: 'talker', OpenStdin: true })
    await d.req('POST', `/containers/${id}/start`)
    const r = await docker(d, ['attach', 'talker'], 'ping\n')
    t.equal(r.stdout, 'got ping')
    t.equal(r.exitCode, 4)
    const stopped = await docker(d, ['attach', 'talker'])
    t.not(stopped.exitCode, 0)
    t.match(stopped.stderr, /You cannot attach to a stopped container, start it first/)
  })

  t.test('attach -it from a terminal: resize follows the terminal; ctrl-p ctrl-q detaches', async t => {
    const id = await createContainer(d, ['sh', '-c', 'while read x; do stty size; done'], { Name: 'tty1', Tty: true, OpenStdin: true })
    await d.req('POST', `/containers/${id}/start`)
    // The client sets the size one row and column larger, then the real one (to make the process redraw), in
    // the background: a line typed between the two sees 31 101. Lines are typed until the real size shows (at
    // most 15), then ctrl-p ctrl-q; the last size reported must be the terminal's.
    let lines = 0
    let detached = false
    const keys = (shown: string): string | undefined => {
      if (detached) return undefined
      if (/\b30 100\b/.test(shown) || lines >= 15) {
        detached = true
        return '\x10\x11'
      }
      lines++
      return '\n'
    }
    const r = await inTerminal(d, `${DOCKER} attach tty1`, keys)
    t.equal(r.stdout.match(/\d+ \d+/g)?.at(-1), '30 100', 'the container\'s tty took the terminal\'s size')
    t.equal((await d.req('GET', `/containers/${id}/json`)).body.State.Status, 'running', 'detached, still running')
  })
})
