/**
 * Collects items submitted concurrently and hands them to `commit` in batches: while batches are
 * being committed the next ones gather. Each submitter gets its own item's result, so with many
 * jobs in flight the database sees one transaction per batch instead of one per job.
 * `maxInFlight` batches may commit at once, so the database's cores are all used.
 */
export class GroupCommitter<Item, Result> {
  private queue: { item: Item; resolve: (result: Result) => void; reject: (error: Error) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly commit: (items: Item[]) => Promise<(Result | Error)[]>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 2,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // Let submitters of the same turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight++;
    let results: (Result | Error)[];
    try {
      results = await this.commit(batch.map((entry) => entry.item));
    } catch (error) {
      results = batch.map(() => error as Error);
    } finally {
      this.inFlight--;
    }
    batch.forEach((entry, index) => {
      const result = results[index];
      if (result instanceof Error) entry.reject(result);
      else if (result === undefined) entry.reject(new Error("no result for item"));
      else entry.resolve(result);
    });
    this.schedule();
  }
}
