/** Prints the `__provider` code the SDK serializes for a Rollout (see serialize-provider.ts). */
import { printSerializedProvider } from "./serialize-provider";

printSerializedProvider(async () => {
    const { Rollout } = await import("../../components/rollout");
    const timeouts = { health: "1m", drain: "1m", node: "1m", kubernetes: "1m", stability: "1s", command: "1m", poll: "1s" };
    return new Rollout("r", { desired: { cluster: "c", talos: { version: "v1.11.6", schematic: "s", image: "i" }, kubernetes: "1.34.1", nodes: [] }, configs: {}, talosconfig: "unused", policy: { maxParallelWorkers: 1, resetOnDestroy: false, snapshotDir: "snapshots", timeouts } });
});
