import * as inspector from "inspector";
import * as pulumi from "@pulumi/pulumi";
import { disconnectInspectorSessions, openInspectorSessions } from "./support/inspector-sessions";

/**
 * Pulumi's function serialization (every dynamic provider: the readiness gates, the rollout)
 * opens an inspector session and never closes it; under jest each test file has its own copy of
 * the SDK, so each file that evaluates the program would leave one connected session behind in the
 * worker. The setup file (jest.config.js) tracks the sessions a file opens and disconnects them
 * when the file ends. These tests run in that setting.
 */

test("the session Pulumi's function serialization opens is tracked for this file", async () => {
    await pulumi.runtime.serializeFunction(() => 42);
    expect(openInspectorSessions()).toBeGreaterThanOrEqual(1);
});

test("disconnecting closes every tracked session (what happens after each test file)", async () => {
    const session = new inspector.Session();
    session.connect();
    const before = openInspectorSessions();
    expect(before).toBeGreaterThanOrEqual(2);
    disconnectInspectorSessions();
    expect(openInspectorSessions()).toBe(0);
    expect(() => session.post("Runtime.evaluate", { expression: "1" })).toThrow(/not connected/i);
});
