/**
 * Group commit: requests that arrive while a write is in flight (or in the same tick) are
 * written together in the next single store call, so a thousand concurrent one-event
 * mutations cost a handful of transactions (and fsyncs) instead of a thousand.
 * Each request is kept whole: a batch is never split across two writes.
 */
export class GroupCommitter<Item, Outcome> {
  private queue: { items: readonly Item[]; resolve: (o: Outcome[]) => void; reject: (e: unknown) => void }[] =
    [];
  private flushing = false;

  constructor(
    private readonly write: (items: readonly Item[]) => Promise<Outcome[]>,
    private readonly maxItemsPerWrite: number,
  ) {}

  submit(items: readonly Item[]): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      const items = group.flatMap((request) => request.items);
      try {
        const outcomes = await this.write(items);
        // Outcomes are matched to requests by position: a store that answered for other items
        // would hand one request another's outcomes, so refuse the write's answer instead.
        if (outcomes.length !== items.length) {
          throw new Error(`the store answered ${outcomes.length} outcomes for ${items.length} events`);
        }
        let offset = 0;
        for (const request of group) {
          request.resolve(outcomes.slice(offset, offset + request.items.length));
          offset += request.items.length;
        }
      } catch (error) {
        for (const request of group) request.reject(error);
      }
    }
    this.flushing = false;
  }

  private takeGroup(): typeof this.queue {
    let size = 0;
    let count = 0;
    for (const request of this.queue) {
      if (count > 0 && size + request.items.length > this.maxItemsPerWrite) break;
      size += request.items.length;
      count += 1;
    }
    const group = this.queue.splice(0, count);
    return group;
  }
}
