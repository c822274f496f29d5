import { runStack } from "./harness";

/** Whole-stack evaluations of the committed stack files, end to end. */

describe.each([
    ["infra", ["platform:index:MeshCa"]],
    ["apps", []],
])("stack %s", (stack, own) => {
    test("evaluates end to end without engine violations, every resource inside a component", async () => {
        const ev = await runStack(stack);
        const roots = ev.recording.resources.filter((r) => r.parent === undefined && !r.read);
        expect(roots.map((r) => r.type)).toEqual([
            "platform:index:TalosCluster",
            ...own,
            "platform:index:ClusterCrds",
            "platform:index:Cilium",
            "platform:index:CoreAddons",
            "platform:index:OnePasswordBootstrap",
            "platform:index:FluxHandoff",
        ]);
        for (const [name, output] of Object.entries(ev.outputs)) expect({ name, known: output.value !== undefined }).toEqual({ name, known: true });
    });
});
