/**
 * Docker's HostConfig.LogConfig, checked as dockerd checks it and turned into
 * how berth keeps the log. Option names are checked as moby's
 * daemon/logger/factory.go ValidateLogOpts and each driver's ValidateLogOpt
 * do at create; values as the drivers' New do at start (berth checks them at
 * create, so that no container is made that could never start), with the
 * same words: "failed to initialize logging driver: invalid size: 'x'".
 * Pure.
 */
import { invalid } from '../errors.js'

/** How a container's log is kept. */
export interface LogPolicy {
  /** The driver as asked for ('' when the daemon's default applies). */
  driver: string
  /** False for `none`: `logs` has nothing to read (attach still streams). */
  readable: boolean
  /** Bytes at which berthd rotates the log; undefined: it is never rotated (conmon's daemon-wide cap applies). */
  maxSize?: number
  /** Files kept, the current one included (Docker's max-file). */
  maxFile: number
  /** Docker's compress: accepted and checked, but rotated files are kept uncompressed. */
  compress: boolean
}

/** Docker's log drivers on Linux (moby daemon/logdrivers_linux.go), and k8s-file, which berth writes. */
const DRIVERS = new Set(['awslogs', 'fluentd', 'gcplogs', 'gelf', 'journald', 'json-file', 'local', 'logentries', 'none', 'splunk', 'syslog', 'k8s-file'])
/** The ones berth keeps a log for (or, `none`, keeps none). */
const KEPT = new Set(['', 'json-file', 'k8s-file', 'local', 'none'])

const JSON_FILE_OPTS = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'])
const LOCAL_OPTS = new Set(['max-file', 'max-size', 'compress'])
/** Options every driver takes (moby factory.go builtInLogOpts). */
const BUILT_IN = new Set(['mode', 'max-buffer-size'])

/** docker/go-units parseSize: digits with an optional fraction, then an optional k/m/g/t/p unit, `i`, `b`. */
const SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/
const POWERS: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 }

/** go-units FromHumanSize (decimal: 1k = 1000) or RAMInBytes (binary: 1k = 1024); Docker's error text. */
export function parseSize (s: string, base: 1000 | 1024): number {
  const m = SIZE.exec(s)
  const n = m === null ? NaN : Number.parseFloat(m[1]!)
  if (m === null || Number.isNaN(n)) throw new Error(`invalid size: '${s}'`)
  return Math.trunc(n * base ** (POWERS[m[2]?.toLowerCase() ?? ''] ?? 0))
}

/** Go's strconv.Atoi, with its error text. */
function atoi (s: string): number {
  if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`)
  return Number(s)
}

/** Go's strconv.ParseBool, with its error text. */
function parseBool (s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`)
}

/** moby factory.go ValidateLogOpts' checks of the options every driver takes. */
function checkBuiltIn (config: Record<string, string>): void {
  const mode = config.mode ?? ''
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw invalid(`logger: logging mode not supported: ${mode}`)
  const buffer = config['max-buffer-size']
  if (buffer === undefined) return
  if (mode !== 'non-blocking') throw invalid("logger: max-buffer-size option is only supported with 'mode=non-blocking'")
  try { parseSize(buffer, 1024) } catch (err) { throw invalid(`error parsing option max-buffer-size: ${(err as Error).message}`) }
}

/** Value errors, raised where moby's driver New would fail the start. */
const initFailed = (why: string): Error => invalid(`failed to initialize logging driver: ${why}`)

/** moby jsonfilelog.New's checks (k8s-file, berth's own format, takes the same). */
function jsonFile (driver: string, config: Record<string, string>): LogPolicy {
  const known = (k: string): boolean => JSON_FILE_OPTS.has(k)
  const unknown = Object.keys(config).find(k => !known(k) && !BUILT_IN.has(k))
  if (unknown !== undefined) throw invalid(`unknown log opt '${unknown}' for ${driver} log driver`)
  checkBuiltIn(config)
  try {
    let maxSize: number | undefined
    if (config['max-size'] !== undefined) {
      maxSize = parseSize(config['max-size'], 1000)
      if (maxSize <= 0) throw new Error('max-size must be a positive number')
    }
    const maxFile = config['max-file'] !== undefined ? atoi(config['max-file']) : 1
    if (maxFile < 1) throw new Error('max-file cannot be less than 1')
    const compress = config.compress !== undefined ? parseBool(config.compress) : false
    if (compress && (maxFile === 1 || maxSize === undefined)) throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set')
    return { driver, readable: true, ...(maxSize !== undefined ? { maxSize } : {}), maxFile, compress }
  } catch (err) {
    throw initFailed((err as Error).message)
  }
}

/** moby's local driver: rotated by default (20 MiB, 5 files, compressed); its New's and validateConfig's checks. */
function local (config: Record<string, string>): LogPolicy {
  const unknown = Object.keys(config).find(k => !LOCAL_OPTS.has(k) && !BUILT_IN.has(k))
  if (unknown !== undefined) throw invalid(`unknown log opt '${unknown}' for log driver local`)
  checkBuiltIn(config)
  const parsed = <T>(key: string, parse: (s: string) => T, fallback: T, why: string): T => {
    const v = config[key]
    if (v === undefined) return fallback
    try { return parse(v) } catch (err) { throw initFailed(`${why}: ${(err as Error).message}`) }
  }
  const maxSize = parsed('max-size', s => parseSize(s, 1000), 20 * 1024 * 1024, `invalid value for max-size: ${config['max-size']}`)
  const maxFile = parsed('max-file', atoi, 5, `invalid value for max-file: ${config['max-file']}`)
  const compress = parsed('compress', parseBool, true, 'error reading compress log option')
  if (maxSize < 0) throw initFailed('max size should be a positive number')
  if (maxFile < 0) throw initFailed('max file count cannot be less than 0')
  if (compress && maxFile <= 1) throw initFailed('compression cannot be enabled when max file count is 1')
  // Zero means "no limit" to the local driver: no rotation, one file.
  return { driver: 'local', readable: true, ...(maxSize > 0 ? { maxSize } : {}), maxFile: Math.max(maxFile, 1), compress }
}

/**
 * The policy for a create body's LogConfig (`Type` '' is the daemon's
 * default: one file, capped by conmon as before). Throws Docker's message
 * for an unknown driver or option and for a bad value.
 */
export function logPolicy (type: string | null | undefined, config: Record<string, string> | null | undefined): LogPolicy {
  const driver = type ?? ''
  const opts = config ?? {}
  if (driver !== '' && !DRIVERS.has(driver)) throw invalid(`logger: no log driver named '${driver}' is registered`)
  if (!KEPT.has(driver)) throw invalid(`LogConfig.Type is not supported: the log is always written by the monitor (json-file, local and none are accepted) (got "${driver}")`)
  if (driver === 'none') return { driver, readable: false, maxFile: 1, compress: false }
  if (driver === 'local') return local(opts)
  return jsonFile(driver === '' ? 'json-file' : driver, opts)
}
