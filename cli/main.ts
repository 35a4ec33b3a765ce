#!/usr/bin/env node
import { existsSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ConfigInvalidError } from "../functions/domain/config/index.ts";
import { PlanInvalidError } from "../functions/domain/planner.ts";
import { ReleaseInvalidError } from "../functions/domain/release/manifest.ts";
import { savedTableFile } from "../local/saved-table.ts";
import { awsDecisionDependencies, decideCommand, localDecisionDependencies } from "./commands/decide.ts";
import { demoCommand } from "./commands/demo.ts";
import { awsDeployDependencies, deployCommand, localDeployDependencies } from "./commands/deploy.ts";
import { historyCommand } from "./commands/history.ts";
import { planCommand } from "./commands/plan.ts";
import { releaseClient, releaseCommand } from "./commands/release.ts";
import { reportCommand } from "./commands/report.ts";
import { awsRollbackDependencies, localRollbackDependencies, rollbackCommand } from "./commands/rollback.ts";
import { statsCommand } from "./commands/stats.ts";
import { awsStatusDependencies, localStatusDependencies, statusCommand } from "./commands/status.ts";
import { validateCommand } from "./commands/validate.ts";
import { readLocalRun } from "./local-run.ts";
import { RefusedError } from "./refused-error.ts";
import { awsStateTable } from "./state-table.ts";
import { UsageError } from "./usage-error.ts";

const EXIT_BAD_INPUT = 2;
const print = (line: string) => console.log(line);

const program = new Command("glidepath")
  .description(
    "Progressive delivery on AWS: Step Functions strategies, ALB weight shifts, CloudWatch guard rails.",
  )
  .showHelpAfterError("(run `glidepath --help` for usage)")
  .exitOverride();

program
  .command("plan")
  .description("show the phases, weights and bakes of a strategy")
  .option("--preset <name>", "a named preset, e.g. ECSCanary10Percent5Minutes")
  .option("--config <file>", "a config file (.json, .ts, .js)")
  .option("--service <name>", "the service whose environment to plan (with --config)")
  .option("--env <name>", "the environment to plan (with --config)")
  .option(
    "--release <manifest>",
    "plan a release manifest (with --config): its locks, gates and service order",
  )
  .option("--json", "print the plan as JSON on the last line")
  .action((options) => planCommand(options, print));

program
  .command("validate")
  .description("check a config file; exits 2 listing every problem")
  .requiredOption("--config <file>", "a config file (.json, .ts, .js)")
  .action((options) => validateCommand(options, print));

program
  .command("demo")
  .description(
    "deploy the sample service on this machine with the real state machines (what `npm start` runs)",
  )
  .option(
    "--scenario <name>",
    "good, bad (5% errors), slow (p95 doubled), conversion-drop (30% fewer conversions) or flaky-deploy (never healthy)",
    "good",
  )
  .option("--speed <factor>", "run bakes and alarm periods this many times faster", "5")
  .option("--rps <n>", "requests per second sent through each environment's router", "100")
  .option(
    "--env <name>",
    "deploy only this environment (default: promote through every environment in order)",
  )
  .option("--config <file>", "the config file", "examples/glidepath.config.ts")
  .option("--service <name>", "the service to deploy (its target must be local)", "sample")
  .option("--json", "print the summary as JSON on the last line")
  .option("--auto-approve", "approve every approval gate as the local operator (unattended runs)")
  .option("--pushes <n>", "publish this many versions a second apart (the queue and supersede policies)", "1")
  .option("--concurrency <policy>", "override the service's concurrency: queue or supersede")
  .option(
    "--strategy <type>",
    "walk every environment with this strategy instead: feature-flag or experiment",
  )
  .option(
    "--release",
    "release the service together with the services it depends on (dependsOn), in dependency order; --scenario applies to the service",
  )
  .action((options) => demoCommand(options, print));

program
  .command("release")
  .description(
    "publish a release of several services: checks the manifest against the config, then puts ReleasePublished on the bus",
  )
  .requiredOption(
    "--manifest <file>",
    "the release manifest (JSON: { name?, services: { <service>: artifact } })",
  )
  .requiredOption("--config <file>", "the config file the control plane was deployed with")
  .option("--bus <name>", "the Glidepath event bus", "glidepath")
  .action((options) => releaseCommand(options, releaseClient(), print));

program
  .command("deploy")
  .description(
    "start a promotion of an artifact by hand, as an artifact event would: the same digest again starts nothing new",
  )
  .requiredOption("--service <name>", "the service to deploy")
  .requiredOption("--artifact <uri@digest>", "the artifact, e.g. …/shop/checkout:1.4.1@sha256:<64 hex>")
  .option(
    "--version <label>",
    "the version humans see (default: the uri's tag, else the digest's first 12 digits)",
  )
  .option("--env <name>", "start the promotion at this environment, leaving out the ones before it")
  .requiredOption("--config <file>", "the config file the control plane was deployed with")
  .option("--bus <name>", "the Glidepath event bus", "glidepath")
  .option("--aws", "send to AWS even while a local deployment runs here")
  .action((options) =>
    deployCommand(
      options,
      (options.aws ? undefined : localDeployDependencies()) ?? awsDeployDependencies(),
      print,
    ),
  );

