import { describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { targetPlaces } from "../../infra/target-places.ts";
import { errorRateAlarm } from "../helpers/config-fixtures.ts";
import { ecsServices, listenerArn, targetGroups } from "../helpers/fake-aws.ts";

describe("targetPlaces", () => {
  it("watches only the alarms that roll back; every defined one is put, whatever its onFail", () => {
    // Prepare
    const config = parseConfig({
      services: [
        {
          name: "checkout",
          artifact: { type: "ecr", repository: "shop/checkout" },
          target: { type: "ecs", cluster: "shop", services: ecsServices, listenerArn, targetGroups },
          environments: [
            {
              name: "production",
              account: "111122223333",
              region: "eu-west-1",
              strategy: "ECSCanary10Percent5Minutes",
              alarms: [
                { name: "checkout-5xx" },
                { name: "checkout-p99", onFail: "pause" },
                errorRateAlarm("checkout-error-rate"),
                { ...errorRateAlarm("checkout-error-rate-soft"), onFail: "pause" },
              ],
            },
          ],
        },
      ],
    });

    // Act
    const [place] = targetPlaces(config);

    // Assess
    expect(place).toMatchObject({
      watchedAlarms: ["checkout-5xx", "checkout-error-rate"],
      definedAlarms: ["checkout-error-rate", "checkout-error-rate-soft"],
    });
  });
});
