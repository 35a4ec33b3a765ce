import type { AlarmWatchStore } from "./alarm-watch-store.ts";
import type { DecisionLog } from "./decision-log.ts";
import type { DeploymentStore } from "./deployment-store.ts";
import type { GateStore } from "./gate-store.ts";
import type { PromotionStore } from "./promotion-store.ts";
import type { ReleaseStore } from "./release-store.ts";

/** One store per record type, all on the one state table (see functions/adapters/aws/table-schema.ts). */
export interface Stores {
  readonly promotions: PromotionStore;
  readonly releases: ReleaseStore;
  readonly deployments: DeploymentStore;
  readonly gates: GateStore;
  readonly decisions: DecisionLog;
  readonly alarmWatches: AlarmWatchStore;
}
