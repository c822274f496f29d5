import type { Evaluation } from "../tools/engine/engine";
import { asStackOutputs, runStack } from "./harness";

/** Whole-stack evaluations of the committed stack files, end to end. */

const INFRA = "organization/platform/infra";

/** infra, then apps reading that very infra evaluation, as `pulumi up -s infra` then `-s apps`. */
async function bothStacks(): Promise<Record<"infra" | "apps", Evaluation>> {
    const infra = await runStack("infra");
    const apps = await runStack("apps", { stackReferences: { [INFRA]: asStackOutputs(infra) } });
    return { infra, apps };
}

let first: Record<"infra" | "apps", Evaluation>;
beforeAll(async () => {
    first = await bothStacks();
});

describe.each([
    ["infra", ["platform:index:MeshCa"]],
    ["apps", []],
] as const)("stack %s", (stack, own) => {
    test("evaluates end to end without engine violations, every resource inside a component but the shared 1Password provider", () => {
        const ev = first[stack];
        const roots = ev.recording.resources.filter((r) => r.parent === undefined && !r.read);
        // Sorted: independent registrations reach the engine in whatever order their inputs resolve.
        expect(roots.map((r) => r.type).sort()).toEqual(
            [
                "platform:index:TalosCluster",
                "platform:index:SecretsBackup",
                "pulumi:providers:onepassword",
                ...own,
                "platform:index:ClusterCrds",
                "platform:index:Cilium",
                "platform:index:CoreAddons",
                "platform:index:OnePasswordBootstrap",
                "platform:index:FluxHandoff",
            ].sort(),
        );
        for (const [name, output] of Object.entries(ev.outputs)) expect({ name, known: output.value !== undefined }).toEqual({ name, known: true });
    });
});

test("evaluating both stacks again records exactly the same registrations, invokes and outputs (the program adds no diff of its own)", async () => {
    const again = await bothStacks();
    // By URN: the engine receives independent registrations in whatever order their inputs
    // resolve (a dynamic provider's serialization takes longer on the first run), which is no diff.
    const byUrn = <T extends { urn: string }>(items: readonly T[]) => [...items].sort((a, b) => a.urn.localeCompare(b.urn));
    const whole = (ev: Evaluation) => ({ resources: byUrn(ev.recording.resources), invokes: ev.recording.invokes, outputs: ev.outputs });
    expect(whole(again.infra)).toStrictEqual(whole(first.infra));
    expect(whole(again.apps)).toStrictEqual(whole(first.apps));
});
