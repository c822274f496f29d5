import { digest, fakePem, fakePemText, kubeconfig, machineConfiguration, onePasswordItem, onePasswordItemState, secretWire, talosconfig, talosSecrets } from "./fakes";
import { unwrapSecrets } from "./recording";

/**
 * The resource types and functions of the providers this program uses, with what each returns.
 * Type tokens are written out literally from the providers' schemas (not imported from the
 * program) so that a wrong token in the program is caught here as an unknown type.
 */

const TALOS_RESOURCES = new Set([
    "talos:machine/secrets:Secrets",
    "talos:machine/configurationApply:ConfigurationApply",
    "talos:machine/bootstrap:Bootstrap",
    "talos:cluster/kubeconfig:Kubeconfig",
    "talos:imageFactory/schematic:Schematic",
]);

const OTHER_RESOURCES = new Set([
    "pulumi:providers:kubernetes",
    "pulumi:providers:onepassword",
    "onepassword:index/item:Item",
    "pulumi:providers:talos",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
    "pulumi-nodejs:dynamic:Resource",
    "pulumi:pulumi:StackReference",
]);

const INVOKES = new Set([
    "talos:machine/getConfiguration:getConfiguration",
    "talos:client/getConfiguration:getConfiguration",
    "onepassword:index/getItem:getItem",
    "onepassword:index/getVault:getVault",
]);

/** True for custom resource types the real providers implement. */
export function isKnownResourceType(type: string): boolean {
    // Kubernetes types are open-ended (any group/version/kind), as in the provider.
    return TALOS_RESOURCES.has(type) || OTHER_RESOURCES.has(type) || /^kubernetes:[a-z0-9.-]+(\/[a-z0-9]+)?:[A-Za-z]+$/.test(type);
}

/** True for function tokens the real providers implement. */
export function isKnownInvoke(token: string): boolean {
    return INVOKES.has(token);
}

export interface ResourceCall {
    type: string;
    name: string;
    /** Inputs as received, secrets still wrapped. */
    inputs: Record<string, unknown>;
    custom: boolean;
    preview: boolean;
}

