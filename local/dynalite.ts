import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../functions/adapters/aws/dynamodb-table.ts";

interface DynaliteOptions {
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}

// dynalite ships no type declarations; loading it through require keeps its type in this one place. Loaded
// when a table starts, not when the module is imported: every CLI command imports it, few start a table.
const dynalite = (options: DynaliteOptions): Server =>
  (createRequire(import.meta.url)("dynalite") as (options: DynaliteOptions) => Server)(options);

export interface LocalTable {
  /** Document client pointed at the local table, as the adapters receive it. */
  readonly client: DynamoDBDocumentClient;
  /** Low-level client, for assertions on items exactly as stored. */
  readonly rawClient: DynamoDBClient;
  readonly tableName: string;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts an in-memory dynalite on a free loopback port and creates `table` in it. */
export async function startDynalite(table: CreateTableCommandInput): Promise<LocalTable> {
  const tableName = table.TableName;
  if (tableName === undefined) throw new Error("the table definition has no TableName");
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // Requests dynalite is still answering: its store closes with the server, and a query it is still running
  // then throws where nothing can catch it (a reader in another process, `status --watch`, may be mid-read).
  let inFlight = 0;
  server.on("request", (_request: unknown, response: { once(event: string, listener: () => void): void }) => {
    inFlight += 1;
    response.once("close", () => {
      inFlight -= 1;
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const config = {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const rawClient = new DynamoDBClient(config);
  const client = createDocumentClient(config);
  await rawClient.send(new CreateTableCommand(table));
  return {
    client,
    rawClient,
    tableName,
    endpoint,
    async close() {
      client.destroy();
      rawClient.destroy();
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      // No new connections; the requests being answered are let finish (for at most 2 s).
      server.closeIdleConnections();
      const deadline = Date.now() + 2000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      // The SDK keeps connections alive; without this, close waits for them to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}
