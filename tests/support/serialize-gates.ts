/**
 * Run with plain Node (ts-node, transpile only), NOT under jest: constructs the gate resources
 * under Pulumi mocks and prints the `__provider` code the SDK serialized for each, exactly what
 * the engine stores and the dynamic-provider host later loads.
 */
import * as pulumi from "@pulumi/pulumi";

const providers: Record<string, string> = {};
void pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            if (typeof a.inputs.__provider === "string") providers[a.name] = a.inputs.__provider;
            return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
    },
    "platform",
    "serialize",
    false,
);

void (async () => {
    const { ApiReady, NodesReady } = await import("../../components/gates");
    const api = new ApiReady("api", { kubeconfig: "unused", timeout: "1m" });
    const nodes = new NodesReady("nodes", { kubeconfig: "unused", timeout: "1m", nodes: ["n1"] });
    await new Promise((resolve) => pulumi.all([api.urn, nodes.urn, api.id, nodes.id]).apply(resolve));
    process.stdout.write(JSON.stringify(providers));
})();
