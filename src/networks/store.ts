/**
 * The network store: `<root>/networks/<id>.json`, one file per network in
 * Docker's inspect shape plus the bridge's interface name, each written
 * atomically. The predefined `host` and `none` are not stored: they are
 * modes, shown by the service.
 */
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDir, writeFileAtomic } from '../store/atomic.js'

export interface IpamConfig { Subnet: string, Gateway: string, IPRange?: string }

export interface NetworkRecord {
  Name: string
  Id: string
  Created: string
  Driver: 'bridge'
  Internal: boolean
  Labels: Record<string, string>
  Options: Record<string, string>
  IPAM: { Driver: 'default', Options: Record<string, string>, Config: IpamConfig[] }
  /** The Linux bridge netavark makes for it (`br-<id12>`). */
  iface: string
  /** Names resolve through aardvark-dns: user networks, not the default bridge (as in Docker). */
  dns: boolean
}

export class NetworkStore {
  constructor (private readonly dir: string) {}

  async loadAll (): Promise<NetworkRecord[]> {
    await ensureDir(this.dir)
    const out: NetworkRecord[] = []
    for (const f of await readdir(this.dir)) {
      if (f.startsWith('.') || !f.endsWith('.json')) continue
      out.push(JSON.parse(await readFile(join(this.dir, f), 'utf8')) as NetworkRecord)
    }
    return out
  }

  async save (n: NetworkRecord): Promise<void> { await writeFileAtomic(join(this.dir, `${n.Id}.json`), JSON.stringify(n, null, 2)) }
  async remove (id: string): Promise<void> { await rm(join(this.dir, `${id}.json`), { force: true }) }
}
