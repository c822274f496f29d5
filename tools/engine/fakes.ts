import { createHash } from "crypto";
import * as YAML from "yaml";
import { SECRET_SIG, SIG_KEY } from "./recording";

/**
 * Realistic, deterministic stand-ins for what the real providers return. Values that are secret
 * in the real provider are returned wrapped as secrets; every fake credential says FAKE so it can
 * never be mistaken for a real one.
 */

/** Wraps a value the way the engine marks a secret on the wire. */
export function secretWire(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** A short, stable hex digest used for fake ids and key material. */
export function digest(...parts: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** A fake PEM block whose body says FAKE (never parseable as key material). */
export function fakePemText(kind: string, seed: string): string {
    const body = Buffer.from(`FAKE ${kind} ${digest(seed)}`).toString("base64");
    return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

/** A base64-encoded fake PEM block, as Talos passes certificates and keys around. */
export function fakePem(kind: string, seed: string): string {
    return Buffer.from(fakePemText(kind, seed)).toString("base64");
}

function fakeCert(seed: string): { cert: string; key: string } {
    return { cert: fakePem("CERTIFICATE", seed), key: fakePem("EC PRIVATE KEY", seed) };
}

/** Outputs of Talos' Secrets resource: a full machine-secrets bundle and the admin client config. */
export function talosSecrets(name: string): Record<string, unknown> {
    return {
        machineSecrets: {
            certs: {
                etcd: fakeCert(`${name}/etcd`),
                k8s: fakeCert(`${name}/k8s`),
                k8sAggregator: fakeCert(`${name}/k8s-aggregator`),
                k8sServiceaccount: { key: fakePem("EC PRIVATE KEY", `${name}/sa`) },
                os: fakeCert(`${name}/os`),
            },
            cluster: { id: `FAKE-${digest(name, "id").slice(0, 32)}`, secret: `FAKE-${digest(name, "secret").slice(0, 32)}` },
            secrets: {
                bootstrapToken: `fake00.${digest(name, "token").slice(0, 16)}`,
                secretboxEncryptionSecret: `FAKE-${digest(name, "secretbox").slice(0, 32)}`,
            },
            trustdinfo: { token: `fake00.${digest(name, "trustd").slice(0, 16)}` },
        },
        clientConfiguration: {
            caCertificate: fakePem("CERTIFICATE", `${name}/os`),
            clientCertificate: fakePem("CERTIFICATE", `${name}/admin`),
            clientKey: fakePem("ED25519 PRIVATE KEY", `${name}/admin`),
        },
    };
}

/** A kubeconfig like Talos returns, pointing at `server`. */
export function kubeconfig(clusterName: string, server: string): string {
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server, "certificate-authority-data": fakePem("CERTIFICATE", `${clusterName}/k8s`) } }],
        users: [
            {
                name: `admin@${clusterName}`,
                user: {
                    "client-certificate-data": fakePem("CERTIFICATE", `${clusterName}/k8s-admin`),
                    "client-key-data": fakePem("EC PRIVATE KEY", `${clusterName}/k8s-admin`),
                },
            },
        ],
        contexts: [{ name: `admin@${clusterName}`, context: { cluster: clusterName, namespace: "default", user: `admin@${clusterName}` } }],
        "current-context": `admin@${clusterName}`,
    });
}

/** A talosconfig like the client getConfiguration data source returns. */
export function talosconfig(clusterName: string, endpoints: unknown, nodes: unknown): string {
    return YAML.stringify({
        context: clusterName,
        contexts: {
            [clusterName]: {
                endpoints,
                nodes,
                ca: fakePem("CERTIFICATE", `${clusterName}/os`),
                crt: fakePem("CERTIFICATE", `${clusterName}/admin`),
                key: fakePem("ED25519 PRIVATE KEY", `${clusterName}/admin`),
            },
        },
    });
}

/**
 * The machine configuration getConfiguration renders for a role: a base in the shape of `talosctl
 * gen config` (abridged; its Kubernetes image tags follow `kubernetesVersion`, its version contract
 * `talosVersion`), with the config patches merged in as Talos merges strategic patches: mappings
 * merge key by key, anything else is replaced; documents with a `kind` are added (or replaced by
 * kind and name). Deterministic, so digests of its sections move exactly when an input does.
 */
