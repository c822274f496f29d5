/** Prints the `__provider` code the SDK serializes for each gate resource, by name (see serialize-provider.ts). */
import { printSerializedProviders } from "./serialize-provider";

printSerializedProviders(async () => {
    const { ApiReady, NodesReady } = await import("../../components/gates");
    return [new ApiReady("api", { kubeconfig: "unused", timeout: "1m" }), new NodesReady("nodes", { kubeconfig: "unused", timeout: "1m", nodes: ["n1"] })];
});
