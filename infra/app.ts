import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigInvalidError, parseConfig } from "../functions/domain/config/index.ts";
import { defaultExternalId } from "../functions/domain/target-access.ts";
import { loadConfigInput } from "./load-config.ts";
import { ControlPlaneStack } from "./stacks/control-plane-stack.ts";
import { TargetStack, targetStackId } from "./stacks/target-stack.ts";
import { controlPlanePlace, samePlace, targetPlaces } from "./target-places.ts";

/** Used when neither `-c config=<path>` nor `GLIDEPATH_CONFIG` names the config module. */
export const DEFAULT_CONFIG_PATH = "examples/glidepath.config.ts";

export interface BuildAppOptions {
  /**
   * The app to add the stack to.
   * @default - a new App
   */
  readonly app?: App;
  /**
   * Where the config came from, named in the error when it is invalid.
   * @default "config"
   */
  readonly source?: string;
}

export interface GlidepathApp {
  readonly app: App;
  readonly stack: ControlPlaneStack;
  /** One per account+region the AWS targets use besides the control plane's own. */
  readonly targets: readonly TargetStack[];
}

/**
 * Validates the config input and builds the control-plane stack. Throws `ConfigInvalidError` listing every
 * problem before any construct exists. cdk-nag runs as a validation plugin, so `cdk synth` fails on any
 * AwsSolutions finding that is not acknowledged with a reason.
 */
export function buildApp(configInput: unknown, options: BuildAppOptions = {}): GlidepathApp {
  const config = parseConfig(configInput, options.source);
  const app = options.app ?? new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const home = controlPlanePlace(config);
  const stack = new ControlPlaneStack(app, "Glidepath", {
    config,
    description: "Glidepath deployment orchestrator: control plane",
    env: home ?? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  const targets = targetPlaces(config)
    .filter((place) => home !== undefined && !samePlace(place, home))
    .map(
      (place) =>
        new TargetStack(app, targetStackId(place), {
          place,
          controlPlane: home as NonNullable<typeof home>,
          externalId: config.controlPlane?.externalId ?? defaultExternalId,
          description: `Glidepath deployment orchestrator: target ${place.account} ${place.region}`,
        }),
    );
  return { app, stack, targets };
}

async function main(): Promise<void> {
  const app = new App();
  // `||`, not `??`: an empty GLIDEPATH_CONFIG= means "not set", as shells and CI files tend to produce it.
  const path = String(
    app.node.tryGetContext("config") || process.env.GLIDEPATH_CONFIG || DEFAULT_CONFIG_PATH,
  );
  try {
    buildApp(await loadConfigInput(path), { app, source: path });
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    // A user error, not a bug: the message is the whole story, so no stack trace. Exiting before the app's
    // automatic synthesis makes `cdk synth` fail with this message.
    process.stderr.write(
      `${error.message}\nName another config with \`cdk synth -c config=<path>\` or GLIDEPATH_CONFIG=<path>.\n`,
    );
    process.exit(1);
  }
}

if (import.meta.main) await main();