export function machineConfiguration(args: Record<string, unknown>): string {
    const k8s = `v${String(args.kubernetesVersion ?? "1.34.1").replace(/^v/, "")}`;
    const base: Record<string, unknown> = {
        version: "v1alpha1",
        machine: {
            type: args.machineType,
            token: "FAKE-machine-token",
            kubelet: { image: `ghcr.io/siderolabs/kubelet:${k8s}` },
            install: { disk: "/dev/sda", image: "ghcr.io/siderolabs/installer:v1.11.0" },
            features: { rbac: true, stableHostname: true, apidCheckExtKeyUsage: true, diskQuotaSupport: true },
        },
        cluster: {
            clusterName: args.clusterName,
            controlPlane: { endpoint: args.clusterEndpoint },
            network: { dnsDomain: "cluster.local", podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.96.0.0/12"] },
            secretboxEncryptionSecret: "FAKE-secretbox",
            ...(args.machineType === "controlplane"
                ? { apiServer: { image: `registry.k8s.io/kube-apiserver:${k8s}` }, controllerManager: { image: `registry.k8s.io/kube-controller-manager:${k8s}` }, scheduler: { image: `registry.k8s.io/kube-scheduler:${k8s}` } }
                : {}),
            proxy: { image: `registry.k8s.io/kube-proxy:${k8s}` },
        },
    };
    const docs: Record<string, unknown>[] = [base];
    // From contract v1.12 on, Talos generates a HostnameConfig document beside v1alpha1.
    if (/^v?1\.(1[2-9]|[2-9]\d)/.test(String(args.talosVersion ?? ""))) docs.push({ apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "stable" });
    for (const patch of (args.configPatches as string[] | undefined) ?? []) {
        for (const doc of YAML.parseAllDocuments(patch).map((d) => d.toJS() as Record<string, unknown> | null)) {
            if (doc === null || typeof doc !== "object") continue;
            if (typeof doc.kind === "string") {
                const at = docs.findIndex((d) => d.kind === doc.kind && d.name === doc.name);
                if (at >= 0) docs[at] = doc;
                else docs.push(doc);
            } else {
                docs[0] = merge(docs[0], doc) as Record<string, unknown>;
            }
        }
    }
    return docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join("---\n");
}

function merge(into: unknown, patch: unknown): unknown {
    if (into === null || typeof into !== "object" || Array.isArray(into) || patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> = { ...(into as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
}

/** A 1Password item with the usual built-in fields plus custom fields in one section. */
export function onePasswordItem(vault: string, title: string): Record<string, unknown> {
    const fake = (field: string) => `FAKE-1password-${title}-${field}`;
    return {
        uuid: digest("item", vault, title).slice(0, 26),
        vault,
        title,
        category: "login",
        username: fake("username"),
        password: fake("password"),
        credential: fake("credential"),
        sections: [{ id: "extra", label: "extra", fields: [{ id: "f1", label: "token", type: "CONCEALED", value: fake("token") }] }],
    };
}

/**
 * What the 1Password provider returns for an Item it created: the id `vaults/<vault>/items/<uuid>`,
 * the inputs read back, and ids for sections and fields. Sensitive values (notes, password, field
 * values) come back secret, as the provider's schema marks them.
 */
export function onePasswordItemState(name: string, plain: Record<string, any>): { id: string; outputs: Record<string, unknown> } {
    const uuid = digest("item", plain.vault, plain.title ?? name).slice(0, 26);
    const sections = ((plain.sections ?? []) as Record<string, any>[]).map((s, i) => ({
        id: s.id ?? digest(uuid, "section", i).slice(0, 26),
        label: s.label,
        fields: ((s.fields ?? []) as Record<string, any>[]).map((f, j) => ({
            id: f.id ?? digest(uuid, "field", i, j).slice(0, 26),
            label: f.label,
            type: f.type ?? "STRING",
            ...(f.purpose ? { purpose: f.purpose } : {}),
            value: secretWire(f.value ?? ""),
        })),
    }));
    return {
        id: `vaults/${plain.vault}/items/${uuid}`,
        outputs: {
            uuid,
            vault: plain.vault,
            category: plain.category ?? "login",
            title: plain.title ?? "",
            ...(plain.noteValue !== undefined ? { noteValue: secretWire(plain.noteValue) } : {}),
            ...(plain.password !== undefined ? { password: secretWire(plain.password) } : {}),
            sections,
        },
    };
}