program
  .command("rollback")
  .description(
    "put an environment back on a good artifact it ran before, all at once, as a deployment of its own (alarms still watched)",
  )
  .requiredOption("--service <name>", "the service")
  .requiredOption("--env <name>", "the environment")
  .option(
    "--to <version>",
    "the version to go back to (default: the newest SUCCEEDED one before the live one)",
  )
  .option("--reason <text>", "why, for the decision log")
  .requiredOption("--config <file>", "the config file the control plane was deployed with")
  .option("--bus <name>", "the Glidepath event bus", "glidepath")
  .option("--table <name>", "the state table (default: $GLIDEPATH_TABLE; the stack output TableName)")
  .option("--aws", "roll back on AWS even where a local run left its table")
  .action((options) => rollbackCommand(options, rollbackDependencies(options), print));

program
  .command("history")
  .description(
    "list a service's deployments in an environment, its promotions, or the releases, newest first, one page at a time",
  )
  .option("--service <name>", "the service (with --env or --promotions)")
  .option("--env <name>", "the environment whose deployments to list")
  .option("--promotions", "list the service's promotions (every environment) instead")
  .option("--releases", "list the releases (every service) instead")
  .option("--limit <n>", "rows per page", "20")
  .option("--cursor <cursor>", "the cursor printed with the previous page")
  .option("--table <name>", "the state table (default: $GLIDEPATH_TABLE; the stack output TableName)")
  .option("--json", "print { items, nextCursor } as JSON on the last line")
  .action((options) => historyCommand(options, awsStateTable(), print));

program
  .command("status <id>")
  .description(
    "where a promotion (p-…) or a deployment (d-…) stands: environments, waves, the current phase, the last verdict and the open gate with the commands that decide it",
  )
  .option("--watch", "read again until it ends; exits 0 when it succeeded, 1 otherwise")
  .option("--json", "print the view as JSON (with --watch, again whenever it changes)")
  .option("--interval <seconds>", "seconds between reads with --watch", "2")
  .option("--table <name>", "the state table (default: $GLIDEPATH_TABLE; the stack output TableName)")
  .option("--aws", "read the AWS table even while a local deployment runs here")
  .action(async (id: string, options) => {
    const local = options.aws || options.table !== undefined ? undefined : localStatusDependencies();
    process.exitCode = await statusCommand(id, options, local ?? awsStatusDependencies(), print);
  });

program
  .command("report <id>")
  .description(
    "a report of a promotion (p-…) or a deployment (d-…) for incident reviews and change tickets: outcome, exposure, timeline, every decision with its values, charts",
  )
  .option("--format <format>", "md (Markdown) or html (one self-contained page with charts)", "md")
  .option("--out <file>", "write the report to this file and print its path, instead of printing it")
  .option("--table <name>", "the state table (default: $GLIDEPATH_TABLE; the stack output TableName)")
  .action(async (id: string, options) => {
    const local = options.table !== undefined ? undefined : localStatusDependencies();
    process.exitCode = await reportCommand(id, options, local ?? awsStatusDependencies(), print);
  });

program
  .command("stats")
  .description("DORA metrics of a service in an environment over the last days")
  .requiredOption("--service <name>", "the service")
  .option("--env <name>", "the environment", "production")
  .option("--days <n>", "the window, ending now, in days", "30")
  .option("--table <name>", "the state table (default: $GLIDEPATH_TABLE; the stack output TableName)")
  .option("--json", "print the metrics as JSON on the last line")
  .action((options) => statsCommand(options, awsStateTable(), print));

for (const [action, description] of [
  ["approve", "approve the open approval gate of a deployment"],
  ["reject", "reject the open approval gate (the deployment rolls back)"],
  ["promote", "skip the rest of the current bake"],
  ["pause", "hold the deployment at its current weight until resume or abort"],
  ["resume", "resume a paused deployment"],
  ["abort", "abort the deployment (it rolls back)"],
] as const) {
  program
    .command(`${action} <deployment-id>`)
    .description(description)
    .option("--reason <text>", "why, for the decision log")
    .option("--gate <gate-id>", "act only if this gate is the open one")
    .option("--bus <name>", "the Glidepath event bus", "glidepath")
    .option("--aws", "decide on AWS even while a local deployment runs here")
    .action((deploymentId: string, options) => {
      const local = options.aws ? undefined : localDecisionDependencies();
      return decideCommand(
        action,
        deploymentId,
        options,
        local ?? awsDecisionDependencies(options.bus),
        print,
      );
    });
}

/**
 * Where a rollback happens: on AWS when a table is named (or --aws); after `npm start`, on this machine, from
 * what it left; never under a local run that still runs (its promotion holds the lock).
 */
function rollbackDependencies(options: { table?: string; aws?: boolean }) {
  const aws = options.aws || options.table !== undefined || (process.env.GLIDEPATH_TABLE ?? "") !== "";
  if (aws || !existsSync(savedTableFile)) return awsRollbackDependencies(awsStateTable().stores);
  if (readLocalRun() !== undefined) {
    throw new RefusedError(
      "a local deployment runs here (npm start): roll back once it has ended, from what it leaves (or pass --aws)",
    );
  }
  return localRollbackDependencies(print);
}

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  if (
    error instanceof ConfigInvalidError ||
    error instanceof UsageError ||
    error instanceof PlanInvalidError ||
    error instanceof ReleaseInvalidError
  ) {
    console.error(`error: ${error.message}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof RefusedError) {
    console.error(`error: ${error.message}`);
    return 1;
  }
  console.error(error);
  return 1;
}
