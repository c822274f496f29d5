import * as pulumi from "@pulumi/pulumi";
import { EngineViolation, evaluate } from "../tools/engine/engine";
import * as path from "path";
import { isSecretAt, secretPaths } from "../tools/engine/recording";
import { evaluateInChildProcess, PROJECT } from "./harness";

/**
 * The offline engine itself: it must record what the real engine receives (including the options
 * plain mocks hide), and reject what the real engine rejects. Small throwaway programs exercise it.
 */

const empty = { values: {}, secretKeys: [] };
const run = (program: () => unknown, extra: Partial<Parameters<typeof evaluate>[1]> = {}) =>
    evaluate(program, { project: PROJECT, stack: "harness", config: empty, ...extra });

class Group extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:Group", name, {}, opts);
        this.registerOutputs({});
    }
}

class Custom extends pulumi.CustomResource {}
class Provider extends pulumi.ProviderResource {}

const custom = (type: string, name: string, props: pulumi.Inputs = {}, opts?: pulumi.CustomResourceOptions) => new Custom(type, name, props, opts);
const provider = (name: string, props: pulumi.Inputs = {}, opts?: pulumi.ResourceOptions) => new Provider("kubernetes", name, props, opts);

test("records every option the engine receives", async () => {
    const ev = await run(() => {
        const group = new Group("g");
        const anchor = custom("talos:machine/secrets:Secrets", "anchor", {}, { parent: group, protect: true, ignoreChanges: ["talosVersion"] });
        const k8s = provider("k8s", { kubeconfig: pulumi.secret("kc") });
        custom(
            "kubernetes:core/v1:ConfigMap",
            "cm",
            { metadata: { name: "cm" }, data: { a: "1" } },
            {
                parent: group,
                provider: k8s,
                dependsOn: [anchor],
                deletedWith: anchor,
                retainOnDelete: true,
                customTimeouts: { create: "5m", delete: "1m" },
                replaceOnChanges: ["data"],
            },
        );
        return {};
    });
    const cm = ev.recording.find("cm");
    const anchor = ev.recording.find("anchor");
    expect(cm).toMatchObject({
        type: "kubernetes:core/v1:ConfigMap",
        urn: "urn:pulumi:harness::platform::platform:index:Group$kubernetes:core/v1:ConfigMap::cm",
        parent: ev.recording.find("g").urn,
        provider: ev.recording.find("k8s").urn,
        dependencies: [anchor.urn],
        deletedWith: anchor.urn,
        retainOnDelete: true,
        protect: false,
        customTimeouts: { create: "5m", delete: "1m" },
        replaceOnChanges: ["data"],
        inputs: { metadata: { name: "cm" }, data: { a: "1" } },
    });
    expect(anchor).toMatchObject({ protect: true, ignoreChanges: ["talosVersion"] });
});

test("builds URNs as the SDK's createUrn does: a grandchild's type carries the whole parent type chain", async () => {
    class Outer extends pulumi.ComponentResource {
        constructor(name: string) {
            super("platform:index:Outer", name, {}, {});
            this.registerOutputs({});
        }
    }
    class Inner extends pulumi.ComponentResource {
        constructor(name: string, opts: pulumi.ComponentResourceOptions) {
            super("platform:index:Inner", name, {}, opts);
            this.registerOutputs({});
        }
    }
    const ev = await run(() => {
        const outer = new Outer("a");
        const inner = new Inner("b", { parent: outer });
        custom("kubernetes:core/v1:ConfigMap", "c", {}, { parent: inner });
        // The SDK's own URNs for the same three, each computed from the SDK's URN of its parent.
        const a = pulumi.createUrn("a", "platform:index:Outer");
        const b = pulumi.createUrn("b", "platform:index:Inner", a);
        const c = pulumi.createUrn("c", "kubernetes:core/v1:ConfigMap", b);
        return { a, b, c };
    });
    const recorded = Object.fromEntries(["a", "b", "c"].map((n) => [n, ev.recording.find(n).urn]));
    expect(recorded).toEqual({ a: ev.outputs.a.value, b: ev.outputs.b.value, c: ev.outputs.c.value });
    expect(recorded.c).toBe("urn:pulumi:harness::platform::platform:index:Outer$platform:index:Inner$kubernetes:core/v1:ConfigMap::c");
});

