import { z } from "zod";
import {
  describeExperimentVerdict,
  type ExperimentVerdict,
  judgeExperiment,
  recordedVerdict,
  verdictDecisionId,
} from "../domain/analysis/experiment.ts";
import { BusinessMetricSchema } from "../domain/config/check-schema.ts";
import { DecisionAction } from "../domain/deployment.ts";
import { ExperimentNotWonError, StepInputInvalidError } from "../domain/errors.ts";
import type { Ports } from "../domain/ports/index.ts";
import { otherColour } from "../domain/ports/traffic-router.ts";
import { logger } from "../shared/logger.ts";
import { accessOf, colourSchema, parseInput, targetFields, windowSince } from "./schemas.ts";

export const JudgeExperimentInput = z.object({
  action: z.literal("judge"),
  ...targetFields,
  service: z.string().min(1),
  environment: z.string().min(1),
  version: z.string().min(1),
  executionArn: z.string().min(1),
  newColour: colourSchema,
  metrics: z.array(BusinessMetricSchema),
  experiment: z.object({ decideOn: z.string().min(1), alpha: z.number().gt(0).lt(0.5) }),
  /** When the split began: the verdict counts every conversion since. */
  shiftedAt: z.iso.datetime(),
  /** The experiment's phase: with `approvalTimeoutSeconds`, a winning treatment waits for an approval. */
  phase: z.object({ approvalTimeoutSeconds: z.number().int().min(1).optional() }),
});

/**
 * "Judge experiment": the verdict on `decideOn` from each arm's counts since the split began (the live
 * colour is the control, the new one the treatment), recorded in the decision log with every number and told
 * to humans, once. A treatment that won is returned; anything else fails with `ExperimentNotWonError`, which
 * rolls the split back. A redelivered step returns the verdict already recorded, not a new one.
 */
export function createJudgeExperimentHandler(ports: Ports) {
  return async (event: unknown): Promise<ExperimentVerdict> => {
    const input = parseInput(JudgeExperimentInput, event, "judge experiment");
    const metric = input.metrics.find((candidate) => candidate.name === input.experiment.decideOn);
    if (metric === undefined) {
      throw new StepInputInvalidError(
        `judge experiment: decideOn '${input.experiment.decideOn}' names none of the request's metrics (${input.metrics.map((entry) => entry.name).join(", ") || "none"})`,
      );
    }
    const recorded = recordedVerdict(await ports.decisions.list(input.deploymentId));
    const verdict = recorded ?? (await judge(ports, input, metric));
    const summary = describeExperimentVerdict(verdict);
    if (recorded === undefined) {
      const next = nextStep(verdict, input.phase.approvalTimeoutSeconds !== undefined);
      const { appended } = await ports.decisions.append({
        deploymentId: input.deploymentId,
        id: verdictDecisionId,
        at: ports.clock().toISOString(),
        action: DecisionAction.Verdict,
        actor: "experiment",
        reason: `${summary}; ${next}`,
        values: { verdict },
      });
      if (appended) await tell(ports, input, verdict, next);
    }
    if (verdict.winner !== "treatment") throw new ExperimentNotWonError(summary);
    return verdict;
  };
}

async function judge(
  ports: Ports,
  input: z.output<typeof JudgeExperimentInput>,
  metric: z.output<typeof BusinessMetricSchema>,
): Promise<ExperimentVerdict> {
  const [counts] = await ports
    .healthSignals(input.target, accessOf(input))
    .businessMetrics([metric], windowSince(input.shiftedAt, ports.clock()));
  if (counts === undefined) throw new Error(`no counts of ${metric.name} came back`);
  return judgeExperiment(
    { control: counts[otherColour(input.newColour)], treatment: counts[input.newColour] },
    { metric: metric.name, alpha: input.experiment.alpha, minSamples: metric.minSamples },
  );
}

function nextStep(verdict: ExperimentVerdict, approval: boolean): string {
  if (verdict.winner !== "treatment") return "the split goes back and the promotion stops";
  return approval
    ? "waiting for an approval to promote the treatment to 100%"
    : "promoting the treatment to 100%";
}

/** Tells humans; a notifier that fails (Slack down) is logged, and the experiment is not held up by it. */
async function tell(
  ports: Ports,
  input: z.output<typeof JudgeExperimentInput>,
  verdict: ExperimentVerdict,
  next: string,
): Promise<void> {
  try {
    await ports.notifier.experimentJudged({
      deploymentId: input.deploymentId,
      service: input.service,
      environment: input.environment,
      version: input.version,
      verdict,
      next,
      executionUrl: ports.executionUrl(input.executionArn),
    });
  } catch (error) {
    logger.warn("could not tell humans about the experiment's verdict", {
      deploymentId: input.deploymentId,
      error,
    });
  }
}
