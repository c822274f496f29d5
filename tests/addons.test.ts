import { evaluate, type Evaluation } from "../tools/engine/engine";
import { isSecretAt, Recording, secretPaths, type RecordedResource } from "../tools/engine/recording";
import { redact } from "../tools/render/artifacts";
import { main } from "../stacks";
import { CHARTS } from "../planners/charts";
import { runStack, stackConfig, withKeys } from "./harness";

/** The add-on phase of both stacks as the engine would receive it: order, pins, secrets, options. */

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
    for (const stack of ["infra", "apps"]) evaluations[stack] = await runStack(stack);
});

describe.each(["infra", "apps"])("stack %s", (stack) => {
    const ev = () => evaluations[stack];
    const rec = () => ev().recording;
    const release = (helmName: string): RecordedResource => {
        const hits = rec().ofType(RELEASE).filter((r) => r.inputs.name === helmName);
        expect(hits).toHaveLength(1);
        return hits[0];
    };
    const crds = (group: string) => rec().ofType(CRD).filter((r) => (r.inputs.spec as { group: string }).group.endsWith(group));
    const after = (later: RecordedResource, earlier: RecordedResource[]) => {
        expect(earlier.length).toBeGreaterThan(0);
        for (const e of earlier) expect({ later: later.name, earlier: e.name, ordered: rec().isOrderedAfter(later, e) }).toEqual({ later: later.name, earlier: e.name, ordered: true });
    };

    test("the Kubernetes provider uses the gated kubeconfig, as a secret, with a stable cluster identifier", () => {
        const provider = rec().find(`${stack}-kubernetes`, "pulumi:providers:kubernetes");
        expect(isSecretAt(provider.rawInputs, "kubeconfig")).toBe(true);
        expect(provider.inputs.clusterIdentifier).toBe(stack);
        expect(rec().isOrderedAfter(provider, rec().find(`${stack}-api-ready`))).toBe(true);
    });

    test("every in-cluster object uses that provider and is deleted with the cluster", () => {
        const provider = rec().find(`${stack}-kubernetes`, "pulumi:providers:kubernetes");
        const bootstrap = rec().find(`${stack}-bootstrap`);
        const inCluster = rec().resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        expect(inCluster.length).toBeGreaterThan(20);
        for (const r of inCluster) expect({ name: r.name, provider: r.provider, deletedWith: r.deletedWith }).toEqual({ name: r.name, provider: provider.urn, deletedWith: bootstrap.urn });
    });

    test("the bring-up order holds: Gateway API CRDs → Cilium → nodes gate → CoreDNS → add-ons → store / Flux", () => {
        const cilium = release("cilium");
        const nodesReady = rec().find(`${stack}-cilium-nodes-ready`);
        const coredns = release("coredns");
        after(cilium, [...crds("gateway.networking.k8s.io"), release("prometheus-operator-crds")]);
        after(nodesReady, [cilium]);
        after(coredns, [nodesReady]);
        for (const name of ["cert-manager", "external-secrets", "spegel", "flux-operator"]) after(release(name), [coredns]);
        after(release("cert-manager"), crds("cert-manager.io"));
        after(release("external-secrets"), crds("external-secrets.io"));
        const store = rec().find(`${stack}-onepassword-cluster-secret-store`);
        after(store, [release("external-secrets"), rec().find(`${stack}-onepassword-connect-token`)]);
        after(release("flux"), [release("flux-operator"), rec().find(`${stack}-flux-cluster-settings`), rec().find(`${stack}-onepassword-git-credentials`)]);
    });

    test("releases that don't depend on each other are not chained", () => {
        const parallel = ["cert-manager", "external-secrets", "spegel", "flux-operator"].map(release);
        for (const a of parallel) for (const b of parallel) if (a !== b) expect(rec().areIndependent(a, b)).toBe(true);
        expect(rec().areIndependent(rec().find(`${stack}-onepassword-cluster-secret-store`), release("flux"))).toBe(true);
        expect(rec().areIndependent(release("prometheus-operator-crds"), release("victoria-metrics-operator-crds"))).toBe(true);
        // The CRDs phase needs only the API, not the CNI.
        expect(rec().areIndependent(crds("cert-manager.io")[0], release("cilium"))).toBe(true);
    });

    test("every release is pinned to its catalogue source, with an explicit name and timeout", () => {
        const expected: Record<string, { key: keyof typeof CHARTS; namespace: string }> = {
            cilium: { key: "cilium", namespace: "kube-system" },
            coredns: { key: "coredns", namespace: "kube-system" },
            spegel: { key: "spegel", namespace: "kube-system" },
            "cert-manager": { key: "certManager", namespace: "cert-manager" },
            "external-secrets": { key: "externalSecrets", namespace: "external-secrets" },
            "flux-operator": { key: "fluxOperator", namespace: "flux-system" },
            flux: { key: "fluxInstance", namespace: "flux-system" },
            "prometheus-operator-crds": { key: "prometheusOperatorCrds", namespace: "kube-system" },
            "victoria-metrics-operator-crds": { key: "victoriaMetricsOperatorCrds", namespace: "kube-system" },
        };
        const releases = rec().ofType(RELEASE);
        expect(releases.map((r) => r.inputs.name).sort()).toEqual(Object.keys(expected).sort());
        for (const r of releases) {
            const { key, namespace } = expected[r.inputs.name as string];
            const source: { chart: string; repo?: string; version: string } = CHARTS[key];
            expect(r.inputs).toMatchObject({ chart: source.chart, version: source.version, namespace, timeout: 600 });
            expect(r.inputs.version).toMatch(/^v?\d+\.\d+\.\d+$/);
            if (source.repo) expect(r.inputs.repositoryOpts).toEqual({ repo: source.repo });
            else expect(r.inputs.chart).toMatch(/^oci:\/\//);
        }
        // Only Cilium skips Helm's wait (see components/cilium.ts); the nodes gate follows it.
        expect(releases.filter((r) => r.inputs.skipAwait).map((r) => r.inputs.name)).toEqual(["cilium"]);
    });

    test("no secret reaches Helm values or a ConfigMap; Secrets carry their data as secrets", () => {
        for (const r of rec().ofType(RELEASE)) {
            const paths = secretPaths(r.rawInputs);
            // The only secret in any values: Cilium's shared CA key, as a secret leaf (issue: mesh CA).
            expect(paths.filter((p) => p !== "values.tls.ca.key")).toEqual([]);
        }
        for (const cm of rec().ofType("kubernetes:core/v1:ConfigMap")) expect(secretPaths(cm.rawInputs)).toEqual([]);
        const secrets = rec().ofType("kubernetes:core/v1:Secret");
        expect(secrets.map((s) => s.name).sort()).toEqual([`${stack}-onepassword-connect-token`, `${stack}-onepassword-git-credentials`]);
        for (const s of secrets) {
            const data = s.rawInputs.stringData as Record<string, unknown>;
            expect(Object.keys(data).length).toBeGreaterThan(0);
            for (const key of Object.keys(data)) expect(isSecretAt(s.rawInputs, `stringData.${key}`)).toBe(true);
        }
        // And no fake credential value (1Password fields, the Connect token, Talos and mesh-CA keys)
        // shows up anywhere once the secret leaves are redacted.
        const plainText = JSON.stringify(rec().resources.map((r) => redact(r.rawInputs, "")));
        expect(plainText).not.toMatch(/FAKE-1password|FAKE-SECRET\(onepassword:token\)|PRIVATE KEY|LS0tLS1CRUdJTiBFQyBQUklWQVRF|LS0tLS1CRUdJTiBFRDI1NTE5/);
    });

    test("the 1Password provider gets its token as a secret, and every item is read through it", () => {
        const provider = rec().find(`${stack}-onepassword-provider`, "pulumi:providers:onepassword");
        expect(isSecretAt(provider.rawInputs, "token")).toBe(true);
        expect(provider.inputs.url).toBe("http://opconnect.monosense.dev");
        const reads = rec().invokes.filter((i) => i.token.startsWith("onepassword:"));
        expect(reads.map((i) => [i.token, i.inputs.name ?? i.inputs.title]).sort()).toEqual([
            ["onepassword:index/getItem:getItem", "github-flux"],
            ["onepassword:index/getItem:getItem", "onepassword-connect"],
            ["onepassword:index/getVault:getVault", "kubernetes"],
            ["onepassword:index/getVault:getVault", "kubernetes"],
        ]);
        for (const read of reads) expect(read.provider).toBe(provider.urn);
    });

    test("the ClusterSecretStore uses external-secrets.io/v1 and names the token Secret's namespace", () => {
        const store = rec().find(`${stack}-onepassword-cluster-secret-store`);
        expect(store.inputs).toEqual({
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            metadata: { name: "onepassword" },
            spec: {
                provider: {
                    onepassword: {
                        connectHost: "http://opconnect.monosense.dev",
                        vaults: { kubernetes: 1 },
                        auth: { secretRef: { connectTokenSecretRef: { name: "onepassword-connect-token", key: "token", namespace: "external-secrets" } } },
                    },
                },
            },
        });
    });

    test("cluster-settings carries the derived keys and the extra ones from config", () => {
        const cm = rec().find(`${stack}-flux-cluster-settings`);
        const data = cm.inputs.data as Record<string, string>;
        const ids = { infra: "1", apps: "2" } as const;
        expect(data).toMatchObject({ CLUSTER: stack, CLUSTER_ID: ids[stack as "infra" | "apps"], K8S_SERVICE_HOST: "localhost", K8S_SERVICE_PORT: "7445", CILIUM_VERSION: "1.18.3", SECRET_DOMAIN: "monosense.io" });
        expect(cm.inputs.metadata).toEqual({ name: "cluster-settings", namespace: "flux-system", labels: { cluster: stack } });
    });
});

test("whole-stack evaluations are identical across runs", async () => {
    for (const stack of ["infra", "apps"]) {
        const again = await runStack(stack);
        const dump = (ev: Evaluation) => JSON.stringify(ev.recording.resources.map((r) => [r.urn, r.rawInputs, r.dependencies, r.deletedWith]));
        expect(dump(again)).toBe(dump(evaluations[stack]));
    }
});

test("without Spegel or Git credentials those resources are not created", async () => {
    const base = stackConfig("infra");
    const gitops = JSON.parse(base.values["platform:gitops"]);
    delete gitops.credentials;
    const ev = await runStack("infra", { config: withKeys(base, { "platform:addons": { spegel: false }, "platform:gitops": gitops }) });
    expect(ev.recording.ofType(RELEASE).map((r) => r.inputs.name)).not.toContain("spegel");
    expect(ev.recording.ofType("kubernetes:core/v1:Secret").map((s) => s.name)).toEqual(["infra-onepassword-connect-token"]);
    const flux = ev.recording.ofType(RELEASE).find((r) => r.inputs.name === "flux")!;
    expect((flux.inputs.values as { instance: { sync: Record<string, unknown> } }).instance.sync.pullSecret).toBeUndefined();
});

test("a CRD bundle that cannot be downloaded stops the run before anything is registered", async () => {
    const recording = new Recording();
    await expect(
        evaluate(main, { project: "platform", stack: "infra", config: stackConfig("infra"), recording, network: () => ({ status: 404, body: "Not Found" }) }),
    ).rejects.toThrow("could not download https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml: HTTP 404");
    expect(recording.resources).toEqual([]);
});
