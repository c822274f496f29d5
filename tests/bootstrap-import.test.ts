import { planSteps } from "../tools/engine/diff";
import { Recording } from "../tools/engine/recording";
import { runStack, stackConfig, withKeys } from "./harness";

/**
 * The README's recovery for a bootstrap that state lost: `pulumi import` of the Bootstrap resource
 * records it with no inputs (the provider's import keeps only the id). The next `pulumi up` must
 * write the program's inputs into state (an update, which for Bootstrap only writes state); if
 * they were ignored, state would keep no node and no client configuration, and the next refresh
 * or update fails the provider's check.
 */
test("after `pulumi import` of the bootstrap, the next up fills in its inputs", async () => {
    const ev = await runStack("infra");
    const bootstrap = ev.recording.find("infra-bootstrap");
    const imported = new Recording();
    imported.add({ ...bootstrap, inputs: {}, rawInputs: {}, ignoreChanges: [] });
    const after = new Recording();
    after.add(bootstrap);
    expect(planSteps(imported, after)[bootstrap.urn]).toBe("update");
});

test("platform:talos.adoptBootstrap records the bootstrap of a running cluster (import) for one run, without comparing the inputs an import lacks", async () => {
    const base = stackConfig("infra");
    const talos = JSON.parse(base.values["platform:talos"]);
    const ev = await runStack("infra", { config: withKeys(base, { "platform:talos": { ...talos, adoptBootstrap: true } }) });
    const bootstrap = ev.recording.find("infra-bootstrap");
    expect(bootstrap.importId).toBe("machine_bootstrap");
    expect(bootstrap.ignoreChanges).toEqual(["node", "endpoint", "clientConfiguration", "timeouts"]);
    const normal = (await runStack("infra")).recording.find("infra-bootstrap");
    expect([normal.importId, normal.ignoreChanges]).toEqual([undefined, []]);
});
