/** Container ids and names: Docker's patterns, safe as path components. */
import { randomBytes } from 'node:crypto'
import { invalid } from '../errors.js'

/** Docker's name pattern (moby daemon/names): a leading "/" is allowed and dropped. */
export const NAME_PATTERN = '^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$'
const NAME_RE = new RegExp(NAME_PATTERN)
const ID_RE = /^[0-9a-f]{64}$/

export const newId = (): string => randomBytes(32).toString('hex')
export const isId = (s: string): boolean => ID_RE.test(s)

/** Validates a requested name and returns it without the leading "/". */
export function normalizeName (name: string): string {
  if (!NAME_RE.test(name) || name.length > 253) throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
  return name.replace(/^\//, '')
}

/** A reference (full id, name or id prefix) that could never name a container is refused before any lookup touches the disk. */
export const isSafeRef = (ref: string): boolean => /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref) && ref.length <= 254

const LEFT = ['admiring', 'bold', 'brave', 'calm', 'clever', 'eager', 'festive', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'sharp', 'stoic', 'tender', 'vibrant', 'zealous']
const RIGHT = ['babbage', 'curie', 'darwin', 'einstein', 'fermi', 'goodall', 'hopper', 'hypatia', 'kepler', 'lamarr', 'lovelace', 'meitner', 'noether', 'pasteur', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak', 'yonath']

/** Docker-style `adjective_surname`, with a number added when `taken` says so. */
export function generateName (taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const pick = <T>(a: T[]): T => a[randomBytes(1)[0]! % a.length]!
    const name = `${pick(LEFT)}_${pick(RIGHT)}${i >= 10 ? String(i) : ''}`
    if (!taken(name)) return name
  }
}
