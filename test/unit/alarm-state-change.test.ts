import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import { describe, expect, it } from "vitest";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import {
  type AlarmStateChange,
  AlarmStateChangeDetailType,
  AlarmStateChangeSchema,
  AlarmStateChangeSource,
} from "../../functions/domain/alarm-state-change.ts";
import alarmEvent from "../fixtures/events/alarm-state-change.json" with { type: "json" };

describe("AlarmStateChangeSchema", () => {
  it("reads the alarm and both states of CloudWatch's real event, under its source and detail-type", () => {
    // Act
    const envelope = EventBridgeSchema.parse(alarmEvent);
    const detail = AlarmStateChangeSchema.parse(envelope.detail);

    // Assess
    expect([envelope.source, envelope["detail-type"]]).toEqual([
      AlarmStateChangeSource,
      AlarmStateChangeDetailType,
    ]);
    expect(detail).toStrictEqual({
      alarmName: "checkout-5xx",
      state: {
        value: "ALARM",
        reason: alarmEvent.detail.state.reason,
        timestamp: "2026-11-26T14:04:40.989+0000",
      },
      previousState: {
        value: "OK",
        reason: alarmEvent.detail.previousState.reason,
        timestamp: "2026-11-26T14:00:40.987+0000",
      },
    });
  });
});

describe("LocalBus.putAlarmChange", () => {
  it("delivers the change in the envelope CloudWatch's real event has", async () => {
    // Prepare
    const delivered: unknown[] = [];
    const bus = new LocalBus({
      account: alarmEvent.account,
      region: alarmEvent.region,
      clock: () => new Date(alarmEvent.time),
      deliver: async (event) => delivered.push(event),
    });
    const change: AlarmStateChange = AlarmStateChangeSchema.parse(alarmEvent.detail);

    // Act
    await bus.putAlarmChange(change);

    // Assess
    const event = EventBridgeSchema.parse(delivered[0]);
    expect(Object.keys(event).sort()).toEqual(Object.keys(alarmEvent).sort());
    expect({ ...event, id: alarmEvent.id, time: alarmEvent.time }).toStrictEqual({
      ...alarmEvent,
      time: alarmEvent.time,
      detail: change,
    });
  });
});
