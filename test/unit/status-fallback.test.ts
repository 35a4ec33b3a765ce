import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { withFallback } from "../../cli/commands/status.ts";
import type { StatusStores } from "../../cli/status/snapshot.ts";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { createDocumentClient } from "../../functions/adapters/aws/dynamodb-table.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A TCP server that treats each connection as `behave` says: the ways a closing local table answers. */
async function tableServer(behave: "reset" | "hang up"): Promise<string> {
  const server = createServer((socket) => {
    socket.once("data", () => (behave === "reset" ? socket.resetAndDestroy() : socket.end()));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

/** A closed port: listened on, then closed, so connecting is refused. */
async function closedEndpoint(): Promise<string> {
  const endpoint = await tableServer("reset");
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
  return endpoint;
}

function runningStores(endpoint: string): StatusStores {
  return dynamoDbStores({
    client: createDocumentClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    }),
    tableName: "glidepath-local",
  });
}

const saved = { id: "p-0123456789abcdef0123" } as Promotion;

/** What the run left: answers every read of the promotion with `saved`, counting the reads. */
function leftBehind(): { stores: StatusStores; reads: () => number } {
  let reads = 0;
  const none = async () => undefined;
  return {
    reads: () => reads,
    stores: {
      promotions: {
        get: async () => {
          reads += 1;
          return saved;
        },
      },
      deployments: { get: none },
      gates: { getOpen: none },
      decisions: { list: async () => [] },
    },
  };
}

describe("status reads what the local run left once the run's table goes away", () => {
  it.each([
    ["resets the connection during a read", () => tableServer("reset")],
    ["closes the connection during a read", () => tableServer("hang up")],
    ["refuses the connection", closedEndpoint],
  ])("falls back to the saved table when the running table %s", async (_, endpoint) => {
    // Prepare
    const left = leftBehind();
    const stores = withFallback(runningStores(await endpoint()), () => left.stores);

    // Act
    const first = await stores.promotions.get(saved.id);
    const second = await stores.promotions.get(saved.id);

    // Assess
    expect(first).toEqual(saved);
    expect(second).toEqual(saved);
    expect(left.reads()).toBe(2);
  });

  it("passes on an error of the running table that is not a lost connection, without reading the saved one", async () => {
    // Prepare: the server answers with no HTTP at all, which the SDK reports as a parse failure, not a lost link.
    const left = leftBehind();
    const server = createServer((socket) => socket.once("data", () => socket.end("not http\r\n\r\n")));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const stores = withFallback(runningStores(`http://127.0.0.1:${address.port}`), () => left.stores);

    // Act
    const read = stores.promotions.get(saved.id);

    // Assess
    await expect(read).rejects.toThrow();
    expect(left.reads()).toBe(0);
  });
});
