import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { CliEventSource } from "../functions/domain/triggers.ts";

/**
 * Puts one event from the CLI (source `glidepath.cli`) on the Glidepath bus; throws with the bus's reason
 * when it refuses the entry (PutEvents answers 200 with a failed entry, it does not throw).
 */
export async function putCliEvent(
  client: EventBridgeClient,
  bus: string,
  detailType: string,
  detail: unknown,
): Promise<void> {
  const { FailedEntryCount, Entries } = await client.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: bus, Source: CliEventSource, DetailType: detailType, Detail: JSON.stringify(detail) },
      ],
    }),
  );
  if ((FailedEntryCount ?? 0) > 0) {
    const entry = Entries?.[0];
    throw new Error(
      `the ${bus} bus refused the ${detailType} event: ${entry?.ErrorCode ?? "unknown error"} ${entry?.ErrorMessage ?? ""}`.trim(),
    );
  }
}
