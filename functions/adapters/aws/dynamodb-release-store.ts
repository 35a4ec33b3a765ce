/**
 * Releases on the state table: pk `RELEASE#<id>`, sk `RELEASE`, the Release's fields, in the history index
 * under `RELEASES` / `<createdAt>#<id>`. Created with a conditional put (idempotent by its id, which is its
 * content); every save is conditioned on the revision it was decided from. A release gets its TTL when it is
 * over, as a promotion does.
 */
import type { HistoryPage } from "../../domain/ports/deployment-store.ts";
import type { ReleaseStore } from "../../domain/ports/release-store.ts";
import { isPromotionOver } from "../../domain/promotion/record.ts";
import { type Release, ReleaseSchema } from "../../domain/release/record.ts";
import { historyIndexKey, ItemType, releaseHistoryPartition, releaseKey } from "./dynamodb-keys.ts";
import { type DynamoTable, type Item, parseItem } from "./dynamodb-table.ts";
import { historyPage } from "./history-page.ts";
import { createOnce, saveAtRevision } from "./revisioned-record.ts";
import { TableSchema } from "./table-schema.ts";

export class DynamoDbReleaseStore implements ReleaseStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(release: Release): Promise<{ readonly release: Release; readonly created: boolean }> {
    const { record, created } = await createOnce(
      this.table,
      this.item(release),
      release,
      () => this.get(release.id),
      `release ${release.id}`,
    );
    return { release: record, created };
  }

  async get(id: string): Promise<Release | undefined> {
    const item = await this.table.getItem(releaseKey(id));
    return item === undefined ? undefined : toRelease(item);
  }

  save(release: Release): Promise<boolean> {
    return saveAtRevision(this.table, this.item(release), release.revision);
  }

  history(query: { readonly limit: number; readonly cursor?: string }): Promise<HistoryPage<Release>> {
    return historyPage(
      this.table,
      { partition: releaseHistoryPartition, limit: query.limit, cursor: query.cursor },
      toRelease,
    );
  }

  private item(release: Release): Item {
    return {
      ...releaseKey(release.id),
      ...historyIndexKey(releaseHistoryPartition, release.createdAt, release.id),
      itemType: ItemType.Release,
      ...JSON.parse(JSON.stringify(release)),
      ...(isPromotionOver(release.status)
        ? { [TableSchema.timeToLiveAttribute]: this.table.expiresAt(new Date(release.updatedAt)) }
        : {}),
    };
  }
}

function toRelease(item: Item): Release {
  return parseItem(ReleaseSchema, item, "release");
}
