/**
 * The /etc files berth writes for an image container, as dockerd writes
 * them: /etc/hosts (with ExtraHosts) and /etc/resolv.conf (libnetwork's
 * rules). Pure: the caller reads the host's files and writes these.
 */
import { isIP } from 'node:net'
import { invalid } from '../errors.js'
import { list } from './createbody.js'

/** ExtraHosts `name:ip` (or `name=ip`) → [ip, name]. */
export function parseExtraHosts (extra: string[]): Array<[string, string]> {
  return extra.map(e => {
    const i = e.search(/[:=]/)
    const name = i < 0 ? e : e.slice(0, i)
    const ip = i < 0 ? '' : e.slice(i + 1).replace(/^\[(.*)\]$/, '$1')
    if (ip === 'host-gateway') throw invalid(`ExtraHosts is not supported: "${e}": there is no host gateway, containers have loopback only`)
    if (name === '' || isIP(ip) === 0) throw invalid(`invalid IP address in add-host: "${ip}"`)
    return [ip, name]
  })
}

/**
 * /etc/hosts content. In a private network namespace: Docker's localhost
 * lines, then ExtraHosts, then the container's hostname on `ip` (its
 * address on its first network; 127.0.0.1 with loopback only). With host networking pass the host's /etc/hosts: Docker
 * copies it and adds ExtraHosts.
 */
export function hostsFile (hostname: string, extraHosts?: string[] | null, hostHosts?: string, ip = '127.0.0.1'): string {
  const extra = parseExtraHosts(list(extraHosts)).map(([ip, name]) => `${ip}\t${name}`)
  if (hostHosts !== undefined) return [...(hostHosts === '' ? [] : [hostHosts.replace(/\n+$/, '')]), ...extra].map(l => `${l}\n`).join('')
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra,
    `${ip}\t${hostname}`
  ].map(l => `${l}\n`).join('')
}

export interface ResolvOptions { dns?: string[] | null, dnsSearch?: string[] | null, dnsOptions?: string[] | null, hostNetwork?: boolean }

const isLocalhost = (ip: string): boolean => ip.startsWith('127.') || ip === '::1'

/**
 * /etc/resolv.conf content from the host's (libnetwork's rules): localhost
 * nameservers are dropped (they cannot be reached from another network
 * namespace) and Google's put in when none remain; Dns, DnsSearch and
 * DnsOptions replace the host's. With host networking and no overrides the
 * host's file is copied as it is.
 */
export function resolvConf (hostText: string, opts: ResolvOptions = {}): string {
  const dns = list(opts.dns); const search = list(opts.dnsSearch); const options = list(opts.dnsOptions)
  if (opts.hostNetwork === true && dns.length + search.length + options.length === 0) return hostText
  const lines = hostText.split('\n').map(l => l.trim().split(/\s+/))
  const last = (...keys: string[]): string[] => lines.filter(l => keys.includes(l[0]!)).map(l => l.slice(1)).at(-1) ?? []
  let ns = dns.length > 0 ? dns : lines.filter(l => l[0] === 'nameserver' && l[1] !== undefined).map(l => l[1]!)
  if (opts.hostNetwork !== true) ns = ns.filter(ip => !isLocalhost(ip))
  if (ns.length === 0) ns = ['8.8.8.8', '8.8.4.4']
  const searchList = search.length > 0 ? (search.length === 1 && search[0] === '.' ? [] : search) : last('search', 'domain')
  const optionList = options.length > 0 ? options : last('options')
  return [
    ...ns.map(n => `nameserver ${n}`),
    ...(searchList.length > 0 ? [`search ${searchList.join(' ')}`] : []),
    ...(optionList.length > 0 ? [`options ${optionList.join(' ')}`] : [])
  ].map(l => `${l}\n`).join('')
}
