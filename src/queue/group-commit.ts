/**
 * Collects items submitted concurrently and hands them to `commit` in batches: while one batch
 * is being committed the next one gathers. Each submitter gets its own item's result, so with
 * many jobs in flight the database sees one transaction per batch instead of one per job.
 */
export class GroupCommitter<Item, Result> {
  private queue: { item: Item; resolve: (result: Result) => void; reject: (error: Error) => void }[] = [];
  private running = false;

  constructor(
    private readonly commit: (items: Item[]) => Promise<(Result | Error)[]>,
    private readonly maxBatch = 100,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        // Let submitters of the same turn join the batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.maxBatch);
        let results: (Result | Error)[];
        try {
          results = await this.commit(batch.map((entry) => entry.item));
        } catch (error) {
          results = batch.map(() => error as Error);
        }
        batch.forEach((entry, index) => {
          const result = results[index];
          if (result instanceof Error) entry.reject(result);
          else if (result === undefined) entry.reject(new Error("no result for item"));
          else entry.resolve(result);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
