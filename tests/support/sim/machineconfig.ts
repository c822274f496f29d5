/**
 * Machine configuration handling for the sim: parsing multi-document Talos configs, the
 * `CanApplyImmediate` rule (SOURCES.md §10), unified diffs for apply-config output, installer
 * image references, and the Kubernetes image rewrites `upgrade-k8s` performs.
 */
import YAML from "yaml";

/** The schematic id of the plain (no customization) Image Factory image. */
export const VANILLA_SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface ParsedConfig {
    docs: JsonObject[];
    /** The `version: v1alpha1` document (machine/cluster). */
    v1alpha1: JsonObject | undefined;
}

export class ConfigError extends Error {}

export function parseConfig(text: string): ParsedConfig {
    const docs: JsonObject[] = [];
    for (const doc of YAML.parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new ConfigError(`failed to parse config: ${doc.errors[0]!.message.split("\n")[0]}`);
        const js = doc.toJS() as unknown;
        if (js === null || js === undefined) continue;
        if (typeof js !== "object" || Array.isArray(js)) throw new ConfigError("failed to parse config: missing kind");
        docs.push(js as JsonObject);
    }
    let v1alpha1: JsonObject | undefined;
    for (const d of docs) {
        if (d["version"] === "v1alpha1" && d["kind"] === undefined) {
            if (v1alpha1) throw new ConfigError("failed to parse config: duplicate v1alpha1 document");
            v1alpha1 = d;
        } else if (typeof d["kind"] !== "string") throw new ConfigError("failed to parse config: missing kind");
    }
    return { docs, v1alpha1 };
}

function isObject(v: Json | undefined): v is JsonObject {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function getPath(obj: Json | undefined, path: string[]): Json | undefined {
    let cur: Json | undefined = obj;
    for (const p of path) {
        if (!isObject(cur)) return undefined;
        cur = cur[p];
    }
    return cur;
}

export function setPath(obj: JsonObject, path: string[], value: Json | undefined): void {
    let cur: JsonObject = obj;
    for (const p of path.slice(0, -1)) {
        const next = cur[p];
        if (!isObject(next)) {
            if (value === undefined) return;
            cur[p] = {};
        }
        cur = cur[p] as JsonObject;
    }
    const last = path[path.length - 1]!;
    if (value === undefined) delete cur[last];
    else cur[last] = value;
}

/** Drop nulls, empty maps and empty lists, so "absent" and "empty" compare equal (Go zero values). */
export function normalize(v: Json | undefined): Json | undefined {
    if (v === null || v === undefined) return undefined;
    if (Array.isArray(v)) {
        const items = v.map((x) => normalize(x) ?? null);
        return items.length === 0 ? undefined : items;
    }
    if (isObject(v)) {
        const out: JsonObject = {};
        for (const k of Object.keys(v).sort()) {
            const n = normalize(v[k]);
            if (n !== undefined) out[k] = n;
        }
        return Object.keys(out).length === 0 ? undefined : out;
    }
    return v;
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
    return JSON.stringify(normalize(a) ?? null) === JSON.stringify(normalize(b) ?? null);
}

/** Sections `CanApplyImmediate` copies from the running config before comparing (v1.11 runtime). */
export const IMMEDIATE_SECTIONS: string[][] = [
    ["debug"],
    ["cluster"],
    ["machine", "ca"],
    ["machine", "acceptedCAs"],
    ["machine", "time"],
    ["machine", "certSANs"],
    ["machine", "install"],
    ["machine", "network"],
    ["machine", "sysfs"],
    ["machine", "sysctls"],
    ["machine", "logging"],
    ["machine", "controlPlane"],
    ["machine", "kubelet"],
    ["machine", "kernel"],
    ["machine", "registries"],
    ["machine", "pods"],
    ["machine", "seccompProfiles"],
    ["machine", "nodeAnnotations"],
    ["machine", "nodeLabels"],
    ["machine", "nodeTaints"],
    ["machine", "features", "kubernetesTalosAPIAccess"],
    ["machine", "features", "kubePrism"],
    ["machine", "features", "hostDNS"],
    ["machine", "features", "imageCache"],
    ["machine", "features", "nodeAddressSortAlgorithm"],
];

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null)) as T;

