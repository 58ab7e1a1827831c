import t from 'tap'
import { parseSignal } from '../../src/containers/signals.js'
import { BerthError } from '../../src/errors.js'

t.test('valid', async t => {
  const rows: Array<[string, string]> = [
    ['HUP', 'SIGHUP'],
    ['SIGHUP', 'SIGHUP'],
    ['sighup', 'SIGHUP'],
    ['hup', 'SIGHUP'],
    ['SigTerm', 'SIGTERM'],
    [' KILL ', 'SIGKILL'],
    ['1', 'SIGHUP'],
    ['2', 'SIGINT'],
    ['9', 'SIGKILL'],
    ['09', 'SIGKILL'],
    ['15', 'SIGTERM'],
    ['10', 'SIGUSR1'],
    ['6', 'SIGABRT'],
    ['WINCH', 'SIGWINCH'],
    ['usr2', 'SIGUSR2']
  ]
  for (const [input, want] of rows) t.equal(parseSignal(input), want, JSON.stringify(input))
})

t.test('invalid', async t => {
  for (const input of ['bogus', 'SIGBOGUS', '', ' ', 'SIG', '0', '999', '-9', '9.0', 'SIG9', 'toString', 'constructor']) {
    t.throws(() => parseSignal(input), { code: 'INVALID_ARGUMENT', message: `Invalid signal: ${input}` }, JSON.stringify(input))
    try { parseSignal(input) } catch (err) { t.ok(err instanceof BerthError) }
  }
})
