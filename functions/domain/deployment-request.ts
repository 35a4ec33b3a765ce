import { z } from "zod";
import { AlarmDefinitionSchema } from "./config/alarm-schema.ts";
import { BusinessMetricSchema, PauseSchema, TargetHealthSchema } from "./config/check-schema.ts";
import { regionName } from "./config/fields.ts";
import type { EnvironmentConfig, ServiceConfig } from "./config/index.ts";
import { AnalysisSchema } from "./config/schema.ts";
import { strategyTypeNames } from "./config/strategy.ts";
import { WaveTargetSchema } from "./config/target-schema.ts";
import type { ResolvedWave } from "./config/waves.ts";
import { type Deployment, DeploymentIdSchema } from "./deployment.ts";
import { ErrorNames, GlidepathError } from "./errors.ts";
import { plan } from "./planner.ts";
import { waveTarget } from "./wave-target.ts";

const PhaseSchema = z.strictObject({
  weight: z.number().int().min(0).max(100),
  bakeSeconds: z.number().int().min(0),
  gates: z.array(z.enum(["analysis", "approval", "smoke-test", "experiment", "watch"])),
  /** Present only on a phase that ends at an approval gate; the state machine branches on its presence. */
  approvalTimeoutSeconds: z.number().int().min(1).optional(),
  /** Present only on an experiment's phase, whose bake ends with the verdict; the machine branches on it. */
  judge: z.literal(true).optional(),
});

/**
 * The input of a strategy execution: everything its states need, resolved from the config when the
 * deployment starts, so that a config change never alters a running deployment. Fields added since have
 * defaults: a promotion started before an upgrade hands its next environments requests without them, and
 * "Start deployment" replaces the execution's state with the parsed request.
 */
export const DeploymentRequestSchema = z.strictObject({
  deploymentId: DeploymentIdSchema,
  service: z.string().min(1),
  environment: z.string().min(1),
  artifact: z.strictObject({ uri: z.string().min(1), digest: z.string().min(1), version: z.string().min(1) }),
  strategy: z.enum(strategyTypeNames),
  /** The account and region this wave acts in: its steps assume that account's deploy role there. */
  account: z.string().regex(/^\d{12}$/),
  region: regionName,
  /** The wave's own target in that account and region; for a feature-flag rollout, the flag in its store. */
  target: WaveTargetSchema,
  plan: z.strictObject({
    phases: z.array(PhaseSchema).min(1),
    phaseCount: z.number().int().min(1),
    totalSeconds: z.number().int().min(0),
    retireAfterSeconds: z.number().int().min(0),
  }),
  /** Names of the CloudWatch alarms that guard the deployment. */
  alarms: z.array(z.string().min(1)),
  /**
   * The alarms of `alarms` whose `onFail` is "pause": evaluations pause on them; the others roll back, and
   * only those are watched for the alarm events that fail a gate at once.
   */
  pauseAlarms: z.array(z.string().min(1)).default([]),
  /**
   * The alarms of `alarms` that the config defines: the deployment puts each over the new version's target
   * group before any traffic moves. Every other name must already exist.
   */
  alarmDefinitions: z.array(AlarmDefinitionSchema),
  /** Who may decide at this deployment's gates (empty: anyone who can reach the bus). */
  approvers: z.array(z.string().min(1)),
  analysis: AnalysisSchema,
  /** The business metrics judged per arm during bakes. */
  metrics: z.array(BusinessMetricSchema).default([]),
  /** The share of the new version's targets that may be unhealthy during bakes; null when not watched. */
  targetHealth: TargetHealthSchema.nullable().default(null),
  /** What a pause a check asked for waits, and does when it times out. */
  pause: PauseSchema.prefault({}),
  /**
   * What an experiment's verdict is on: the business metric of `metrics` named `decideOn`, and the chance of
   * a wrong winner; null for every other strategy.
   */
  experiment: z
    .strictObject({ decideOn: z.string().min(1), alpha: z.number().gt(0).lt(0.5) })
    .nullable()
    .default(null),
  /** The blue-green smoke test hook, or null. */
  smokeTest: z
    .strictObject({ function: z.string().min(1), timeoutSeconds: z.number().int().min(1) })
    .nullable(),
  /**
   * Set by a parent execution (the pipeline) for the console to link this execution to it; ignored here.
   */
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.string().optional(),
  timing: z.strictObject({
    /** Seconds between checks of a rollout. */
    deployCheckSeconds: z.number().int().min(1),
    /** Checks before a rollout that never becomes stable counts as failed. */
    deployMaxChecks: z.number().int().min(1),
    /** Seconds between looks at a traffic shift that takes effect later (an AppConfig deployment). */
    shiftCheckSeconds: z.number().int().min(1).default(5),
  }),
});

