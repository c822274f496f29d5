import { createHash } from "crypto";
import { parseAllDocuments } from "yaml";

/**
 * A rendered machine configuration cut into sections, each with a digest, so that a change can be
 * described (which sections changed) and classified (does it need a reboot) without showing the
 * configuration itself, which holds the cluster's secrets.
 */

/**
 * Sections of the v1alpha1 document that Talos applies without a reboot: its own rule
 * (`CanApplyImmediate`, internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_runtime.go, v1.11)
 * copies exactly these from the running config onto the new one and reboots for any other difference.
 * Documents other than v1alpha1 (EthernetConfig, ...) are not part of that rule.
 */
const IMMEDIATE = new Set([
    "debug",
    "cluster",
    "machine.ca",
    "machine.acceptedCAs",
    "machine.time",
    "machine.certSANs",
    "machine.install",
    "machine.network",
    "machine.sysfs",
    "machine.sysctls",
    "machine.logging",
    "machine.controlplane",
    "machine.kubelet",
    "machine.kernel",
    "machine.registries",
    "machine.pods",
    "machine.seccompProfiles",
    "machine.nodeAnnotations",
    "machine.nodeLabels",
    "machine.nodeTaints",
    "machine.features.kubernetesTalosAPIAccess",
    "machine.features.kubePrism",
    "machine.features.hostDNS",
    "machine.features.imageCache",
    "machine.features.nodeAddressSortAlgorithm",
]);

/** A short, stable digest of any JSON-able value. */
export function digest(value: unknown): string {
    return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.keys(value as object)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
        return `{${entries.join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

/**
 * The sections of a (multi-document) machine configuration with their digests: `machine.<key>`
 * (and `machine.features.<key>`), `cluster`, `debug` and `version` for the v1alpha1 document;
 * `<Kind>/<name>` (or `<Kind>` when unnamed) for every other document.
 */
export function configSections(yamlText: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const doc of parseAllDocuments(yamlText)) {
        const obj = doc.toJS() as Record<string, unknown> | null;
        if (obj === null || typeof obj !== "object") continue;
        if (typeof obj.kind === "string") {
            out[typeof obj.name === "string" && obj.name !== "" ? `${obj.kind}/${obj.name}` : obj.kind] = digest(obj);
            continue;
        }
        for (const [key, value] of Object.entries(obj)) {
            if (key !== "machine" || value === null || typeof value !== "object") {
                out[key] = digest(value);
                continue;
            }
            for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
                if (mk === "features" && mv !== null && typeof mv === "object") {
                    for (const [fk, fv] of Object.entries(mv as Record<string, unknown>)) out[`machine.features.${fk}`] = digest(fv);
                } else {
                    out[`machine.${mk}`] = digest(mv);
                }
            }
        }
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The sections whose digest differs between two summaries (added and removed ones included). */
export function changedSections(before: Record<string, string>, after: Record<string, string>): string[] {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** True if Talos applies a change of this section without a reboot. */
export function appliesImmediately(section: string): boolean {
    if (/^[A-Z]/.test(section)) return true; // a document other than v1alpha1 (named by its kind)
    return IMMEDIATE.has(section);
}

/** A rendered configuration summarised for the rollout: the whole one's digest and each section's. */
export function summarizeConfig(yamlText: string): { hash: string; sections: Record<string, string> } {
    return { hash: createHash("sha256").update(yamlText).digest("hex").slice(0, 16), sections: configSections(yamlText) };
}
