/** Records older than this are dropped: the longest alarm range the local runtime evaluates fits in it. */
export const recordRetentionMs = 15 * 60 * 1000;
/** Hard cap per log, so memory stays bounded even at rates the local runtime never generates. */
const maxRecords = 500_000;

/**
 * Timed records (requests, invocations) in completion order, dropped from the front when they age out or
 * beyond `maxRecords`.
 */
export class RecordLog<T extends { readonly at: number }> {
  #items: T[] = [];
  #head = 0;

  /** Adds a record and drops those older than `oldest` (epoch ms). */
  add(record: T, oldest: number): void {
    this.#items.push(record);
    while (
      this.#head < this.#items.length &&
      ((this.#items[this.#head] as T).at < oldest || this.#items.length - this.#head > maxRecords)
    ) {
      this.#head += 1;
    }
    // Compacting only once half the array is dead keeps add() amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The records completed in [start, end) (epoch ms). */
  *between(start: number, end: number): Generator<T> {
    for (let index = this.#head; index < this.#items.length; index += 1) {
      const record = this.#items[index] as T;
      if (record.at >= start && record.at < end) yield record;
    }
  }
}
