/**
 * Published ports of a rootless berthd, through rootlesskit's port driver
 * (its REST API on <state dir>/api.sock, which dockerd's rootless mode uses
 * too). The containers' bridge is inside rootlesskit's network namespace;
 * rootlesskit's parent, outside it, listens on the host port, and dials each
 * connection inside to the container's address (childIP), so no DNAT rule
 * is needed on the way. The driver keeps the ports as long as the
 * namespaces live, so they are found again by that address, not remembered.
 */
import { Pool } from 'undici'
import { runtimeFailed } from '../errors.js'
import type { PortMapping } from './netavark.js'

interface PortStatus { id: number, spec: { proto: string, parentIP?: string, parentPort: number, childIP?: string, childPort: number } }

export class PortDriver {
  private readonly api: Pool

  constructor (socket: string) {
    this.api = new Pool('http://rootlesskit', { socketPath: socket, connections: 2 })
  }

  private async call (method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<{ status: number, text: string }> {
    const r = await this.api.request({ method, path, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) })
    return { status: r.statusCode, text: await r.body.text() }
  }

  /** Opens `ports` on the host, forwarded to `ip`; on a failure the ones opened are closed again. */
  async add (ip: string, ports: readonly PortMapping[]): Promise<void> {
    for (const p of ports) {
      const parentIP = p.host_ip === '' ? '0.0.0.0' : p.host_ip
      const r = await this.call('POST', '/v1/ports', { proto: p.protocol, parentIP, parentPort: p.host_port, childIP: ip, childPort: p.container_port })
      if (r.status < 200 || r.status > 299) {
        await this.remove(ip)
        let why = r.text.trim()
        try { why = (JSON.parse(r.text) as { message?: string }).message ?? why } catch {}
        throw runtimeFailed(`driver failed programming external connectivity: rootlesskit could not publish ${parentIP}:${p.host_port}/${p.protocol}: ${why}`)
      }
    }
  }

  /** Closes every port forwarded to `ip`. */
  async remove (ip: string): Promise<void> {
    const r = await this.call('GET', '/v1/ports')
    const all = (JSON.parse(r.text) as PortStatus[] | null) ?? []
    for (const s of all.filter(s => s.spec.childIP === ip)) await this.call('DELETE', `/v1/ports/${s.id}`)
  }

  async close (): Promise<void> { await this.api.close() }
}
