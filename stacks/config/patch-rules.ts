import { closest, hasUrlCredentials, type Problems } from "../../model";
import { CRI_CUSTOMIZATION_PATH } from "../../planners/talos-patches";

/**
 * What a user patch file (talos/<cluster>/..., see talos/README.md) may not contain, in one place:
 * credentials (patch files are committed to Git) and the settings the platform generates and
 * depends on. Paths are in Talos v1alpha1 config schema terms (`*` any map key, `[]` any list
 * item); other documents are named by their `kind`. Checked against the Talos 1.11 config schema;
 * the 1.12+ network documents (HostnameConfig, LinkConfig, ...) are covered by name.
 */

/** A path in a document of one kind (`v1alpha1` for the main document) and what it is. */
export interface PathRule {
    kind: string;
    path: string;
    what: string;
}

const VOLUME_KINDS = ["VolumeConfig", "UserVolumeConfig", "RawVolumeConfig", "SwapVolumeConfig"];

/** Credential-bearing fields: never in a committed file. */
export const CREDENTIAL_FIELDS: readonly PathRule[] = [
    { kind: "v1alpha1", path: "machine.token", what: "the machine join token" },
    { kind: "v1alpha1", path: "machine.ca.key", what: "the machine CA's private key" },
    { kind: "v1alpha1", path: "machine.registries.config.*.auth", what: "registry credentials (username, password, auth, identityToken)" },
    { kind: "v1alpha1", path: "machine.registries.config.*.tls.clientIdentity.key", what: "a registry client key" },
    { kind: "v1alpha1", path: "machine.network.interfaces[].wireguard.privateKey", what: "a WireGuard private key" },
    { kind: "v1alpha1", path: "machine.network.interfaces[].vip.equinixMetal.apiToken", what: "an Equinix Metal API token" },
    { kind: "v1alpha1", path: "machine.network.interfaces[].vip.hcloud.apiToken", what: "a Hetzner Cloud API token" },
    { kind: "v1alpha1", path: "machine.network.interfaces[].vlans[].vip.equinixMetal.apiToken", what: "an Equinix Metal API token" },
    { kind: "v1alpha1", path: "machine.network.interfaces[].vlans[].vip.hcloud.apiToken", what: "a Hetzner Cloud API token" },
    { kind: "v1alpha1", path: "cluster.secret", what: "the cluster secret" },
    { kind: "v1alpha1", path: "cluster.token", what: "the cluster bootstrap token" },
    { kind: "v1alpha1", path: "cluster.aescbcEncryptionSecret", what: "the Secret encryption key (aescbc)" },
    { kind: "v1alpha1", path: "cluster.secretboxEncryptionSecret", what: "the Secret encryption key (secretbox)" },
    { kind: "v1alpha1", path: "cluster.ca.key", what: "the Kubernetes CA's private key" },
    { kind: "v1alpha1", path: "cluster.aggregatorCA.key", what: "the aggregator CA's private key" },
    { kind: "v1alpha1", path: "cluster.serviceAccount.key", what: "the service-account signing key" },
    { kind: "v1alpha1", path: "cluster.etcd.ca.key", what: "the etcd CA's private key" },
    ...VOLUME_KINDS.map((kind) => ({ kind, path: "encryption.keys[].static.passphrase", what: "a disk encryption passphrase" })),
    { kind: "SideroLinkConfig", path: "uniqueToken", what: "a SideroLink token" },
];

/**
 * Settings the platform generates from the stack config (or the machine secrets) and depends on.
 * A patch that changed them would render green and break the cluster, or silently disagree with
 * the stack file: change the stack config instead.
 */
