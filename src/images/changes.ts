/**
 * `docker import --change`: Dockerfile instructions applied to a new image's
 * config. The subset Docker accepts for import (moby
 * builder/dockerfile/dispatchers.go): CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR. Pure.
 */
import { posix } from 'node:path'
import { invalid } from '../errors.js'
import type { ImageConfig, ImageHealthcheck } from './types.js'

/** Splits `a="b c" d=e` into words, honouring double and single quotes and backslashes. */
export function splitWords (text: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: string | undefined
  let started = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i]
      else cur += c
    } else if (c === '"' || c === '\'') { quote = c; started = true } else if (c === '\\' && i + 1 < text.length) { cur += text[++i]; started = true } else if (/\s/.test(c)) {
      if (started) out.push(cur)
      cur = ''; started = false
    } else { cur += c; started = true }
  }
  if (quote !== undefined) throw invalid(`unterminated quote in: ${text}`)
  if (started) out.push(cur)
  return out
}

/** `["a", "b"]` (exec form) or a command line run by /bin/sh -c (shell form). */
function commandForm (args: string): string[] {
  const t = args.trim()
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown
      if (Array.isArray(v) && v.every(x => typeof x === 'string')) return v
    } catch {}
  }
  return ['/bin/sh', '-c', t]
}

/** key=value pairs (ENV, LABEL); ENV also takes the old `ENV key value with spaces`. */
function pairs (instr: string, args: string, legacy: boolean): Array<[string, string]> {
  const words = splitWords(args)
  if (words.length === 0) throw invalid(`${instr} requires at least one argument`)
  if (legacy && !words[0]!.includes('=')) {
    const m = /^\s*(\S+)\s+(.*)$/s.exec(args)
    if (m === null) throw invalid(`${instr} must have two arguments`)
    return [[m[1]!, m[2]!.trim()]]
  }
  return words.map(w => {
    const i = w.indexOf('=')
    if (i <= 0) throw invalid(`${instr} names can not be blank and need a value: ${w}`)
    return [w.slice(0, i), w.slice(i + 1)]
  })
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }

/** Go's time.ParseDuration, in nanoseconds ("1m30s", "500ms", "1.5s"); undefined when it does not parse. */
export function parseGoDuration (text: string): number | undefined {
  if (text === '0') return 0
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== text) return undefined
  return Math.round(parts.reduce((ns, p) => ns + Number(p[1]) * UNIT_NS[p[2]!]!, 0))
}

const HEALTH_FLAGS: Record<string, Exclude<keyof ImageHealthcheck, 'Test'>> = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval', retries: 'Retries' }

/** `HEALTHCHECK [--interval=..] [--timeout=..] [--start-period=..] [--start-interval=..] [--retries=N] CMD ...` or `HEALTHCHECK NONE` (moby dispatchers.go dispatchHealthcheck). */
function healthcheck (args: string): ImageHealthcheck {
  let rest = args
  const h: ImageHealthcheck = {}
  for (let m = /^--([a-z-]+)=(\S*)\s*/.exec(rest); m !== null; m = /^--([a-z-]+)=(\S*)\s*/.exec(rest)) {
    rest = rest.slice(m[0].length)
    const field = HEALTH_FLAGS[m[1]!]
    if (field === undefined) throw invalid(`Unknown flag: ${m[1]!}`)
    if (field === 'Retries') {
      if (!/^-?\d+$/.test(m[2]!)) throw invalid(`invalid --retries value: ${m[2]!}`)
      if (Number(m[2]) < 0) throw invalid(`--retries cannot be negative (${m[2]!})`)
      h.Retries = Number(m[2])
      continue
    }
    const ns = parseGoDuration(m[2]!)
    if (ns === undefined) throw invalid(`time: invalid duration "${m[2]!}"`)
    if (ns !== 0 && ns < 1e6) throw invalid(`Interval "${m[1]!}" cannot be less than 1ms`)
    h[field] = ns
  }
  const [, type = '', cmd = ''] = /^(\S*)\s*(.*)$/s.exec(rest) ?? []
  if (type.toUpperCase() === 'NONE') {
    if (cmd !== '' || Object.keys(h).length > 0) throw invalid('HEALTHCHECK NONE takes no arguments')
    return { Test: ['NONE'] }
  }
  if (type.toUpperCase() !== 'CMD') throw invalid(`Unknown type "${type}" in HEALTHCHECK (try CMD)`)
  if (cmd.trim() === '') throw invalid('Missing command after HEALTHCHECK CMD')
  const form = commandForm(cmd)
  return { ...h, Test: form[0] === '/bin/sh' && form[1] === '-c' && !cmd.trim().startsWith('[') ? ['CMD-SHELL', cmd.trim()] : ['CMD', ...form] }
}

/** Applies Dockerfile-syntax changes to a copy of `base`; throws INVALID_ARGUMENT on a bad one. */
export function applyChanges (base: ImageConfig, changes: string[]): ImageConfig {
  const c: ImageConfig = structuredClone(base)
  for (const change of changes) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(change)
    if (m === null) continue
    const instr = m[1]!.toUpperCase()
    const args = m[2]!.trim()
    switch (instr) {
      case 'CMD': c.Cmd = commandForm(args); break
      case 'ENTRYPOINT': c.Entrypoint = commandForm(args); break
      case 'ENV':
        for (const [k, v] of pairs(instr, args, true)) {
          c.Env = [...(c.Env ?? []).filter(e => e.split('=')[0] !== k), `${k}=${v}`]
        }
        break
      case 'LABEL':
        for (const [k, v] of pairs(instr, args, false)) c.Labels = { ...c.Labels, [k]: v }
        break
      case 'EXPOSE':
        for (const p of splitWords(args)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalid(`invalid containerPort: ${p}`)
          c.ExposedPorts = { ...c.ExposedPorts, [p.includes('/') ? p.toLowerCase() : `${p}/tcp`]: {} }
        }
        break
      case 'VOLUME':
        for (const v of commandForm(args)[0] === '/bin/sh' ? splitWords(args) : commandForm(args)) c.Volumes = { ...c.Volumes, [v]: {} }
        break
      case 'WORKDIR':
        if (args === '') throw invalid('WORKDIR requires exactly one argument')
        c.WorkingDir = posix.resolve(c.WorkingDir ?? '/', args)
        break
      case 'USER':
        if (args === '') throw invalid('USER requires exactly one argument')
        c.User = args
        break
      case 'HEALTHCHECK': c.Healthcheck = healthcheck(args); break
      case 'STOPSIGNAL':
        if (args === '') throw invalid('STOPSIGNAL requires exactly one argument')
        c.StopSignal = args
        break
      default:
        throw invalid(`${m[1]} is not a valid change command`)
    }
  }
  return c
}
