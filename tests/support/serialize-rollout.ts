/**
 * Run with plain Node (ts-node, transpile only), NOT under jest: constructs a Rollout resource under
 * Pulumi mocks and prints the `__provider` code the SDK serialized for it: what the engine stores
 * in state and the dynamic-provider host later loads.
 */
import * as pulumi from "@pulumi/pulumi";

let provider = "";
void pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            if (typeof a.inputs.__provider === "string") provider = a.inputs.__provider;
            return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
    },
    "platform",
    "serialize",
    false,
);

void (async () => {
    const { Rollout } = await import("../../components/rollout");
    const timeouts = { health: "1m", drain: "1m", node: "1m", kubernetes: "1m", stability: "1s", command: "1m", poll: "1s" };
    const r = new Rollout("r", { desired: { cluster: "c", talos: { version: "v1.11.6", schematic: "s", image: "i" }, kubernetes: "1.34.1", nodes: [] }, configs: {}, talosconfig: "unused", policy: { maxParallelWorkers: 1, resetOnDestroy: false, snapshotDir: "snapshots", timeouts } });
    await new Promise((resolve) => pulumi.all([r.urn, r.id]).apply(resolve));
    process.stdout.write(JSON.stringify({ provider }));
})();
