/** A short chaos run in every test run: random operations while berthd is SIGKILLed and restarted. */
import t from 'tap'
import { execa } from 'execa'
import { fileURLToPath } from 'node:url'

const CHAOS = fileURLToPath(new URL('../scripts/chaos.js', import.meta.url))

t.test('chaos: invariants hold across random kills', async t => {
  const r = await execa('node', [CHAOS, '--rounds', '60', '--containers', '4', '--kill-every', '8'], { reject: false, timeout: 240_000, stdin: 'ignore' })
  t.equal(r.exitCode, 0, r.stdout + r.stderr)
  t.match(r.stdout, /chaos: every invariant held/)
  t.match(r.stdout, /"kills":7/, 'berthd was killed and restarted 7 times')
})
