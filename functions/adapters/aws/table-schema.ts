/**
 * The single-table key schema, shared by the CDK table construct and the DynamoDB state store so the two
 * cannot drift. The local runtime reads the same schema back out of the synthesized template.
 */
export const TableSchema = {
  partitionKey: "pk",
  sortKey: "sk",
  historyIndex: { name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
  timeToLiveAttribute: "expiresAt",
} as const;
