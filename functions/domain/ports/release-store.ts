import type { Release } from "../release/record.ts";
import type { HistoryPage } from "./deployment-store.ts";

/** Release records (see functions/domain/release/record.ts). */
export interface ReleaseStore {
  /**
   * Creates the record unless one with its id exists (the same manifest again): then returns that one,
   * unchanged, with `created: false`.
   */
  create(release: Release): Promise<{ readonly release: Release; readonly created: boolean }>;
  get(id: string): Promise<Release | undefined>;
  /** Writes `release` if the stored one is still at `revision - 1`; false when another write came first. */
  save(release: Release): Promise<boolean>;
  /** Newest first. Throws `InvalidCursorError` for a cursor that is not a `nextCursor` of the same history. */
  history(query: { readonly limit: number; readonly cursor?: string }): Promise<HistoryPage<Release>>;
}
