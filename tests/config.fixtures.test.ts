import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError } from "../model";
import { parseStackConfig } from "../stacks/config/parse";
import { Recording } from "../tools/engine/recording";
import { evaluate } from "../tools/engine/engine";
import { offlineNetwork } from "../tools/engine/network";
import { main } from "../stacks";
import { FIXTURES, fixtures } from "./fixtures";
import { PROJECT, stackConfig, withKeys } from "./harness";

const ctx = (stack: string) => ({ stack, project: PROJECT, organization: "organization" });

/**
 * A fixture may carry patch files (`patches:` maps a path under talos/ to its text): they are
 * written to a fresh talos/ folder and checked with the stack config, in the same run.
 */
function parseFixture(kind: "valid" | "invalid", name: string, config: Parameters<typeof parseStackConfig>[0]) {
    const doc = YAML.parse(fs.readFileSync(path.join(FIXTURES, kind, `${name}.yaml`), "utf8")) as { patches?: Record<string, string> };
    if (doc.patches === undefined) return parseStackConfig(config, ctx("fixture"));
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fixture-")), "talos");
    try {
        for (const [rel, text] of Object.entries(doc.patches)) {
            fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
            fs.writeFileSync(path.join(root, rel), text);
        }
        return parseStackConfig(config, ctx("fixture"), {}, { patchRoot: root });
    } finally {
        fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
}

describe("valid stack configurations", () => {
    test.each(["infra", "apps"])("the committed Pulumi.%s.yaml parses", (stack) => {
        const { platform } = parseStackConfig(stackConfig(stack), ctx(stack));
        expect(platform.cluster.name).toBe(stack);
    });

    test.each(fixtures("valid").map((f) => [f.name, f] as const))("fixture %s parses", (_name, fixture) => {
        expect(() => parseFixture("valid", fixture.name, fixture.config)).not.toThrow();
    });

    test("dotfiles under talos/ are skipped, not refused, and the patch next to them applies", () => {
        const fixture = fixtures("valid").find((f) => f.name === "patch-dotfiles")!;
        const { userPatches } = parseFixture("valid", fixture.name, fixture.config);
        expect(userPatches).toEqual({ all: [expect.stringContaining("max_user_watches")], controlplane: [], worker: [], nodes: {} });
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
            parseFixture("invalid", fixture.name, fixture.config);
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
});

test("a configuration error stops the program before any resource or invoke is registered", async () => {
    const recording = new Recording();
    const config = withKeys(stackConfig("infra"), { "platform:cluster": { name: "infra", id: 0, apiHost: "infra-k8s.monosense.io" } });
    await expect(evaluate(main, { project: PROJECT, stack: "infra", config, recording, network: offlineNetwork })).rejects.toBeInstanceOf(ConfigError);
    expect({ resources: recording.resources, invokes: recording.invokes }).toEqual({ resources: [], invokes: [] });
});
