/**
 * Every path berthd keeps under its two dirs, in one place (design.md, "On
 * disk"). The root (`--root`) holds what must survive a reboot; the state dir
 * (`--state`, normally on tmpfs) holds what lives only as long as the runs:
 *
 *   <root>/containers/<id>/          the container's dir: record, log, /etc files
 *     container.json                 the record (src/store/records.ts)
 *     health.json                    its health state, with a healthcheck (src/store/health.ts)
 *     ctr.log                        the log conmon writes
 *     hostname, hosts, resolv.conf   bind-mounted into an image container
 *     bundle/config.json             an image container's OCI spec
 *     rootfs/{upper,work,merged}     an image container's overlay
 *   <root>/volumes/<name>/           a volume: volume.json, and _data (what containers bind)
 *   <root>/networks/<id>.json        a network (src/networks/store.ts)
 *   <state>/containers/<id>/         one run's state dir (its absence: the run is cleaned up)
 *     control, ctr.pid, conmon.pid, conmon.log
 *     bundle/config.json             the private spec the runtime runs (conmon puts ctl, attach, oom here)
 *     exec/<exec id>/                one exec's dir
 *   <state>/exits/<id>               conmon's exit file for the current run
 *   <state>/sock/<id>                conmon's attach-socket link
 *   <state>/rt/<runtime>/            the runtime's --root
 *   <state>/networks/attach/<id>.json  a run's attachment: its lease of addresses and ports
 *   <state>/networks/netavark/       netavark's config dir (aardvark-dns's files)
 *   <state>/networks/netns/<id>      a run's network namespace, bind-mounted
 *
 * Pure: it joins paths and touches nothing.
 */
import { join } from 'node:path'

/** An image container's overlay dirs. */
export interface RootfsPaths { upper: string, work: string, merged: string }

/** Where a container's overlay lives, under its dir in the root. */
export const rootfsPaths = (containerDir: string): RootfsPaths => ({
  upper: join(containerDir, 'rootfs', 'upper'),
  work: join(containerDir, 'rootfs', 'work'),
  merged: join(containerDir, 'rootfs', 'merged')
})

/** Paths inside a run's state dir. */
export const statePaths = (stateDir: string) => ({
  control: join(stateDir, 'control'),
  ctrPid: join(stateDir, 'ctr.pid'),
  conmonPid: join(stateDir, 'conmon.pid'),
  conmonLog: join(stateDir, 'conmon.log')
})

/** The paths of one berthd, from its root and state dirs. */
export class Layout {
  /** One dir per container. */
  readonly records: string
  /** One state dir per running (or created) container. */
  readonly states: string
  readonly exits: string
  readonly sockets: string
  readonly images: string
  /** One dir per volume (src/volumes/store.ts). */
  readonly volumes: string
  /** The networks and their runs' attachments (src/networks/service.ts). */
  readonly networks: { store: string, attach: string, netavark: string, netns: string }
  readonly events: string
  /** The builder's buildah storage, temp dirs and config (src/build/). */
  readonly build: string
  /** buildah's run root (locks, mount bookkeeping). */
  readonly buildRun: string
  /** Where an earlier berthd kept ready-made FIFOs (removed at start-up). */
  readonly oldFifos: string

  constructor (root: string, private readonly state: string) {
    this.records = join(root, 'containers')
    this.states = join(state, 'containers')
    this.exits = join(state, 'exits')
    this.sockets = join(state, 'sock')
    this.images = join(root, 'images')
    this.volumes = join(root, 'volumes')
    this.networks = { store: join(root, 'networks'), attach: join(state, 'networks', 'attach'), netavark: join(state, 'networks', 'netavark'), netns: join(state, 'networks', 'netns') }
    this.events = join(root, 'events')
    this.build = join(root, 'build')
    this.buildRun = join(state, 'build')
    this.oldFifos = join(state, 'fifos')
  }

  /** The runtime's own state dir (its --root). */
  runtimeRoot (name: string): string { return join(this.state, 'rt', name) }

  containerDir (id: string): string { return join(this.records, id) }
  /** conmon's log; its rotated files are `ctr.log.<n>` beside it (logs/rotation.ts names them from this path). */
  logPath (id: string): string { return join(this.containerDir(id), 'ctr.log') }
  /** An image container's bundle, made by berth. */
  imageBundle (id: string): string { return join(this.containerDir(id), 'bundle') }
  rootfs (id: string): RootfsPaths { return rootfsPaths(this.containerDir(id)) }
  /** The /etc files berth writes for an image container. */
  etcFiles (id: string): { hostname: string, hosts: string, resolvConf: string } {
    const dir = this.containerDir(id)
    return { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
  }

  stateDir (id: string): string { return join(this.states, id) }
  /** The run's private bundle, which the runtime and conmon are given. */
  runBundle (id: string): string { return join(this.stateDir(id), 'bundle') }
  exitFile (id: string): string { return join(this.exits, id) }
  socketLink (id: string): string { return join(this.sockets, id) }
}

/** The OCI spec of a bundle dir. */
export const bundleSpec = (bundle: string): string => join(bundle, 'config.json')
