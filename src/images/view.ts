/** Docker's documents for images (list entries, inspect) and the image list filters. Pure. */
import { invalid } from '../errors.js'
import type { ImageRecord } from './types.js'

/** The filter keys GET /images/json takes. */
export const IMAGE_FILTERS: ReadonlySet<string> = new Set(['reference', 'dangling', 'label'])

const unix = (iso: string): number => Math.floor(Date.parse(iso) / 1000) || 0

/** An entry of GET /images/json. */
export function imageSummary (rec: ImageRecord) {
  return {
    Id: rec.id,
    ParentId: '',
    RepoTags: rec.repoTags,
    RepoDigests: rec.repoDigests,
    Created: unix(rec.created),
    Size: rec.size,
    SharedSize: -1,
    VirtualSize: rec.size,
    Labels: rec.config.Labels ?? {},
    Containers: -1
  }
}

/**
 * GET /images/{name}/json. Before API 1.45 Docker also sent ContainerConfig,
 * the config of the container that built the image, all empty for images not
 * made by the legacy builder; docker-compose 1.x reads its Volumes on recreate.
 */
export function imageInspect (rec: ImageRecord, withContainerConfig = false) {
  const c = rec.config
  return {
    ...(withContainerConfig ? { ContainerConfig: { Env: null, Cmd: null, Entrypoint: null, WorkingDir: '', User: '', Labels: null, ExposedPorts: null, Volumes: null } } : {}),
    Id: rec.id,
    RepoTags: rec.repoTags,
    RepoDigests: rec.repoDigests,
    Parent: rec.parent,
    Comment: rec.comment,
    Created: rec.created,
    Container: rec.container,
    DockerVersion: '',
    Author: rec.author,
    Config: {
      Env: c.Env ?? null,
      Cmd: c.Cmd ?? null,
      Entrypoint: c.Entrypoint ?? null,
      WorkingDir: c.WorkingDir ?? '',
      User: c.User ?? '',
      Labels: c.Labels ?? null,
      ExposedPorts: c.ExposedPorts ?? null,
      Volumes: c.Volumes ?? null,
      ...(c.StopSignal !== undefined ? { StopSignal: c.StopSignal } : {}),
      ...(c.Healthcheck !== undefined ? { Healthcheck: c.Healthcheck } : {})
    },
    Architecture: rec.architecture,
    Os: rec.os,
    Size: rec.size,
    VirtualSize: rec.size,
    GraphDriver: { Name: 'overlay2', Data: rec.layerDirs.length > 0 ? { LowerDir: [...rec.layerDirs].reverse().join(':') } : {} as Record<string, string> },
    RootFS: { Type: 'layers', Layers: rec.diffIds },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' }
  }
}

/** Docker's reference filter: a glob over the familiar `name` or `name:tag` (Go path.Match). */
export function referenceMatches (pattern: string, repoTags: string[]): boolean {
  const re = globToRegExp(pattern)
  return repoTags.some(rt => {
    const name = rt.slice(0, rt.lastIndexOf(':'))
    return re.test(rt) || re.test(name)
  })
}

function globToRegExp (glob: string): RegExp {
  let out = ''
  for (const ch of glob) {
    if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

/** True when the image passes every filter (values of one key are alternatives). */
export function imageMatches (rec: ImageRecord, f: Map<string, string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const vs = f.get(key)
    return vs === undefined || vs.length === 0 || vs.some(test)
  }
  return any('reference', v => referenceMatches(v, rec.repoTags)) &&
    any('dangling', v => {
      if (!['true', 'false', '1', '0'].includes(v)) throw invalid(`invalid filter 'dangling=${v}'`)
      return (rec.repoTags.length === 0) === (v === 'true' || v === '1')
    }) &&
    any('label', v => {
      const labels = rec.config.Labels ?? {}
      const i = v.indexOf('=')
      return i < 0 ? Object.hasOwn(labels, v) : labels[v.slice(0, i)] === v.slice(i + 1)
    })
}

