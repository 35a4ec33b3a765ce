/**
 * Shared by the AWS adapter tests: registers aws-sdk-client-mock-vitest's matchers (`toHaveReceivedCommandWith`…)
 * on vitest's `expect` when imported, and builds errors shaped like the SDK's.
 */
import "aws-sdk-client-mock-vitest/extend";

interface ServiceExceptionOptions {
  readonly name: string;
  readonly $fault: "client" | "server";
  readonly $metadata: {
    readonly httpStatusCode?: number;
    readonly requestId?: string;
    readonly attempts?: number;
  };
  readonly message?: string;
}

/** A client's ServiceException base class, e.g. `ECSServiceException`. */
export type ServiceExceptionClass = new (options: ServiceExceptionOptions) => Error;

/** An error as the SDK throws it for a service error response that has no modeled class of its own. */
export function serviceError(
  Exception: ServiceExceptionClass,
  name: string,
  httpStatusCode: number,
  message = `${name} from the service`,
): Error {
  return new Exception({
    name,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode, requestId: "c4b7a0f1-6a53-4d53-9d0a-2f5f0f6a8e11", attempts: 1 },
    message,
  });
}