test("fails the run on a duplicate URN, which mocks alone accept", async () => {
    await expect(
        run(() => {
            custom("talos:machine/bootstrap:Bootstrap", "same");
            custom("talos:machine/bootstrap:Bootstrap", "same");
        }),
    ).rejects.toThrow(new EngineViolation(['duplicate URN urn:pulumi:harness::platform::talos:machine/bootstrap:Bootstrap::same: two resources of type talos:machine/bootstrap:Bootstrap are named "same"']));
});

test("fails the run on an invoke token no provider implements", async () => {
    await expect(
        run(() => ({ r: pulumi.runtime.invokeOutput("talos:machine/getConfigurations:getConfiguration", { clusterName: "x" }) })),
    ).rejects.toThrow(new EngineViolation(["unknown invoke token talos:machine/getConfigurations:getConfiguration"]));
});

test("fails the run on a resource type no provider implements", async () => {
    await expect(run(() => void custom("talos:machine/secret:Secrets", "s"))).rejects.toThrow(
        new EngineViolation(['unknown resource type talos:machine/secret:Secrets (resource "s")']),
    );
});

test("tells secret inputs from plain ones, leaf by leaf", async () => {
    const ev = await run(() => {
        custom("kubernetes:helm.sh/v3:Release", "r", { values: { tls: { ca: { cert: "CERT", key: pulumi.secret("KEY") } }, plain: "x" } });
    });
    const r = ev.recording.find("r");
    expect(secretPaths(r.rawInputs)).toEqual(["values.tls.ca.key"]);
    expect(isSecretAt(r.rawInputs, "values.tls.ca.key")).toBe(true);
    expect(isSecretAt(r.rawInputs, "values.tls.ca.cert")).toBe(false);
    expect(r.inputs).toEqual({ values: { tls: { ca: { cert: "CERT", key: "KEY" } }, plain: "x" } });
});

test("marks additionalSecretOutputs secret, as the engine does", async () => {
    const ev = await run(() => {
        const plain = custom("talos:machine/secrets:Secrets", "plain", { machineSecrets: undefined });
        const hidden = custom("talos:machine/secrets:Secrets", "hidden", { machineSecrets: undefined }, { additionalSecretOutputs: ["machineSecrets"] });
        return { plain: (plain as any).machineSecrets, hidden: (hidden as any).machineSecrets };
    });
    expect(ev.outputs.plain.secret).toBe(false);
    expect(ev.outputs.hidden.secret).toBe(true);
    expect(Object.keys(ev.outputs.hidden.value as object)).toEqual(["certs", "cluster", "secrets", "trustdinfo"]);
});

test("answers the dependency graph: ordering through dependsOn, data, parents and providers", async () => {
    const ev = await run(() => {
        const a = custom("talos:machine/secrets:Secrets", "a");
        const b = custom("talos:machine/bootstrap:Bootstrap", "b", { node: a.id });
        const group = new Group("g", { dependsOn: [b] });
        const c = custom("talos:cluster/kubeconfig:Kubeconfig", "c", {}, { parent: group });
        const p = provider("p", {}, { dependsOn: [c] });
        custom("kubernetes:core/v1:Namespace", "ns", {}, { provider: p });
        custom("kubernetes:core/v1:Namespace", "other", {});
    });
    const r = (n: string) => ev.recording.find(n);
    expect(ev.recording.isOrderedAfter(r("b"), r("a"))).toBe(true); // data flow
    expect(ev.recording.isOrderedAfter(r("c"), r("b"))).toBe(true); // parent's dependsOn
    expect(ev.recording.isOrderedAfter(r("ns"), r("a"))).toBe(true); // via the provider, transitively
    expect(ev.recording.isOrderedAfter(r("a"), r("b"))).toBe(false);
    expect(ev.recording.areIndependent(r("other"), r("ns"))).toBe(true);
    expect(ev.recording.areIndependent(r("b"), r("ns"))).toBe(false);
});

