/**
 * What the serialize-*.ts scripts share. They run with plain Node (ts-node, transpile only), NOT
 * under jest: Pulumi mocks keep the `__provider` code the SDK serializes for each dynamic resource
 * (what the engine stores in state and the dynamic-provider host later loads); the script constructs
 * its resources, waits for their registration and prints that code as JSON on stdout. The resource
 * modules are imported inside `construct`, after the mocks are set.
 */
import * as pulumi from "@pulumi/pulumi";

/** Prints `{"provider": <code>}` for the one resource `construct` makes. */
export function printSerializedProvider(construct: () => Promise<pulumi.CustomResource>): void {
    serialize(async () => [await construct()], (_byName, last) => ({ provider: last }));
}

/** Prints `{"<resource name>": <code>, …}` for the resources `construct` makes. */
export function printSerializedProviders(construct: () => Promise<pulumi.CustomResource[]>): void {
    serialize(construct, (byName) => byName);
}

function serialize(construct: () => Promise<pulumi.CustomResource[]>, shape: (byName: Record<string, string>, last: string) => unknown): void {
    const byName: Record<string, string> = {};
    let last = "";
    void pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                if (typeof a.inputs.__provider === "string") byName[a.name] = last = a.inputs.__provider;
                return { id: `${a.name}-id`, state: a.inputs };
            },
            call: () => ({}),
        },
        "platform",
        "serialize",
        false,
    );

    void (async () => {
        const resources = await construct();
        await new Promise((resolve) => pulumi.all([...resources.map((r) => r.urn), ...resources.map((r) => r.id)]).apply(resolve));
        process.stdout.write(JSON.stringify(shape(byName, last)));
    })();
}
