/** Docker's network documents (GET /networks, inspect) and its list filters. Pure. */
import { invalid } from '../errors.js'
import type { Attachment, NetworkShown } from './service.js'
import type { Endpoint } from './netavark.js'

export const NETWORK_FILTERS: ReadonlySet<string> = new Set(['name', 'id', 'label', 'driver', 'type', 'dangling', 'scope'])

export function networkDoc (n: NetworkShown, users: Array<{ a: Attachment, ep: Endpoint }>) {
  const r = n.rec
  const containers: Record<string, unknown> = {}
  for (const { a, ep } of users) {
    containers[a.id] = { Name: a.name, EndpointID: `${ep.networkId.slice(0, 32)}${a.id.slice(0, 32)}`, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' }
  }
  return {
    Name: n.Name, Id: n.Id, Created: n.Created, Scope: 'local', Driver: n.Driver, EnableIPv6: false,
    IPAM: r?.IPAM ?? { Driver: 'default', Options: null, Config: [] },
    Internal: r?.Internal ?? false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: r?.Options ?? {}, Labels: n.Labels
  }
}

const labelMatches = (labels: Record<string, string>, f: string): boolean => {
  const i = f.indexOf('=')
  return i < 0 ? Object.hasOwn(labels, f) : labels[f.slice(0, i)] === f.slice(i + 1)
}

/** Docker's network filters: name and id match a part, label key or key=value, driver, type custom|builtin, dangling. */
export function networkMatches (n: NetworkShown, inUse: boolean, f: ReadonlyMap<string, readonly string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => { const vs = f.get(key); return vs === undefined || vs.some(test) }
  const builtin = ['bridge', 'host', 'none'].includes(n.Name)
  for (const t of f.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw invalid(`invalid filter: 'type'='${t}'`)
  for (const d of f.get('dangling') ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw invalid(`invalid filter 'dangling=${d}'`)
  return any('name', v => n.Name.includes(v)) &&
    any('id', v => n.Id.startsWith(v)) &&
    (f.get('label') ?? []).every(l => labelMatches(n.Labels, l)) &&
    any('driver', v => v === n.Driver) &&
    any('scope', v => v === 'local') &&
    any('type', v => (v === 'builtin') === builtin) &&
    any('dangling', v => (v === 'true' || v === '1') === (!inUse && !builtin))
}
