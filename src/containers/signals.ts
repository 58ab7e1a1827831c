/** Signal names and numbers as Docker accepts them ("HUP", "SIGHUP", "1"). */
import { constants } from 'node:os'
import { invalid } from '../errors.js'

const BY_NUMBER = new Map<number, string>()
for (const [name, num] of Object.entries(constants.signals)) if (!BY_NUMBER.has(num)) BY_NUMBER.set(num, name)

/** Normalises a signal to its `SIGNAME` form, or throws a 400. Docker's wording: "Invalid signal: X". */
export function parseSignal (input: string): string {
  const s = input.trim().toUpperCase()
  if (/^\d+$/.test(s)) {
    const n = Number(s)
    const name = BY_NUMBER.get(n)
    if (name !== undefined) return name
    // Real-time signals have no name in Node; the runtimes take their numbers.
    if (n >= 32 && n <= 64) return String(n)
  } else {
    const name = s.startsWith('SIG') ? s : `SIG${s}`
    if (name in constants.signals) return name
  }
  throw invalid(`Invalid signal: ${input}`)
}

/** A `SIGNAME` (as parseSignal gives) as its number, which Docker's kill event carries. */
export function signalNumber (name: string): string {
  return String((constants.signals as Record<string, number>)[name] ?? name)
}