export type DeploymentRequest = z.output<typeof DeploymentRequestSchema>;

export class DeploymentRequestInvalidError extends GlidepathError {
  override readonly name = ErrorNames.DeploymentRequestInvalid;
}

export const defaultTiming = { deployCheckSeconds: 15, deployMaxChecks: 80, shiftCheckSeconds: 5 } as const;

/** Resolves a deployment of one environment into the input of its strategy execution. */
export function deploymentRequest(input: {
  readonly service: ServiceConfig;
  readonly environment: EnvironmentConfig;
  /** The region wave this deployment is: its account, region and target (`resolveWaves`). */
  readonly wave: ResolvedWave;
  readonly deployment: Pick<Deployment, "id" | "artifact">;
  readonly timing?: DeploymentRequest["timing"];
}): DeploymentRequest {
  const { service, environment, deployment, wave } = input;
  const strategy = environment.strategy;
  const fleetSize = "desiredCount" in wave.target ? wave.target.desiredCount : undefined;
  const resolved = plan(strategy, {
    ...(fleetSize === undefined ? {} : { fleetSize }),
    watchSeconds: environment.watchSeconds,
  });
  // The state machine smoke-tests the idle colour before its phase loop, so the plan's 0% smoke-test phase,
  // which would only shift nothing, is left out of the execution.
  const phases = resolved.phases
    .filter((phase) => !(phase.weight === 0 && phase.gates.includes("smoke-test")))
    .map((phase) => ({ ...phase, gates: [...phase.gates] }));
  const smokeTestName = strategy.type === "blue-green" ? strategy.smokeTest : undefined;
  const smokeHook = environment.hooks.smokeTest.find((hook) => hook.name === smokeTestName);
  return {
    deploymentId: deployment.id,
    service: service.name,
    environment: environment.name,
    artifact: { ...deployment.artifact },
    strategy: strategy.type,
    account: wave.account,
    region: wave.region,
    target: waveTarget(strategy, wave.target),
    plan: {
      phases,
      phaseCount: phases.length,
      totalSeconds: resolved.totalSeconds,
      retireAfterSeconds: resolved.retireAfterSeconds,
    },
    alarms: environment.alarms.map((alarm) => alarm.name),
    pauseAlarms: environment.alarms.filter((alarm) => alarm.onFail === "pause").map((alarm) => alarm.name),
    alarmDefinitions: environment.alarms.flatMap((alarm) =>
      alarm.kind === "definition" ? [{ ...alarm }] : [],
    ),
    approvers: [...environment.approval.approvers],
    analysis: environment.analysis,
    metrics: environment.metrics.map((metric) => ({ ...metric, dimensions: { ...metric.dimensions } })),
    targetHealth: environment.targetHealth === undefined ? null : { ...environment.targetHealth },
    pause: { ...environment.pause },
    experiment:
      strategy.type === "experiment" ? { decideOn: strategy.decideOn, alpha: strategy.alpha } : null,
    smokeTest:
      smokeHook === undefined
        ? null
        : { function: smokeHook.function, timeoutSeconds: smokeHook.timeoutSeconds },
    timing: input.timing ?? { ...defaultTiming },
  };
}

/** Checks an execution input at the start of the execution, so a bad request fails before anything is deployed. */
export function parseDeploymentRequest(input: unknown): DeploymentRequest {
  const result = DeploymentRequestSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`,
    );
    throw new DeploymentRequestInvalidError(`the execution input is invalid: ${problems.join("; ")}`);
  }
  const request = result.data;
  if (request.plan.phaseCount !== request.plan.phases.length) {
    throw new DeploymentRequestInvalidError(
      `plan.phaseCount is ${request.plan.phaseCount} but the plan has ${request.plan.phases.length} phases`,
    );
  }
  return request;
}
