/** mkfifo(3): Node has no binding, so coreutils' mkfifo makes the FIFO. */
import { execa } from 'execa'

export async function mkfifo (path: string, mode = '600'): Promise<void> {
  await execa('mkfifo', ['-m', mode, path], { timeout: 10_000 })
}
