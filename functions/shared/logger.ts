import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One logger per execution environment, created at module scope so its cold-start cost is paid once. The log
 * level comes from `POWERTOOLS_LOG_LEVEL`, which the function construct sets.
 */
export const logger = new Logger({ serviceName: "glidepath" });
