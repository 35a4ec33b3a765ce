import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { StrategyType } from "../../domain/config/index.ts";
import type { DeploymentRequest } from "../../domain/deployment-request.ts";
import { pipelineTag, releasePipelineTag } from "../../domain/execution-name.ts";
import { type PromotionRequest, promotionExecutionName } from "../../domain/promotion/request.ts";
import { type ReleaseRequest, releaseExecutionName } from "../../domain/release/request.ts";

export interface SfnExecutionStarterProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: SFNClient;
  /**
   * The ARN of the stack's state machines up to their kind: `arn:<partition>:states:<region>:<account>:stateMachine:<stack>-`.
   * The pipeline is this prefix followed by `pipeline`.
   */
  readonly stateMachineArnPrefix: string;
}

/**
 * Starts a promotion's pipeline execution (`<stack>-pipeline`), named by `promotionExecutionName()`, and a
 * release's (`<stack>-release`). Step Functions refuses a second execution of the same name: `ExecutionAlreadyExists` means an earlier delivery started it, and resolves as success with
 * the deterministic ARN of that execution.
 */
export class SfnExecutionStarter {
  readonly #client: SFNClient;
  readonly #prefix: string;

  constructor(props: SfnExecutionStarterProps) {
    if (!/^arn:[^:]+:states:[^:]+:\d{12}:stateMachine:.+$/.test(props.stateMachineArnPrefix)) {
      throw new Error(
        `stateMachineArnPrefix must look like arn:<partition>:states:<region>:<account>:stateMachine:<stack>-, got ${props.stateMachineArnPrefix}`,
      );
    }
    this.#client = props.client;
    this.#prefix = props.stateMachineArnPrefix;
  }

  /** An arrow so it can be handed over as the `start` port on its own. */
  readonly start = async (request: PromotionRequest): Promise<{ readonly executionArn: string }> =>
    this.#start(pipelineTag, promotionExecutionName(request), request);

  /** A release's pipeline execution (`<stack>-release`), named by `releaseExecutionName()`, the same way. */
  readonly startRelease = async (request: ReleaseRequest): Promise<{ readonly executionArn: string }> =>
    this.#start(releasePipelineTag, releaseExecutionName(request), request);

  /** A strategy execution (`<stack>-<strategy>`) on its own, not nested in a pipeline: a rollback's. */
  readonly startStrategy = async (
    strategy: StrategyType,
    name: string,
    request: DeploymentRequest,
  ): Promise<{ readonly executionArn: string }> => this.#start(strategy, name, request);

  async #start(tag: string, name: string, request: unknown): Promise<{ readonly executionArn: string }> {
    const stateMachineArn = `${this.#prefix}${tag}`;
    try {
      const output = await this.#client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(request) }),
      );
      return { executionArn: output.executionArn ?? executionArnOf(stateMachineArn, name) };
    } catch (error) {
      if (!isExecutionAlreadyExists(error)) throw error;
      return { executionArn: executionArnOf(stateMachineArn, name) };
    }
  }
}

/** `arn:…:stateMachine:<machine>` → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

function isExecutionAlreadyExists(error: unknown): boolean {
  return (
    error instanceof ExecutionAlreadyExists ||
    (error instanceof Error && error.name === "ExecutionAlreadyExists")
  );
}
