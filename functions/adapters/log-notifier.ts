import { describeExperimentVerdict } from "../domain/analysis/experiment.ts";
import { describeExposure } from "../domain/exposure.ts";
import type { GateDecision } from "../domain/gates.ts";
import type { ExperimentNotice, GateNotice, Notifier, PromotionNotice } from "../domain/ports/notifier.ts";

/** A Notifier that writes one line per gate event: the stand-in when no Slack channel is configured, and the local terminal's. */
export class LineNotifier implements Notifier {
  readonly #write: (line: string) => void;
  readonly #links: (notice: GateNotice) => string;

  constructor(write: (line: string) => void, links: (notice: GateNotice) => string = () => "") {
    this.#write = write;
    this.#links = links;
  }

  async gateOpened(notice: GateNotice): Promise<void> {
    const actions = notice.actions.join(" / ");
    const links = this.#links(notice);
    this.#write(
      `gate open: ${notice.service} ${notice.version} in ${notice.environment}, ${notice.label} (${actions})${links === "" ? "" : ` ${links}`}`,
    );
  }

  async gateDecided(notice: GateNotice, decision: GateDecision): Promise<void> {
    this.#write(
      `gate decided: ${notice.label} of ${notice.service} ${notice.version}: ${decision.action} by ${decision.actor}`,
    );
  }

  async promotionEnded(notice: PromotionNotice): Promise<void> {
    const where = notice.outcome === "promoted" ? "" : ` in ${notice.environment}`;
    const exposure = notice.exposure === undefined ? "" : ` — ${describeExposure(notice.exposure)}`;
    this.#write(
      `promotion ${notice.outcome}: ${notice.service} ${notice.version}${where}: ${notice.reason}${exposure}`,
    );
  }

  async experimentJudged(notice: ExperimentNotice): Promise<void> {
    this.#write(experimentLine(notice));
  }
}

/** "experiment judged: checkout 1.4.0 in production: treatment wins: … ; promoting the treatment to 100%". */
export function experimentLine(notice: ExperimentNotice): string {
  return `experiment judged: ${notice.service} ${notice.version} in ${notice.environment}: ${describeExperimentVerdict(notice.verdict)}; ${notice.next}`;
}