/** The id and computed outputs a provider would return for a created resource. */
export function providerOutputs(call: ResourceCall): { id: string; outputs: Record<string, unknown> } {
    const plain = unwrapSecrets(call.inputs) as Record<string, any>;
    if (!call.custom) return { id: "", outputs: {} };
    switch (call.type) {
        case "talos:machine/secrets:Secrets": {
            const fake = talosSecrets(call.name);
            return {
                id: "machine_secrets",
                outputs: {
                    talosVersion: plain.talosVersion ?? "v1.11",
                    machineSecrets: fake.machineSecrets,
                    clientConfiguration: fake.clientConfiguration,
                },
            };
        }
        case "pulumi-nodejs:dynamic:Resource":
            return dynamicOutputs(call.name, plain);
        case "talos:imageFactory/schematic:Schematic":
            // Image Factory ids are the sha256 of the schematic: content-addressed and stable.
            return { id: digest(plain.schematic ?? ""), outputs: {} };
        case "talos:machine/configurationApply:ConfigurationApply":
            return {
                id: "machine_configuration_apply",
                outputs: {
                    applyMode: plain.applyMode ?? "auto",
                    endpoint: plain.endpoint ?? plain.node,
                    machineConfiguration: secretWire([plain.machineConfigurationInput, ...(plain.configPatches ?? [])].join("\n---\n")),
                },
            };
        case "talos:machine/bootstrap:Bootstrap":
            return { id: "machine_bootstrap", outputs: { endpoint: plain.endpoint ?? plain.node } };
        case "talos:cluster/kubeconfig:Kubeconfig": {
            const server = `https://${plain.endpoint ?? plain.node}:6443`;
            // The real provider takes the cluster name from the node's config, which a fake cannot see.
            const clusterName = `fake-${digest(server).slice(0, 8)}`;
            return {
                id: clusterName,
                outputs: {
                    endpoint: plain.endpoint ?? plain.node,
                    certificateRenewalDuration: plain.certificateRenewalDuration ?? "720h",
                    kubeconfigRaw: secretWire(kubeconfig(clusterName, server)),
                    kubernetesClientConfiguration: secretWire({ host: server, caCertificate: "FAKE", clientCertificate: "FAKE", clientKey: "FAKE" }),
                },
            };
        }
        case "onepassword:index/item:Item":
            return onePasswordItemState(call.name, plain);
        case "tls:index/privateKey:PrivateKey":
            return {
                id: digest(call.name, "key"),
                outputs: { privateKeyPem: secretWire(fakePemText("RSA PRIVATE KEY", call.name)), publicKeyPem: fakePemText("PUBLIC KEY", call.name) },
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { id: digest(call.name, "cert"), outputs: { certPem: fakePemText("CERTIFICATE", call.name), validityStartTime: "2026-01-01T00:00:00Z" } };
        default:
            return { id: defaultId(call.type, call.name, plain), outputs: call.type === "kubernetes:helm.sh/v3:Release" ? releaseStatus(plain) : {} };
    }
}

/**
 * Dynamic resources are told apart by the module their serialized provider loads from the checkout
 * (components/checkout-provider.ts), like a type; the readiness gates serialize their code inline.
 */
function dynamicOutputs(name: string, plain: Record<string, any>): { id: string; outputs: Record<string, unknown> } {
    const code = String(plain.__provider ?? "");
    if (code.includes("lifecycle/client-certificate.ts")) {
        return {
            id: digest(name, "serial").slice(0, 32),
            outputs: {
                certificate: fakePem("CERTIFICATE", `${name}/client`),
                privateKey: secretWire(fakePem("ED25519 PRIVATE KEY", `${name}/client`)),
                keyType: plain.keyType ?? "ed25519",
                notBefore: "2026-01-01T00:00:00.000Z",
                notAfter: "2027-01-01T00:00:00.000Z",
            },
        };
    }
    if (code.includes("lifecycle/provider.ts")) return { id: String(plain.desired?.cluster ?? name), outputs: { achieved: plain.desired } };
    if (code.includes("lifecycle/recover-provider.ts")) return { id: `${name}-recovered`, outputs: { recoveredFrom: { path: plain.snapshot, sha256: digest(plain.snapshot) } } };
    return { id: `${name}-id`, outputs: {} };
}

function defaultId(type: string, name: string, plain: Record<string, any>): string {
    if (type.startsWith("kubernetes:")) {
        const meta = plain.metadata ?? {};
        const ns = meta.namespace ?? plain.namespace;
        const n = meta.name ?? plain.name ?? name;
        return ns ? `${ns}/${n}` : String(n);
    }
    return `${name}-id`;
}

function releaseStatus(plain: Record<string, any>): Record<string, unknown> {
    return {
        status: {
            name: plain.name,
            namespace: plain.namespace ?? "default",
            chart: plain.chart,
            version: plain.version,
            status: "deployed",
            revision: 1,
        },
    };
}

/** What a provider function returns for these inputs (secrets wrapped as the provider would). */
export function invokeResult(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const plain = unwrapSecrets(inputs) as Record<string, any>;
    switch (token) {
        case "talos:machine/getConfiguration:getConfiguration":
            return { ...inputs, id: digest(token, plain.clusterName, plain.machineType), machineConfiguration: secretWire(machineConfiguration(plain)) };
        case "talos:client/getConfiguration:getConfiguration":
            return { ...inputs, id: plain.clusterName, talosConfig: secretWire(talosconfig(plain.clusterName, plain.endpoints, plain.nodes)) };
        case "onepassword:index/getVault:getVault":
            return { name: plain.name, uuid: digest("vault", plain.name).slice(0, 26), description: "" };
        case "onepassword:index/getItem:getItem":
            // The real provider returns item fields NOT marked secret (plain invoke); so does this.
            return onePasswordItem(plain.vault, plain.title);
        default:
            throw new Error(`no fake for ${token}`);
    }
}
