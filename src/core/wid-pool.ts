/**
 * A watcher's wids: the lowest one free goes to the next spawn, in constant time however many
 * processes run (a set of every wid built per spawn made a start of N processes cost N²).
 */
export class WidPool {
  /** wid -> holders (a running process, a promise to a spawn or respawn). */
  private readonly holds = new Map<number, number>();
  /** Every wid at or above this is free. */
  private high = 1;
  /** Freed wids below `high`, as a min-heap; may hold wids taken again since (skipped). */
  private freed: number[] = [];

  /** Whether some holder has the wid. */
  has(wid: number): boolean {
    return this.holds.has(wid);
  }

  /** The lowest wid nobody holds (not taken: `hold` it). */
  lowest(): number {
    while (this.freed.length > 0 && this.holds.has(this.freed[0] as number)) popMin(this.freed);
    return this.freed.length > 0 ? (this.freed[0] as number) : this.high;
  }

  /** One more holder of `wid`. */
  hold(wid: number): void {
    this.holds.set(wid, (this.holds.get(wid) ?? 0) + 1);
    while (this.holds.has(this.high)) this.high++;
  }

  /** One holder less; the wid is free again when it was the last. */
  release(wid: number): void {
    const count = this.holds.get(wid);
    if (count === undefined) return;
    if (count > 1) {
      this.holds.set(wid, count - 1);
      return;
    }
    this.holds.delete(wid);
    if (wid >= this.high) return;
    pushMin(this.freed, wid);
    // A wid freed and taken again over and over (a crash loop) must not grow the heap.
    if (this.freed.length > this.high) this.compact();
  }

  /** The heap rebuilt with each free wid once (a sorted array is a min-heap). */
  private compact(): void {
    const free = new Set(this.freed.filter((wid) => !this.holds.has(wid)));
    this.freed = [...free].sort((a, b) => a - b);
  }
}

function pushMin(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= value) break;
    heap[i] = heap[parent] as number;
    i = parent;
  }
  heap[i] = value;
}

function popMin(heap: number[]): void {
  const last = heap.pop() as number;
  if (heap.length === 0) return;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child =
      right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
    if ((heap[child] as number) >= last) break;
    heap[i] = heap[child] as number;
    i = child;
  }
  heap[i] = last;
}
