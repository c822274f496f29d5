import { ConfigError } from "../model";
import { parseStackConfig } from "../stacks/config/parse";
import { Recording } from "../tools/engine/recording";
import { evaluate } from "../tools/engine/engine";
import { main } from "../stacks";
import { fixtures } from "./fixtures";
import { PROJECT, stackConfig } from "./harness";

const ctx = (stack: string) => ({ stack, project: PROJECT, organization: "organization" });

describe("valid stack configurations", () => {
    test.each(["infra", "apps"])("the committed Pulumi.%s.yaml parses", (stack) => {
        const { platform } = parseStackConfig(stackConfig(stack), ctx(stack));
        expect(platform.cluster.name).toBe(stack);
    });

    test.each(fixtures("valid").map((f) => [f.name, f] as const))("fixture %s parses", (_name, fixture) => {
        expect(() => parseStackConfig(fixture.config, ctx(fixture.name))).not.toThrow();
    });
});

describe("invalid stack configurations", () => {
    const invalid = fixtures("invalid");

    test("there is one fixture per failure mode, at least 30", () => {
        expect(invalid.length).toBeGreaterThanOrEqual(30);
        for (const f of invalid) expect(f.expect.length).toBeGreaterThan(0);
    });

    test.each(invalid.map((f) => [f.name, f] as const))("%s is rejected with its message", (_name, fixture) => {
        let error: unknown;
        try {
            parseStackConfig(fixture.config, ctx("fixture"));
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const { message, problems } = error as ConfigError;
        for (const line of fixture.expect) expect(message).toContain(line);
        // One failure mode per fixture: exactly the expected problems, nothing else.
        expect(problems).toHaveLength(fixture.expect.filter((e) => !e.startsWith("(")).length);
        // Values set with --secret (placeholders here) never appear in a message.
        expect(message).not.toContain("FAKE-SECRET(");
    });

    test.each(invalid.map((f) => [f.name, f] as const))("%s stops the program before any resource is registered", async (_name, fixture) => {
        const recording = new Recording();
        await expect(evaluate(main, { project: PROJECT, stack: "fixture", config: fixture.config, recording })).rejects.toBeInstanceOf(ConfigError);
        expect(recording.resources).toEqual([]);
        expect(recording.invokes).toEqual([]);
    });
});