test("StackReference: outputs keep their secretness; a missing stack fails like the engine", async () => {
    const name = "organization/platform/infra";
    const ev = await run(
        () => {
            const ref = new pulumi.StackReference(name);
            return { endpoint: ref.requireOutput("endpoint"), key: ref.requireOutput("key") };
        },
        { stackReferences: { [name]: { outputs: { endpoint: "10.0.0.1", key: "s3cret" }, secretOutputNames: ["key"] } } },
    );
    expect(ev.outputs.endpoint).toEqual({ value: "10.0.0.1", secret: false });
    expect(ev.outputs.key).toEqual({ value: "s3cret", secret: true });

    // Failing reads run in a plain Node process (see tests/support/evaluate-cli.ts).
    const program = path.join(__dirname, "support", "programs", "read-stack.ts");
    const missing = await evaluateInChildProcess(program, { project: PROJECT, stack: "apps", config: empty });
    expect(missing).toEqual({
        ok: false,
        error: `failed to read resource #${name} '${name}' [pulumi:pulumi:StackReference]: unknown stack "${name}"`,
        resources: [{ type: "pulumi:pulumi:StackReference", name, read: true }],
    });
    const present = await evaluateInChildProcess(program, { project: PROJECT, stack: "apps", config: empty, stackReferences: { [name]: { outputs: { endpoint: "10.0.0.1" } } } });
    expect(present.outputs).toEqual({ endpoint: { value: "10.0.0.1", secret: false } });
}, 60_000);

test("returns realistic provider outputs: Talos secrets bundle, kubeconfig, 1Password item", async () => {
    const ev = await run(() => {
        const s = custom("talos:machine/secrets:Secrets", "x-secrets", { machineSecrets: undefined, clientConfiguration: undefined });
        const k = custom("talos:cluster/kubeconfig:Kubeconfig", "x-kubeconfig", { node: "10.0.0.1", kubeconfigRaw: undefined });
        const item = pulumi.runtime.invokeOutput("onepassword:index/getItem:getItem", { vault: "v", title: "t" });
        return { secrets: (s as any).machineSecrets, client: (s as any).clientConfiguration, kubeconfig: (k as any).kubeconfigRaw, item };
    });
    const secrets = ev.outputs.secrets.value as any;
    expect(Object.keys(secrets.certs).sort()).toEqual(["etcd", "k8s", "k8sAggregator", "k8sServiceaccount", "os"]);
    expect(Object.keys(ev.outputs.client.value as object).sort()).toEqual(["caCertificate", "clientCertificate", "clientKey"]);
    expect(ev.outputs.kubeconfig.secret).toBe(true);
    expect(ev.outputs.kubeconfig.value).toContain("server: https://10.0.0.1:6443");
    // Like the real provider: 1Password fields come back NOT secret; the program must wrap them.
    expect(ev.outputs.item).toEqual({ value: expect.objectContaining({ credential: "FAKE-1password-t-credential" }), secret: false });
});

test("preview mode leaves computed outputs unknown", async () => {
    const ev = await run(
        () => {
            const k = custom("talos:cluster/kubeconfig:Kubeconfig", "kc", { node: "10.0.0.1", kubeconfigRaw: undefined });
            return { node: (k as any).node, kubeconfig: (k as any).kubeconfigRaw };
        },
        { preview: true },
    );
    expect(ev.outputs.node.value).toBe("10.0.0.1");
    expect(ev.outputs.kubeconfig.value).toBe("[unknown until applied]");
});
