import { evaluate, type Evaluation } from "../tools/engine/engine";
import { offlineNetwork } from "../tools/engine/network";
import { isSecretAt, Recording, secretPaths, type RecordedResource } from "../tools/engine/recording";
import { redact } from "../tools/render/redact";
import { main } from "../stacks";
import { runStack, stackConfig, withKeys } from "./harness";

/**
 * The add-on phase of both stacks as the engine would receive it: pins, secrets, options, and the
 * orderings the README's bring-up graph does not show (tests/readme.test.ts holds the program to
 * that graph's arrows, exactly, for both stacks: which release waits for which is tested there).
 */

const RELEASE = "kubernetes:helm.sh/v3:Release";

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
    for (const stack of ["infra", "apps"]) evaluations[stack] = await runStack(stack);
});

/** The one Helm release named `helmName` (the Helm name, not the resource name). */
function release(rec: Recording, helmName: string): RecordedResource {
    const hits = rec.ofType(RELEASE).filter((r) => r.inputs.name === helmName);
    if (hits.length !== 1) throw new Error(`expected one release ${helmName}, found ${hits.length}`);
    return hits[0];
}

/** Namespaces created for SPIRE (Cilium mutual authentication). */
const spireNamespaces = (rec: Recording) => rec.ofType("kubernetes:core/v1:Namespace").filter((n) => (n.inputs.metadata as { name: string }).name === "cilium-spire");

