/** Small promise helpers shared by the container manager's parts. */

/** At most `n` tasks at once. */
export class Slots {
  private active = 0
  private readonly waiting: Array<() => void> = []
  constructor (private readonly n: number) {}

  /** True when a task run now would start at once. */
  get free (): boolean { return this.active < this.n }

  async run<T> (task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter.
    if (this.active >= this.n) await new Promise<void>(resolve => this.waiting.push(resolve)); else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next(); else this.active--
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Resolves true if `p` settles within `ms`, false otherwise. */
export async function withTimeout (p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([p.then(() => true, () => true), t])
  } finally {
    clearTimeout(timer)
  }
}