/**
 * `CanApplyImmediate`: copy the allowed sections of the current v1alpha1 document onto the new
 * one; any remaining difference needs a reboot. Returns undefined when the change applies
 * immediately, otherwise the error text (with the diff of what remains).
 */
export function canApplyImmediate(current: JsonObject | undefined, next: JsonObject | undefined): string | undefined {
    const cur = clone(current ?? {});
    const nw = clone(next ?? {});
    for (const path of IMMEDIATE_SECTIONS) setPath(nw, path, clone(getPath(cur, path)) ?? undefined);
    if (deepEqual(cur, nw)) return undefined;
    const diff = unifiedDiff(YAML.stringify(normalize(cur) ?? {}, { indent: 4 }), YAML.stringify(normalize(nw) ?? {}, { indent: 4 }));
    return `this config change can't be applied in immediate mode\ndiff:\n${diff}`;
}

/** Whether two whole configs (all documents) are semantically equal. */
export function configsEqual(a: ParsedConfig, b2: ParsedConfig): boolean {
    return deepEqual(a.docs as Json, b2.docs as Json);
}

/** A unified diff (3 lines of context) of two texts, `--- a` / `+++ b` headers. */
export function unifiedDiff(a: string, b2: string): string {
    const x = a.split("\n");
    const y = b2.split("\n");
    if (x[x.length - 1] === "") x.pop();
    if (y[y.length - 1] === "") y.pop();
    // LCS table
    const n = x.length;
    const m = y.length;
    const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    type Op = { t: " " | "-" | "+"; line: string; ai: number; bi: number };
    const ops: Op[] = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && x[i] === y[j]) ops.push({ t: " ", line: x[i]!, ai: i++, bi: j++ });
        else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ t: "-", line: x[i]!, ai: i++, bi: j });
        else ops.push({ t: "+", line: y[j]!, ai: i, bi: j++ });
    }
    const out: string[] = ["--- a", "+++ b"];
    const ranges: [number, number][] = [];
    ops.forEach((o, idx) => {
        if (o.t === " ") return;
        const from = Math.max(0, idx - 3);
        const to = Math.min(ops.length, idx + 4);
        const last = ranges[ranges.length - 1];
        if (last && from <= last[1]) last[1] = Math.max(last[1], to);
        else ranges.push([from, to]);
    });
    for (const [from, to] of ranges) {
        const hunk = ops.slice(from, to);
        const aLen = hunk.filter((o) => o.t !== "+").length;
        const bLen = hunk.filter((o) => o.t !== "-").length;
        const aStart = hunk[0]!.ai;
        const bStart = hunk[0]!.bi;
        out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
        for (const o of hunk) out.push(`${o.t}${o.line}`);
    }
    return out.join("\n") + "\n";
}

/** An installer image reference: version from the tag, schematic from the factory path. */
export interface InstallerImage {
    image: string;
    version: string;
    schematic: string;
}

/**
 * `factory.talos.dev/installer/<schematic>:<tag>` (also `metal-installer`, `installer-secureboot`,
 * …) → that schematic; `ghcr.io/siderolabs/installer:<tag>` → the vanilla schematic.
 */
