import t from 'tap'
import { logPolicy, parseSize } from '../../src/logs/config.js'

t.test('parseSize: docker/go-units, decimal (FromHumanSize) and binary (RAMInBytes)', async t => {
  const rows: Array<[string, 1000 | 1024, number]> = [
    ['1', 1000, 1], ['1k', 1000, 1000], ['1K', 1024, 1024], ['10m', 1000, 10_000_000], ['10MB', 1000, 10_000_000],
    ['1.5k', 1000, 1500], ['2 kb', 1000, 2000], ['1g', 1024, 1024 ** 3], ['3kib', 1000, 3000], ['0', 1000, 0]
  ]
  for (const [s, base, want] of rows) t.equal(parseSize(s, base), want, `${s} (${base})`)
  for (const bad of ['', 'k', '1q', '-1k', '1 k b', '1kk', ' 1k']) t.throws(() => parseSize(bad, 1000), { message: `invalid size: '${bad}'` }, JSON.stringify(bad))
})

t.test('logPolicy: what each driver keeps', async t => {
  t.same(logPolicy('', {}), { driver: 'json-file', readable: true, maxFile: 1, compress: false }, 'the default: one file, never rotated')
  t.same(logPolicy(undefined, null), { driver: 'json-file', readable: true, maxFile: 1, compress: false })
  t.same(logPolicy('json-file', { 'max-size': '10m', 'max-file': '3', compress: 'true' }), { driver: 'json-file', readable: true, maxSize: 10_000_000, maxFile: 3, compress: true })
  t.same(logPolicy('', { 'max-size': '1k' }), { driver: 'json-file', readable: true, maxSize: 1000, maxFile: 1, compress: false }, 'options on the default driver are json-file\'s')
  t.same(logPolicy('json-file', { 'max-file': '3' }), { driver: 'json-file', readable: true, maxFile: 3, compress: false }, 'max-file without max-size: never rotated, as Docker')
  t.same(logPolicy('json-file', { labels: 'a', env: 'B', tag: '{{.Name}}', mode: 'non-blocking', 'max-buffer-size': '4m' }).readable, true, 'the options Docker takes and berth has no use for')
  t.same(logPolicy('k8s-file', { 'max-size': '1k' }).maxSize, 1000)
  t.same(logPolicy('local', {}), { driver: 'local', readable: true, maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true }, 'local rotates by default, as Docker\'s')
  t.same(logPolicy('local', { 'max-size': '0', 'max-file': '1', compress: 'false' }), { driver: 'local', readable: true, maxFile: 1, compress: false }, 'local with no limit')
  t.same(logPolicy('none', { whatever: 'x' }), { driver: 'none', readable: false, maxFile: 1, compress: false }, 'none takes any option, as Docker')
})

t.test('logPolicy: Docker\'s messages', async t => {
  const rows: Array<[string, Record<string, string>, string]> = [
    ['asdf', {}, "logger: no log driver named 'asdf' is registered"],
    ['json-file', { colour: 'red' }, "unknown log opt 'colour' for json-file log driver"],
    ['k8s-file', { colour: 'red' }, "unknown log opt 'colour' for k8s-file log driver"],
    ['local', { labels: 'a' }, "unknown log opt 'labels' for log driver local"],
    ['json-file', { 'max-size': '1q' }, "failed to initialize logging driver: invalid size: '1q'"],
    ['json-file', { 'max-size': '0' }, 'failed to initialize logging driver: max-size must be a positive number'],
    ['json-file', { 'max-file': '0' }, 'failed to initialize logging driver: max-file cannot be less than 1'],
    ['json-file', { 'max-file': '1.5' }, 'failed to initialize logging driver: strconv.Atoi: parsing "1.5": invalid syntax'],
    ['json-file', { compress: 'yes' }, 'failed to initialize logging driver: strconv.ParseBool: parsing "yes": invalid syntax'],
    ['json-file', { compress: '1', 'max-file': '2' }, 'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set'],
    ['local', { 'max-size': 'x' }, "failed to initialize logging driver: invalid value for max-size: x: invalid size: 'x'"],
    ['local', { 'max-file': 'x' }, 'failed to initialize logging driver: invalid value for max-file: x: strconv.Atoi: parsing "x": invalid syntax'],
    ['local', { 'max-file': '-1', compress: 'false' }, 'failed to initialize logging driver: max file count cannot be less than 0'],
    ['local', { compress: 'maybe' }, 'failed to initialize logging driver: error reading compress log option: strconv.ParseBool: parsing "maybe": invalid syntax'],
    ['local', { 'max-file': '1' }, 'failed to initialize logging driver: compression cannot be enabled when max file count is 1'],
    ['json-file', { mode: 'lossy' }, 'logger: logging mode not supported: lossy'],
    ['json-file', { 'max-buffer-size': '1m' }, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"],
    ['json-file', { mode: 'non-blocking', 'max-buffer-size': 'lots' }, "error parsing option max-buffer-size: invalid size: 'lots'"]
  ]
  for (const [type, config, message] of rows) t.throws(() => logPolicy(type, config), { message, code: 'INVALID_ARGUMENT' }, `${type} ${JSON.stringify(config)}`)
  t.throws(() => logPolicy('syslog', {}), { message: /^LogConfig\.Type is not supported: / }, 'a driver Docker has and berth lacks')
})
