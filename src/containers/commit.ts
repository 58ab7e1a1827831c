/**
 * docker commit's image config, as moby's daemon/commit.go makes it: the
 * request's config (or else the container's), with the Dockerfile-style
 * `changes` applied, then every field still empty taken from the
 * container's config. Pure.
 */
import { applyChanges } from '../images/changes.js'
import type { ImageConfig } from '../images/store.js'
import { mergeImageConfig, type DockerCreateBody } from './dockerspec.js'
import { mergeHealthConfig, type AskedHealth } from './health.js'

/** The container Config fields commit reads from the request body; nulls are Docker's "unset". */
export interface CommitConfig {
  Cmd?: string[] | null
  Entrypoint?: string[] | null
  Env?: string[] | null
  WorkingDir?: string | null
  User?: string | null
  Labels?: Record<string, string> | null
  ExposedPorts?: Record<string, object> | null
  Volumes?: Record<string, object> | null
  StopSignal?: string | null
  Healthcheck?: AskedHealth | null
}

/** Drops the unset fields (undefined, null, '', empty lists and maps). */
function defined (c: CommitConfig): ImageConfig {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0)) continue
    out[k] = v
  }
  return out as ImageConfig
}

/** The container's Docker Config: its image's config merged with its create body, as inspect shows it. */
export function containerConfig (image: ImageConfig, body: DockerCreateBody): ImageConfig {
  const m = mergeImageConfig(image, body)
  // The container's healthcheck is part of its Config, so a commit keeps it (moby commit.go merges container.Config).
  return defined({ ...m, ExposedPorts: image.ExposedPorts, Volumes: image.Volumes, Healthcheck: mergeHealthConfig(image.Healthcheck, body.Healthcheck) })
}

const envKey = (e: string): string => e.split('=', 1)[0]!

/** moby's merge(userConf, imageConf): fills what `next` leaves empty from `container`. */
function merge (next: ImageConfig, container: ImageConfig): ImageConfig {
  const out = { ...next }
  out.User ??= container.User
  out.WorkingDir ??= container.WorkingDir
  out.StopSignal ??= container.StopSignal
  if (out.Env === undefined) out.Env = container.Env
  else if (container.Env !== undefined) {
    const keys = new Set(out.Env.map(envKey))
    out.Env = [...out.Env, ...container.Env.filter(e => !keys.has(envKey(e)))]
  }
  if (container.ExposedPorts !== undefined) out.ExposedPorts = { ...container.ExposedPorts, ...out.ExposedPorts }
  if (container.Volumes !== undefined) out.Volumes = { ...container.Volumes, ...out.Volumes }
  if (container.Labels !== undefined) out.Labels = { ...container.Labels, ...out.Labels }
  // moby: no Healthcheck takes the container's; otherwise its zero fields are filled from it.
  if (container.Healthcheck !== undefined) out.Healthcheck = mergeHealthConfig(container.Healthcheck, out.Healthcheck)
  if (out.Entrypoint === undefined && out.Cmd === undefined) {
    if (container.Cmd !== undefined) out.Cmd = container.Cmd
    if (container.Entrypoint !== undefined) out.Entrypoint = container.Entrypoint
  }
  return defined(out)
}

/** The committed image's config: `asked` (or the container's), `changes` applied, gaps filled from the container's. */
export function commitConfig (container: ImageConfig, asked: CommitConfig | null | undefined, changes: string[]): ImageConfig {
  const base = asked === undefined || asked === null ? container : defined(asked)
  return merge(defined(applyChanges(base, changes)), container)
}

/** The `changes` query: repeatable, and each value may hold several instructions, one per line. */
export const changeLines = (changes: string[]): string[] => changes.flatMap(c => c.split('\n')).filter(c => c.trim() !== '')
