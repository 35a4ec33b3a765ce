import { type LambdaClient, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { ShiftFailedError } from "../../domain/errors.ts";
import {
  assertValidWeights,
  type ColourWeights,
  type SetWeightsResult,
  type TrafficRouter,
} from "../../domain/ports/traffic-router.ts";
import {
  type AliasShape,
  type DeploymentVersions,
  deploymentVersions,
  readAlias,
} from "./lambda-versions.ts";

export interface LambdaAliasRouterProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: LambdaClient;
  readonly functionName: string;
  /** The alias the function's callers invoke. */
  readonly alias: string;
  /** Names the version published for this deployment (lambda-versions.ts). */
  readonly deploymentId: string;
}

/**
 * Splits a Lambda alias between the version it served before the deployment (blue) and the version published
 * for it (green), with `RoutingConfig.AdditionalVersionWeights` as CodeDeploy does: during a split the alias
 * points at the old version with the new one's share as its additional weight; at 100% it points at the new
 * version with no routing, and a rollback points it back at the old one with no routing. Weights are read
 * back with GetAlias after every change; the same weights twice change nothing.
 */
export class LambdaAliasRouter implements TrafficRouter {
  readonly #props: LambdaAliasRouterProps;

  constructor(props: LambdaAliasRouterProps) {
    this.#props = props;
  }

  /** Before a version is published for the deployment, whatever the alias serves is the live version: blue. */
  async readWeights(): Promise<ColourWeights> {
    const { client, functionName, alias: name, deploymentId } = this.#props;
    const [alias, versions] = await Promise.all([
      this.#alias(),
      deploymentVersions(client, functionName, name, deploymentId),
    ]);
    return versions === undefined ? { blue: 100, green: 0 } : this.#weightsOf(alias, versions);
  }

  async setWeights(weights: ColourWeights): Promise<SetWeightsResult> {
    assertValidWeights(weights);
    const { client, functionName, alias, deploymentId } = this.#props;
    const versions = await deploymentVersions(client, functionName, alias, deploymentId);
    if (versions === undefined) {
      throw new Error(
        `${this.#describe()}: deployment ${deploymentId} has no new version of ${functionName} (none published or tagged for it), so there is nothing to shift to`,
      );
    }
    const wanted = shapeFor(weights, versions);
    const current = await this.#alias();
    if (sameShape(current, wanted))
      return { changed: false, weights: this.#weightsOf(current, versions), settled: true };

    await this.#props.client.send(
      new UpdateAliasCommand({
        FunctionName: this.#props.functionName,
        Name: this.#props.alias,
        FunctionVersion: wanted.functionVersion,
        RoutingConfig: { AdditionalVersionWeights: { ...wanted.additional } },
      }),
    );
    const after = await this.#alias();
    const observed = this.#weightsOf(after, versions);
    if (!sameShape(after, wanted)) {
      throw new ShiftFailedError(
        this.#describe(),
        weights,
        observed,
        "Something else may be changing the same alias (another deployment, a stack update, a console edit); find it, then retry or roll back.",
      );
    }
    return { changed: true, weights: observed, settled: true };
  }

  async #alias(): Promise<AliasShape> {
    return readAlias(this.#props.client, this.#props.functionName, this.#props.alias);
  }

  /** The new version's share: all of the alias but the others' weights, or its own additional weight. */
  #weightsOf(alias: AliasShape, versions: DeploymentVersions): ColourWeights {
    const others = Object.values(alias.additional).reduce((sum, weight) => sum + weight, 0);
    const share =
      alias.functionVersion === versions.version ? 1 - others : (alias.additional[versions.version] ?? 0);
    const green = Math.round(share * 100);
    return { blue: 100 - green, green };
  }

  #describe(): string {
    return `alias ${this.#props.alias} of function ${this.#props.functionName}`;
  }
}

function shapeFor(weights: ColourWeights, versions: DeploymentVersions): AliasShape {
  if (weights.green === 100) return { functionVersion: versions.version, additional: {} };
  if (weights.green === 0) return { functionVersion: versions.replaces, additional: {} };
  return { functionVersion: versions.replaces, additional: { [versions.version]: weights.green / 100 } };
}

function sameShape(a: AliasShape, b: AliasShape): boolean {
  const keys = new Set([...Object.keys(a.additional), ...Object.keys(b.additional)]);
  return (
    a.functionVersion === b.functionVersion &&
    [...keys].every((key) => Math.abs((a.additional[key] ?? 0) - (b.additional[key] ?? 0)) < 1e-9)
  );
}