describe.each(["infra", "apps"])("stack %s", (stack) => {
    const ev = () => evaluations[stack];
    const rec = () => ev().recording;

    test("the Kubernetes provider gets the kubeconfig as a secret, with a stable cluster identifier, and updates ConfigMaps and Secrets in place", () => {
        const provider = rec().find(`${stack}-kubernetes`, "pulumi:providers:kubernetes");
        expect(isSecretAt(provider.rawInputs, "kubeconfig")).toBe(true);
        expect(provider.inputs.clusterIdentifier).toBe(stack);
        expect(provider.inputs).toMatchObject({ enableConfigMapMutable: "true", enableSecretMutable: "true" });
    });

    test("every in-cluster object uses that provider and is deleted with the cluster", () => {
        const provider = rec().find(`${stack}-kubernetes`, "pulumi:providers:kubernetes");
        const bootstrap = rec().find(`${stack}-bootstrap`);
        const inCluster = rec().resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        expect(inCluster.length).toBeGreaterThan(20);
        for (const r of inCluster) expect({ name: r.name, provider: r.provider, deletedWith: r.deletedWith }).toEqual({ name: r.name, provider: provider.urn, deletedWith: bootstrap.urn });
    });

    test("every release is pinned to an exact chart version, in its namespace, with an explicit timeout", () => {
        const releases = rec().ofType(RELEASE);
        expect(Object.fromEntries(releases.map((r) => [r.inputs.name, r.inputs.namespace]))).toEqual({
            cilium: "kube-system",
            coredns: "kube-system",
            spegel: "kube-system",
            "cert-manager": "cert-manager",
            "external-secrets": "external-secrets",
            "flux-operator": "flux-system",
            flux: "flux-system",
            "prometheus-operator-crds": "kube-system",
            "victoria-metrics-operator-crds": "kube-system",
        });
        for (const r of releases) {
            const { name, version, timeout, chart, repositoryOpts } = r.inputs as { name: string; version: string; timeout: number; chart: string; repositoryOpts?: unknown };
            // A chart comes either from a classic repository or from an OCI reference.
            const source = repositoryOpts ? "repo" : chart.startsWith("oci://") ? "oci" : "neither";
            expect({ name, exact: /^v?\d+\.\d+\.\d+$/.test(version), timeout, source: source !== "neither" }).toEqual({ name, exact: true, timeout: 600, source: true });
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
        // The 1Password ones, and the secret leaves of Cilium's values published for Flux (tests/release-values.test.ts).
        expect(secrets.map((s) => s.name).sort()).toEqual([`${stack}-cilium-release-secret-values`, `${stack}-onepassword-connect-token`, `${stack}-onepassword-git-credentials`]);
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
        const provider = rec().find(`${stack}-onepassword-connect`, "pulumi:providers:onepassword");
        expect(isSecretAt(provider.rawInputs, "token")).toBe(true);
        expect(provider.inputs.url).toBe("http://opconnect.monosense.dev");
        const reads = rec().invokes.filter((i) => i.token.startsWith("onepassword:"));
        expect(reads.map((i) => [i.token, i.inputs.name ?? i.inputs.title]).sort()).toEqual([
            ["onepassword:index/getItem:getItem", "github-flux"],
            ["onepassword:index/getItem:getItem", "onepassword-connect"],
            ["onepassword:index/getVault:getVault", "kubernetes"],
            ["onepassword:index/getVault:getVault", "kubernetes"],
            // The machine secrets' backup item is written into the same vault.
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

    test("the SPIRE server runs as root (pod level), so it can bind its socket in the chart's root-owned hostPath", () => {
        // Mutual authentication is on in both committed stack files.
        const spire = (release(rec(), "cilium").inputs.values as { authentication: { mutual: { spire: { install: { server: Record<string, unknown> } } } } }).authentication.mutual.spire;
        expect(spire.install.server.podSecurityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
    });

    // The watch label: kustomize-controller (Flux 2.7 and later) re-substitutes the Kustomizations
    // that take cluster-settings as soon as it changes, instead of at their interval.
    test("cluster-settings carries the derived keys and the extra ones from config, labelled for kustomize-controller to watch", () => {
        const cm = rec().find(`${stack}-flux-cluster-settings`);
        const data = cm.inputs.data as Record<string, string>;
        const ids = { infra: "1", apps: "2" } as const;
        expect(data).toMatchObject({ CLUSTER: stack, CLUSTER_ID: ids[stack as "infra" | "apps"], K8S_SERVICE_HOST: "localhost", K8S_SERVICE_PORT: "7445", CILIUM_VERSION: "1.18.3", SECRET_DOMAIN: "monosense.io" });
        expect(cm.inputs.metadata).toEqual({ name: "cluster-settings", namespace: "flux-system", labels: { cluster: stack, "reconcile.fluxcd.io/watch": "Enabled" } });
    });
});

describe("optional features switched off: Spegel, Git credentials, SPIRE mutual authentication", () => {
    let rec: Recording;
    beforeAll(async () => {
        const base = stackConfig("infra");
        const gitops = JSON.parse(base.values["platform:gitops"]);
        delete gitops.credentials;
        const cilium = { ...JSON.parse(base.values["platform:cilium"]), mutualAuth: { enabled: false } };
        rec = (await runStack("infra", { config: withKeys(base, { "platform:addons": { spegel: false }, "platform:gitops": gitops, "platform:cilium": cilium }) })).recording;
    });

    test("no Spegel release", () => {
        expect(rec.ofType(RELEASE).map((r) => r.inputs.name)).not.toContain("spegel");
    });

    test("no Git credentials Secret, and Flux syncs without a pull secret", () => {
        expect(rec.ofType("kubernetes:core/v1:Secret").map((s) => s.name).filter((n) => n.includes("onepassword"))).toEqual(["infra-onepassword-connect-token"]);
        expect((release(rec, "flux").inputs.values as { instance: { sync: Record<string, unknown> } }).instance.sync.pullSecret).toBeUndefined();
    });

    test("no SPIRE namespace", () => {
        expect(spireNamespaces(rec)).toEqual([]);
    });
});

test("a CRD bundle that cannot be downloaded stops the run before anything is registered", async () => {
    const recording = new Recording();
    await expect(
        evaluate(main, { project: "platform", stack: "infra", config: stackConfig("infra"), recording, network: () => ({ status: 404, body: "Not Found" }) }),
    ).rejects.toThrow("could not download https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml: HTTP 404");
    expect(recording.resources).toEqual([]);
});

describe("chart overrides (platform:charts)", () => {
    const requested: string[] = [];
    let rec: Recording;
    beforeAll(async () => {
        const config = withKeys(stackConfig("infra"), {
            "platform:charts": { cilium: { version: "1.18.4", repo: "https://charts.example.test/cilium" }, certManager: { version: "v1.19.2" }, externalSecrets: { version: "0.20.4" } },
        });
        rec = (await runStack("infra", { config, network: (url) => (requested.push(url), offlineNetwork(url)) })).recording;
    });

    test("reach the Helm releases' chart version and repository", () => {
        expect(release(rec, "cilium").inputs).toMatchObject({ version: "1.18.4", repositoryOpts: { repo: "https://charts.example.test/cilium" } });
        expect(release(rec, "cert-manager").inputs.version).toBe("v1.19.2");
        expect(release(rec, "external-secrets").inputs.version).toBe("0.20.4");
    });

    test("move the cert-manager and external-secrets CRD bundles to the same versions", () => {
        expect(requested.filter((u) => /cert-manager|external-secrets/.test(u)).sort()).toEqual([
            "https://github.com/cert-manager/cert-manager/releases/download/v1.19.2/cert-manager.crds.yaml",
            "https://raw.githubusercontent.com/external-secrets/external-secrets/v0.20.4/deploy/crds/bundle.yaml",
        ]);
    });
});

test("with mutual authentication on, the SPIRE namespace is created privileged before Cilium installs SPIRE into it", () => {
    const rec = evaluations.infra.recording;
    const [ns] = spireNamespaces(rec);
    expect((ns.inputs.metadata as { labels: Record<string, string> }).labels).toEqual({ "pod-security.kubernetes.io/enforce": "privileged" });
    expect(rec.isOrderedAfter(release(rec, "cilium"), ns)).toBe(true);
});
