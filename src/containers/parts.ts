/**
 * What every part of the container manager is handed: the table of
 * containers, the paths, each container's runtime, the event and the log.
 * A part gets these (and what else it needs) from the manager, never the
 * manager itself.
 */
import type { Logger } from 'pino'
import type { Runtime } from '../runtime/runtime.js'
import type { Layout } from '../store/layout.js'
import type { ContainerRecord } from '../store/records.js'
import type { ContainerTable } from './table.js'

export interface PartDeps {
  table: ContainerTable
  layout: Layout
  runtimeOf: (rec: ContainerRecord) => Runtime
  event: (rec: ContainerRecord, action: string, extra?: Record<string, string>) => void
  log: Logger
}
