import {
  type DeployTarget,
  type PrepareInput,
  type PrepareResult,
  stableWithoutTasks,
  type TargetStatus,
} from "../domain/ports/deploy-target.ts";
import type { Colour } from "../domain/ports/traffic-router.ts";

/**
 * The DeployTarget of a feature-flag rollout, on AWS and locally: the code that reads the flag already runs,
 * so there is nothing to start, check or scale. Both arms report stable with no targets of their own.
 */
export class FlagDeployTarget implements DeployTarget {
  readonly #flag: string;

  constructor(flag: string) {
    this.#flag = flag;
  }

  async prepare(input: PrepareInput): Promise<PrepareResult> {
    return { revision: `flag ${this.#flag} at ${input.version}`, desiredCount: 0 };
  }

  async scale(): Promise<void> {}

  async status(colour: Colour): Promise<TargetStatus> {
    return stableWithoutTasks(colour, `flag ${this.#flag}`);
  }
}
