/**
 * Run with plain Node (ts-node, transpile only), NOT under jest: constructs a ClientCertificate
 * resource under Pulumi mocks and prints the `__provider` code the SDK serialized for it: what the
 * engine stores in state and the dynamic-provider host later loads.
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
    const { ClientCertificate } = await import("../../components/client-certificate");
    const c = new ClientCertificate("talosconfig", { caCertificate: "unused", caKey: "unused", subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720 });
    await new Promise((resolve) => pulumi.all([c.urn, c.id]).apply(resolve));
    process.stdout.write(JSON.stringify({ provider }));
})();