export function parseInstallerImage(image: string): InstallerImage | undefined {
    const m = /^(.+?):(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(image.trim());
    if (!m) return undefined;
    const repo = m[1]!;
    const schem = /\/([0-9a-f]{64})$/.exec(repo);
    return { image, version: m[2]!, schematic: schem ? schem[1]! : VANILLA_SCHEMATIC };
}

export function factoryInstaller(schematic: string, version: string): string {
    return schematic === VANILLA_SCHEMATIC ? `ghcr.io/siderolabs/installer:${version}` : `factory.talos.dev/installer/${schematic}:${version}`;
}

/** A minimal but realistic machine config for a sim node. */
export function defaultMachineConfig(o: { hostname: string; ip: string; role: "controlplane" | "worker"; talos: string; schematic: string; kubernetes: string; clusterName: string; endpoint: string }): string {
    const k = o.kubernetes.replace(/^v/, "");
    const cfg: JsonObject = {
        version: "v1alpha1",
        debug: false,
        persist: true,
        machine: {
            type: o.role,
            token: "simtok.0123456789abcdef",
            certSANs: [o.ip],
            kubelet: { image: `ghcr.io/siderolabs/kubelet:v${k}`, defaultRuntimeSeccompProfileEnabled: true, disableManifestsDirectory: true },
            network: { hostname: o.hostname, interfaces: [{ interface: "eth0", addresses: [`${o.ip}/24`] }] },
            install: { disk: "/dev/sda", image: factoryInstaller(o.schematic, o.talos), wipe: false },
            features: { rbac: true, stableHostname: true, apidCheckExtKeyUsage: true, diskQuotaSupport: true, kubePrism: { enabled: true, port: 7445 } },
        },
        cluster: {
            clusterName: o.clusterName,
            controlPlane: { endpoint: o.endpoint },
            network: { dnsDomain: "cluster.local", podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.96.0.0/12"] },
            ...(o.role === "controlplane"
                ? {
                      apiServer: { image: `registry.k8s.io/kube-apiserver:v${k}` },
                      controllerManager: { image: `registry.k8s.io/kube-controller-manager:v${k}` },
                      scheduler: { image: `registry.k8s.io/kube-scheduler:v${k}` },
                      etcd: { image: "gcr.io/etcd-development/etcd:v3.6.5" },
                  }
                : {}),
            proxy: { image: `registry.k8s.io/kube-proxy:v${k}` },
        },
    };
    return YAML.stringify(cfg, { indent: 4 });
}

/** The kubelet version a config asks for (`machine.kubelet.image` tag), if any. */
export function kubeletVersionOf(config: ParsedConfig): string | undefined {
    const img = getPath(config.v1alpha1, ["machine", "kubelet", "image"]);
    if (typeof img !== "string") return undefined;
    const m = /:v?(\d+\.\d+\.\d+)$/.exec(img);
    return m ? m[1] : undefined;
}

/** Rewrite the Kubernetes component image tags of a config (what upgrade-k8s patches). */
export function setKubernetesImages(text: string, version: string, components: ("kubelet" | "apiServer" | "controllerManager" | "scheduler" | "proxy")[]): string {
    const docs = YAML.parseAllDocuments(text);
    const v = version.replace(/^v/, "");
    for (const doc of docs) {
        const js = doc.toJS() as JsonObject | null;
        if (!js || js["version"] !== "v1alpha1") continue;
        const paths: Record<string, [string[], string]> = {
            kubelet: [["machine", "kubelet", "image"], "ghcr.io/siderolabs/kubelet"],
            apiServer: [["cluster", "apiServer", "image"], "registry.k8s.io/kube-apiserver"],
            controllerManager: [["cluster", "controllerManager", "image"], "registry.k8s.io/kube-controller-manager"],
            scheduler: [["cluster", "scheduler", "image"], "registry.k8s.io/kube-scheduler"],
            proxy: [["cluster", "proxy", "image"], "registry.k8s.io/kube-proxy"],
        };
        for (const c of components) {
            const [path, repoDefault] = paths[c]!;
            const cur = doc.getIn(path) as unknown;
            const repo = typeof cur === "string" ? cur.replace(/:[^:/]+$/, "") : repoDefault;
            doc.setIn(path, `${repo}:v${v}`);
        }
    }
    return docs.map((d) => d.toString({ indent: 4 })).join("");
}

/** Apply `--config-patch` strategic-merge patches (YAML/JSON maps merged recursively, lists replaced). */
export function applyPatches(text: string, patches: string[]): string {
    if (patches.length === 0) return text;
    const cfg = parseConfig(text);
    if (!cfg.v1alpha1) throw new ConfigError("failed to apply patch: no v1alpha1 document");
    const merge = (dst: JsonObject, src: JsonObject) => {
        for (const [k, v] of Object.entries(src)) {
            const cur = dst[k];
            if (isObject(v) && isObject(cur)) merge(cur, v);
            else if (v === null) delete dst[k];
            else dst[k] = clone(v);
        }
    };
    for (const p of patches) {
        const parsed = YAML.parse(p) as unknown;
        if (!isObject(parsed as Json)) throw new ConfigError("failed to apply patch: patch is not a map");
        merge(cfg.v1alpha1, parsed as JsonObject);
    }
    return cfg.docs.map((d) => YAML.stringify(d, { indent: 4 })).join("---\n");
}
