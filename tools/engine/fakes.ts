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
function fakePem(kind: string, seed: string): string {
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

/** The generated base machine configuration for a role (shape of `talosctl gen config`, abridged). */
export function machineConfiguration(args: Record<string, unknown>): string {
    return YAML.stringify({
        version: "v1alpha1",
        machine: { type: args.machineType, token: "FAKE-machine-token", install: { disk: "/dev/sda", image: "ghcr.io/siderolabs/installer:v1.11.0" } },
        cluster: {
            clusterName: args.clusterName,
            controlPlane: { endpoint: args.clusterEndpoint },
            network: { dnsDomain: "cluster.local", podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.96.0.0/12"] },
            secretboxEncryptionSecret: "FAKE-secretbox",
        },
    });
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