export const PLATFORM_OWNED: readonly PathRule[] = [
    { kind: "v1alpha1", path: "machine.type", what: "the node's role, from platform:nodes[].role" },
    { kind: "v1alpha1", path: "machine.ca.crt", what: "the cluster PKI, from the machine secrets" },
    { kind: "v1alpha1", path: "machine.install.disk", what: "from platform:nodes[].installDisk" },
    { kind: "v1alpha1", path: "machine.install.diskSelector", what: "from platform:nodes[].installDiskSelector" },
    { kind: "v1alpha1", path: "machine.install.image", what: "the Image Factory installer, from platform:talos.schematic and platform:versions.talos" },
    { kind: "v1alpha1", path: "machine.network.hostname", what: "from platform:nodes[].hostname" },
    { kind: "v1alpha1", path: "machine.network.nameservers", what: "from platform:network.nameservers" },
    { kind: "v1alpha1", path: "machine.kubelet.nodeIP", what: "from platform:network.nodeCidr" },
    { kind: "v1alpha1", path: "machine.kubelet.image", what: "from platform:versions.kubernetes" },
    { kind: "v1alpha1", path: "machine.features.kubePrism", what: "Cilium reaches the API server through KubePrism" },
    { kind: "v1alpha1", path: "machine.features.hostDNS", what: "Cilium's values assume host DNS forwarding" },
    { kind: "v1alpha1", path: "cluster.id", what: "the cluster identity, from the machine secrets" },
    { kind: "v1alpha1", path: "cluster.clusterName", what: "from platform:cluster.name" },
    { kind: "v1alpha1", path: "cluster.controlPlane.endpoint", what: "the API endpoint, from platform:cluster.apiHost and apiPort" },
    { kind: "v1alpha1", path: "cluster.ca.crt", what: "the cluster PKI, from the machine secrets" },
    { kind: "v1alpha1", path: "cluster.network.cni", what: "the CNI stays none: this program installs Cilium" },
    { kind: "v1alpha1", path: "cluster.network.podSubnets", what: "from platform:network.podCidr" },
    { kind: "v1alpha1", path: "cluster.network.serviceSubnets", what: "from platform:network.serviceCidr" },
    { kind: "v1alpha1", path: "cluster.network.dnsDomain", what: "the FluxInstance and CoreDNS assume cluster.local" },
    { kind: "v1alpha1", path: "cluster.proxy", what: "kube-proxy stays disabled: Cilium replaces it" },
    { kind: "v1alpha1", path: "cluster.coreDNS", what: "Talos' CoreDNS stays disabled: this program installs CoreDNS" },
    { kind: "v1alpha1", path: "cluster.etcd.advertisedSubnets", what: "from platform:network.nodeCidr" },
    { kind: "v1alpha1", path: "cluster.apiServer.image", what: "from platform:versions.kubernetes" },
    { kind: "v1alpha1", path: "cluster.controllerManager.image", what: "from platform:versions.kubernetes" },
    { kind: "v1alpha1", path: "cluster.scheduler.image", what: "from platform:versions.kubernetes" },
    { kind: "HostnameConfig", path: "", what: "the hostname, from platform:nodes[].hostname" },
    { kind: "ResolverConfig", path: "", what: "the nameservers, from platform:network.nameservers" },
];

