import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { matchArtifact } from "../../functions/domain/triggers.ts";

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), "utf8"));
}

const environment = (name: string) => ({
  name,
  account: "123456789012",
  region: "us-west-2",
  strategy: "ECSAllAtOnce",
});

const config = parseConfig({
  services: [
    {
      name: "web",
      artifact: { type: "ecr", repository: "my-repository-name" },
      target: { type: "local" },
      environments: [environment("dev"), environment("production")],
    },
    {
      name: "api",
      artifact: { type: "ecr", repository: "team/api", tagPattern: "^v\\d+\\.\\d+\\.\\d+$" },
      target: { type: "local" },
      environments: [environment("staging"), environment("production")],
    },
    {
      name: "billing",
      artifact: { type: "custom", source: "ci.github" },
      target: { type: "local" },
      environments: [environment("qa")],
    },
    {
      name: "ledger",
      artifact: { type: "custom", source: "ci.github" },
      target: { type: "local" },
      environments: [environment("qa")],
    },
  ],
});

const ecrPush = fixture("ecr-image-push.json");
const published = fixture("artifact-published.json");
const ecrDetail = ecrPush.detail as Record<string, unknown>;
const publishedDetail = published.detail as Record<string, unknown>;

describe("matchArtifact: ECR Image Action", () => {
  it("maps the AWS sample push to its service's first environment with the image URI by digest", () => {
    // Act
    const match = matchArtifact(config, ecrPush);

    // Assess
    expect(match).toEqual([
      {
        kind: "deploy",
        service: "web",
        environment: "dev",
        artifact: {
          uri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
          digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
          version: "latest",
        },
        publishedAt: "2019-11-16T01:54:34.000Z",
      },
    ]);
  });

  it.each([
    ["the account and region the repository names", "999988887777", "us-west-2", ["web"]],
    ["another account", "123456789012", "us-west-2", []],
    ["another region", "999988887777", "eu-west-1", []],
  ])("deploys a push from an artifact account only from %s", (_, account, region, expected) => {
    // Prepare
    const inArtifactAccount = parseConfig({
      services: [
        {
          name: "web",
          artifact: {
            type: "ecr",
            repository: "my-repository-name",
            account: "999988887777",
            region: "us-west-2",
          },
          target: { type: "local" },
          environments: [environment("dev")],
        },
      ],
    });

    // Act
    const match = matchArtifact(inArtifactAccount, { ...ecrPush, account, region });

    // Assess
    expect(Array.isArray(match) ? match.map((each) => each.service) : []).toEqual(expected);
  });

  it("deploys a tag that matches the service's tagPattern", () => {
    // Prepare
    const event = {
      ...ecrPush,
      detail: { ...ecrDetail, "repository-name": "team/api", "image-tag": "v1.4.0" },
    };

    // Act
    const match = matchArtifact(config, event);

    // Assess
    expect(match).toMatchObject([{ kind: "deploy", service: "api", environment: "staging" }]);
  });

  it("uses the China partition's registry domain in cn- regions", () => {
    // Act
    const match = matchArtifact(config, { ...ecrPush, region: "cn-north-1" });

    // Assess
    expect(match).toMatchObject([
      { artifact: { uri: expect.stringContaining(".dkr.ecr.cn-north-1.amazonaws.com.cn/") } },
    ]);
  });

  it.each([
    [
      "an unclaimed repository",
      { "repository-name": "someone/else" },
      /no service deploys ECR repository someone\/else/,
    ],
    [
      "a tag outside tagPattern",
      { "repository-name": "team/api", "image-tag": "latest" },
      /tag latest of team\/api matches no tagPattern \(api: \/\^v/,
    ],
    ["an untagged push", { "image-tag": undefined }, /untagged image/],
    ["a failed push", { result: "FAILURE" }, /PUSH FAILURE is not a successful push/],
    ["a delete", { "action-type": "DELETE" }, /DELETE SUCCESS is not a successful push/],
  ])("ignores %s with a reason", (_, change, reason) => {
    // Act
    const match = matchArtifact(config, { ...ecrPush, detail: { ...ecrDetail, ...change } });

    // Assess
    expect(match).toEqual({ kind: "ignored", reason: expect.stringMatching(reason) });
  });

  it.each([
    [
      "a push without its digest",
      { detail: { ...ecrDetail, "image-digest": undefined } },
      /detail\.image-digest/,
    ],
    [
      "a push with a tag as digest",
      { detail: { ...ecrDetail, "image-digest": "latest" } },
      /detail\.image-digest: must be an image digest/,
    ],
    ["an event without account", { account: undefined }, /account/],
    ["a detail that is not an object", { detail: "push" }, /detail: must be an object/],
  ])("calls %s malformed, naming the field", (_, change, reason) => {
    // Act
    const match = matchArtifact(config, { ...ecrPush, ...change });

    // Assess
    expect(match).toEqual({ kind: "malformed", reason: expect.stringMatching(reason) });
  });

  it("calls an event of another kind malformed: the rule should never have routed it", () => {
    // Act
    const match = matchArtifact(config, { ...ecrPush, "detail-type": "ECR Image Scan" });

    // Assess
    expect(match).toEqual({
      kind: "malformed",
      reason: expect.stringMatching(/unexpected event aws\.ecr \/ ECR Image Scan/),
    });
  });
});

describe("matchArtifact: ArtifactPublished", () => {
  it("maps the event to the named service claiming its source", () => {
    // Act
    const match = matchArtifact(config, published);

    // Assess
    expect(match).toEqual([
      {
        kind: "deploy",
        service: "billing",
        environment: "qa",
        artifact: { uri: publishedDetail.uri, digest: publishedDetail.digest, version: "2.3.1" },
        publishedAt: "2026-11-26T14:00:00.000Z",
      },
    ]);
  });

  it("deploys to every service claiming the source when the event names none", () => {
    // Act
    const match = matchArtifact(config, { ...published, detail: { ...publishedDetail, service: undefined } });

    // Assess
    expect(Array.isArray(match) ? match.map((deploy) => deploy.service) : match).toEqual([
      "billing",
      "ledger",
    ]);
  });

  it.each([
    [
      "an unclaimed source",
      { source: "ci.jenkins" },
      /no service takes ArtifactPublished events from ci\.jenkins/,
    ],
    [
      "a service that does not claim the source",
      { detail: { ...publishedDetail, service: "web" } },
      /service web does not take ArtifactPublished events from ci\.github \(billing, ledger do\)/,
    ],
  ])("ignores %s with a reason", (_, change, reason) => {
    // Act
    const match = matchArtifact(config, { ...published, ...change });

    // Assess
    expect(match).toEqual({ kind: "ignored", reason: expect.stringMatching(reason) });
  });

  it.each([
    ["uri", { uri: undefined }, /detail\.uri/],
    ["digest", { digest: "2.3.1" }, /detail\.digest: must be a content digest/],
    ["version", { version: "" }, /detail\.version: must be the artifact's version label/],
  ])("calls a detail with a bad %s malformed", (_, change, reason) => {
    // Act
    const match = matchArtifact(config, { ...published, detail: { ...publishedDetail, ...change } });

    // Assess
    expect(match).toEqual({ kind: "malformed", reason: expect.stringMatching(reason) });
  });
});
