/**
 * One socket's frames waiting to be written, in order. A frame with a slot (a subscription whose
 * pushes coalesce: scoreChanged, leaderboardChanged) replaces the frame of the same slot still
 * waiting, in its place: the latest value wins and the queue holds at most one frame per such
 * subscription. A frame without a slot (eventRecorded, replies, protocol messages) is kept.
 * Pure bookkeeping, so the coalescing rules are tested without a socket.
 */
export class OutboxQueue<F = string> {
  private entries: Entry<F>[] = [];
  private head = 0;
  private readonly bySlot = new Map<string, Entry<F>>();
  private size = 0;
  private count = 0;

  /** UTF-8 bytes of the frames waiting. */
  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.count;
  }

  /**
   * Queues a frame of `bytes` bytes (a string's UTF-8 length by default); true when it replaced a
   * waiting frame of its slot rather than adding one.
   */
  enqueue(frame: F, slot: string | null = null, bytes = Buffer.byteLength(String(frame))): boolean {
    if (slot !== null) {
      const waiting = this.bySlot.get(slot);
      if (waiting) {
        this.size += bytes - waiting.bytes;
        waiting.frame = frame;
        waiting.bytes = bytes;
        return true;
      }
    }
    const entry: Entry<F> = { frame, bytes, slot };
    this.entries.push(entry);
    if (slot !== null) this.bySlot.set(slot, entry);
    this.size += bytes;
    this.count += 1;
    return false;
  }

  /** The oldest waiting frame, taken off the queue. */
  shift(): F | undefined {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head++]!;
      if (this.head === this.entries.length) {
        this.entries = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
        this.entries = this.entries.slice(this.head);
        this.head = 0;
      }
      if (entry.dropped) continue;
      this.size -= entry.bytes;
      this.count -= 1;
      if (entry.slot !== null) this.bySlot.delete(entry.slot);
      return entry.frame;
    }
    return undefined;
  }

  /** Forgets the waiting frame of a slot (its subscription ended). */
  drop(slot: string): void {
    const entry = this.bySlot.get(slot);
    if (!entry) return;
    this.bySlot.delete(slot);
    this.size -= entry.bytes;
    this.count -= 1;
    entry.dropped = true;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bySlot.clear();
    this.size = 0;
    this.count = 0;
  }
}

interface Entry<F> {
  frame: F;
  bytes: number;
  readonly slot: string | null;
  /** Left in place by drop, skipped by shift. */
  dropped?: true;
}