/** Talos ≥ 1.12 link documents: owned when they name bond0 or one of its member links. */
const LINK_KINDS = ["LinkConfig", "LinkAliasConfig", "BondConfig", "VLANConfig", "BridgeConfig", "DHCPv4Config", "DHCPv6Config", "EthernetConfig"];
const V1ALPHA1_TOP = ["version", "debug", "persist", "machine", "cluster"];
const SECRET_NAME = /(TOKEN|PASSW(OR)?D|SECRET|AUTH_?KEY|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/** What the rules need to know about the nodes a patch reaches. */
export interface PatchScope {
    /** Names and MACs of the bond member links. */
    links: { name: string; mac: string }[];
}

type Seg = string | number;

/** Checks every document of one patch file; `file` names it in the messages. */
export function checkPatchDocuments(docs: unknown[], file: string, scope: PatchScope, problems: Problems): void {
    docs.forEach((doc, i) => {
        const label = docs.length > 1 ? `document ${i + 1} ` : "";
        const add = (message: string) => problems.add(file, undefined, `${label}${message}`);
        if (doc === null || doc === undefined) return;
        if (Array.isArray(doc)) {
            add(
                "is a YAML list (an RFC 6902 JSON patch?), not a strategic-merge patch; pulumi-talos 0.7+ (Talos 1.12+) takes no RFC 6902 patches, so neither does this program: write the change as a YAML mapping such as `machine: {...}`, and use `$patch: delete` to remove a key",
            );
            return;
        }
        if (typeof doc !== "object") {
            add(`is a plain ${typeof doc}, not a patch: a strategic-merge patch is a YAML mapping such as \`machine: {...}\``);
            return;
        }
        const obj = doc as Record<string, unknown>;
        const kind = typeof obj.kind === "string" ? obj.kind : "v1alpha1";
        if (kind === "v1alpha1") {
            for (const key of Object.keys(obj).filter((k) => !V1ALPHA1_TOP.includes(k) && k !== "$patch")) {
                const guess = closest(key, V1ALPHA1_TOP);
                add(`has the top-level key ${key}, which a v1alpha1 machine config does not have (${guess ? `did you mean ${guess}?` : `keys: ${V1ALPHA1_TOP.join(", ")}`}); other documents need apiVersion and kind`);
            }
        }
        const credential = (path: string, what: string) =>
            add(
                `sets ${path}, ${what}. Patch files are committed to Git, so no credential may be in one, and this program does not support secret-bearing patches yet: remove it from the file (and rotate it if it was ever pushed)`,
            );
        const owned = (path: string, what: string) => add(`sets ${path}, which the platform owns (${what}); remove it from the patch and change the stack config instead`);

        for (const hit of matches(obj, CREDENTIAL_FIELDS, kind, false)) credential(hit.path, hit.rule.what);
        for (const hit of matches(obj, PLATFORM_OWNED, kind, true)) owned(hit.path, hit.rule.what);
        heuristics(obj, kind, scope, { credential, owned });
    });
}

/** Concrete paths of `doc` that set a rule's path (or, with `directives`, delete or replace an ancestor of it). */
function matches(doc: Record<string, unknown>, rules: readonly PathRule[], kind: string, directives: boolean): { path: string; rule: PathRule }[] {
    const out = new Map<string, { path: string; rule: PathRule }>();
    for (const rule of rules.filter((r) => r.kind === kind)) {
        const pattern = parsePattern(rule.path);
        visit(doc, [], (path, value) => {
            if (path.length >= pattern.length && pattern.every((p, i) => segMatches(p, path[i]))) {
                const at = format(path.slice(0, pattern.length));
                out.set(at, { path: at || kind, rule });
            } else if (directives && path.length < pattern.length && path.every((s, i) => segMatches(pattern[i], s)) && isDirective(value)) {
                const at = format(path);
                out.set(`${at}$`, { path: `${at || kind} (with $patch: ${String((value as Record<string, unknown>).$patch)})`, rule });
            }
        });
    }
    return [...out.values()];
}

/** Rules that look at values: bond0 and its links, Spegel's file, env names, URLs with credentials. */
function heuristics(doc: Record<string, unknown>, kind: string, scope: PatchScope, report: { credential: (p: string, w: string) => void; owned: (p: string, w: string) => void }): void {
    const names = new Set(["bond0", ...scope.links.map((l) => l.name)]);
    const macs = new Set(scope.links.map((l) => l.mac.toLowerCase()));
    const BOND = "bond0 and its member links are generated from platform:network.bond and platform:nodes[].links";
    visit(doc, [], (path, value) => {
        const at = format(path);
        const item = (value ?? {}) as Record<string, unknown>;
        if (kind === "v1alpha1" && at.match(/^machine\.network\.interfaces\[\d+\]$/)) {
            const selectors = [item.deviceSelector, ...(Array.isArray(item.deviceSelectors) ? item.deviceSelectors : [])] as (Record<string, unknown> | undefined)[];
            const selected = selectors.some((s) => s && [s.hardwareAddr, s.permanentAddr].some((m) => typeof m === "string" && macs.has(m.toLowerCase())));
            if ((typeof item.interface === "string" && names.has(item.interface)) || selected) report.owned(`${at} (${String(item.interface ?? "by MAC")})`, BOND);
        }
        if (kind === "v1alpha1" && at.match(/^machine\.files\[\d+\]$/) && item.path === CRI_CUSTOMIZATION_PATH) report.owned(`${at} (${CRI_CUSTOMIZATION_PATH})`, "Spegel's containerd setting, from platform:addons.spegel");
        if (path.length === 0 && LINK_KINDS.includes(kind) && typeof item.name === "string" && names.has(item.name)) {
            if (kind !== "EthernetConfig") report.owned(`${kind} ${item.name}`, BOND);
            else if (item.rings !== undefined) report.owned(`EthernetConfig ${item.name} rings`, "from platform:network.rings");
        }
        if (typeof value === "string" && hasUrlCredentials(value)) report.credential(at, "a URL with credentials in it");
        if (kind === "SideroLinkConfig" && at === "apiUrl" && typeof value === "string" && /[?&]jointoken=/i.test(value)) report.credential(at, "a URL with a join token in it");
        const envName = kind === "v1alpha1" && path.length === 3 && at.startsWith("machine.env.") ? String(path[2]) : kind === "ExtensionServiceConfig" && path[0] === "environment" && typeof value === "string" ? value.split("=")[0] : undefined;
        if (envName !== undefined && SECRET_NAME.test(envName)) report.credential(at, `the environment variable ${envName}, which by its name holds a credential`);
        if (kind === "v1alpha1" && path.length === 3 && at.startsWith("cluster.extraManifestHeaders.") && /authorization|token|key|secret|cookie/i.test(String(path[2]))) {
            report.credential(at, "a request header that carries credentials");
        }
        if (kind === "v1alpha1" && at.match(/^cluster\.inlineManifests\[\d+\]\.contents$/) && typeof value === "string" && /^kind:\s*Secret\s*$/m.test(value)) {
            report.credential(at, "a Kubernetes Secret manifest");
        }
    });
}

function visit(value: unknown, path: Seg[], fn: (path: Seg[], value: unknown) => void): void {
    fn(path, value);
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i], fn));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) if (k !== "$patch") visit(v, [...path, k], fn);
}

function isDirective(value: unknown): boolean {
    const d = value !== null && typeof value === "object" ? (value as Record<string, unknown>).$patch : undefined;
    return d === "delete" || d === "replace";
}

function parsePattern(path: string): string[] {
    return path === "" ? [] : path.replace(/\[\]/g, ".[]").split(".");
}

function segMatches(pattern: string, seg: Seg): boolean {
    if (pattern === "[]") return typeof seg === "number";
    if (pattern === "*") return typeof seg === "string";
    return pattern === seg;
}

/** machine.registries.config["ghcr.io"].auth */
function format(path: Seg[]): string {
    return path.map((s, i) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z0-9_-]+$/.test(s) ? `${i === 0 ? "" : "."}${s}` : `[${JSON.stringify(s)}]`)).join("");
}
