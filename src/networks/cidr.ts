/**
 * IPv4 subnets as integers: parsing, containment, overlap, and the free
 * address a lease takes. Pure.
 */
import { isIPv4 } from 'node:net'

export interface Cidr { base: number, bits: number }

export const ipToInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
export const intToIp = (n: number): string => [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.')
const size = (c: Cidr): number => 2 ** (32 - c.bits)

/** `a.b.c.d/n` → its subnet (host bits cleared, as Docker stores it); undefined when malformed. */
export function parseCidr (s: string): Cidr | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s)
  if (m === null || !isIPv4(m[1]!) || Number(m[2]) > 32) return undefined
  const bits = Number(m[2])
  const n = ipToInt(m[1]!)
  return { base: n - (n % 2 ** (32 - bits)), bits }
}

export const cidrString = (c: Cidr): string => `${intToIp(c.base)}/${c.bits}`
export const contains = (c: Cidr, ip: number): boolean => ip >= c.base && ip < c.base + size(c)
export const overlaps = (a: Cidr, b: Cidr): boolean => contains(a, b.base) || contains(b, a.base)
/** The subnet's first host address: the gateway Docker picks. */
export const firstHost = (c: Cidr): string => intToIp(c.base + 1)

/**
 * The lowest address of `range` (inside `subnet`) that is neither the
 * subnet's network or broadcast address nor in `taken`; undefined when full.
 */
export function freeAddress (subnet: Cidr, range: Cidr, taken: ReadonlySet<string>): string | undefined {
  const first = Math.max(range.base, subnet.base + 1)
  const last = Math.min(range.base + size(range), subnet.base + size(subnet) - 1)
  for (let n = first; n < last; n++) if (!taken.has(intToIp(n))) return intToIp(n)
  return undefined
}

/** Subnets Docker's default address pools hand out, in order: 172.17-31.0.0/16, then 192.168.0-240.0/20. */
export function* candidateSubnets (): Generator<Cidr> {
  for (let b = 17; b <= 31; b++) yield { base: ipToInt(`172.${b}.0.0`), bits: 16 }
  for (let c = 0; c <= 240; c += 16) yield { base: ipToInt(`192.168.${c}.0`), bits: 20 }
}

/** The IPv4 routes of the host (`/proc/net/route`, hex little-endian) as subnets. */
export function hostRoutes (procNetRoute: string): Cidr[] {
  const le = (hex: string): number => { const n = parseInt(hex, 16); return ((n & 0xff) * 2 ** 24) + ((n >>> 8 & 0xff) << 16) + ((n >>> 16 & 0xff) << 8) + (n >>> 24 & 0xff) }
  return procNetRoute.split('\n').slice(1).map(l => l.trim().split(/\s+/)).filter(f => f.length >= 8)
    .map(f => ({ dest: le(f[1]!), mask: le(f[7]!) }))
    .filter(r => r.mask !== 0)
    .map(r => ({ base: r.dest, bits: 32 - Math.log2(2 ** 32 - r.mask) }))
    .filter(c => Number.isInteger(c.bits))
}
