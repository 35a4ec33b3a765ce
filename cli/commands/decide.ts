import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { EventBridgeDecisionBus } from "../../functions/adapters/aws/eventbridge-decision-bus.ts";
import { DeploymentIdSchema } from "../../functions/domain/deployment.ts";
import { humanActions, isHumanAction } from "../../functions/domain/gates.ts";
import type { DecisionBus } from "../../functions/domain/ports/gates.ts";
import { type DecideRequest, localOperator, localStateFile } from "../../local/callback-server.ts";
import { tokenHeader } from "../../local/endpoint-guard.ts";
import { readLocalRun } from "../local-run.ts";
import { UsageError } from "../usage-error.ts";

export interface DecideOptions {
  readonly reason?: string;
  readonly gate?: string;
  readonly bus: string;
}

export interface DecideDependencies {
  readonly bus: DecisionBus;
  /** The caller as AWS knows them, e.g. `arn:aws:sts::123456789012:assumed-role/Deployer/alice`. */
  readonly identity: () => Promise<string>;
}

/** The AWS side: PutEvents on the Glidepath bus, as the caller's AWS identity (STS GetCallerIdentity). */
export function awsDecisionDependencies(busName: string): DecideDependencies {
  return {
    bus: new EventBridgeDecisionBus({ client: new EventBridgeClient({}), busName }),
    identity: async () => (await callerIdentity()).replace(/^cli:/, ""),
  };
}

/** The caller as the CLI names them in records: `cli:` and their AWS identity (STS GetCallerIdentity). */
export async function callerIdentity(): Promise<string> {
  const { Arn } = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  if (Arn === undefined) throw new Error("STS did not say who the caller is");
  return `cli:${Arn}`;
}

/**
 * `glidepath approve|reject|promote|pause|resume|abort <deployment-id>`: puts the same "Glidepath Gate
 * Decision" event a Slack button does, with the caller's identity as the actor. resolve-gate decides whether
 * it applies (open gate, allowed action, approver) and records the outcome.
 */
export async function decideCommand(
  action: string,
  deploymentId: string,
  options: DecideOptions,
  dependencies: DecideDependencies,
  print: (line: string) => void,
): Promise<void> {
  if (!isHumanAction(action)) {
    throw new UsageError(`unknown action '${action}'; use one of ${humanActions.join(", ")}`);
  }
  if (!DeploymentIdSchema.safeParse(deploymentId).success) {
    throw new UsageError(
      `'${deploymentId}' is not a deployment id (d- and 20 hex digits; see \`glidepath history\`)`,
    );
  }
  const actor = `cli:${await dependencies.identity()}`;
  await dependencies.bus.putDecision({
    deploymentId,
    action,
    actor,
    ...(options.gate === undefined ? {} : { gateId: options.gate }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  print(
    `${action} for ${deploymentId} sent to the ${options.bus} bus as ${actor}; the deployment's decision log shows the outcome.`,
  );
}

/**
 * While `npm start` runs here, decisions go to its local endpoint, which decides as the local operator through
 * the same signed Slack path; undefined when no local deployment runs.
 */
export function localDecisionDependencies(stateFile = localStateFile): DecideDependencies | undefined {
  const run = readLocalRun(stateFile);
  if (run === undefined) return undefined;
  const { url, token } = run;
  return {
    identity: async () => `local:${localOperator}`,
    bus: {
      putDecision: async (decision) => {
        const request: DecideRequest = {
          deploymentId: decision.deploymentId,
          action: decision.action,
          ...(decision.gateId === undefined ? {} : { gateId: decision.gateId }),
        };
        // The endpoint waits up to 15 s for the deployment's next open gate (local/callback-server.ts).
        const response = await fetch(`${url}/decide`, {
          method: "POST",
          headers: { "content-type": "application/json", [tokenHeader]: token },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(30_000),
        });
        const answer = (await response.json()) as { text?: string };
        if (!response.ok || (answer.text !== undefined && !answer.text.startsWith("⏳"))) {
          throw new UsageError(`the local deployment refused: ${answer.text ?? response.status}`);
        }
      },
    },
  };
}
