import { parseAllDocuments } from "yaml";
import type { CrdBundle } from "../model";

/** A CustomResourceDefinition as applied (without server-side fields). */
export interface CrdObject {
    apiVersion: "apiextensions.k8s.io/v1";
    kind: "CustomResourceDefinition";
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
}

/**
 * Parses an upstream CRD bundle. Bundles are applied with cluster-admin rights, so anything but
 * CustomResourceDefinitions is refused rather than applied: a bundle that suddenly ships a
 * Deployment or a webhook is a change to review, not to install.
 */
export function parseCrdBundle(bundle: CrdBundle, text: string): CrdObject[] {
    const problems: string[] = [];
    const crds: CrdObject[] = [];
    parseAllDocuments(text).forEach((doc, i) => {
        if (doc.errors.length > 0) {
            problems.push(`document ${i + 1} is not valid YAML (${doc.errors[0].message.split("\n")[0]})`);
            return;
        }
        const obj = doc.toJS() as Record<string, any> | null;
        if (obj === null) return; // empty document between separators
        if (obj.apiVersion !== "apiextensions.k8s.io/v1" || obj.kind !== "CustomResourceDefinition") {
            problems.push(`document ${i + 1} is a ${obj.kind ?? "document without kind"} (${obj.apiVersion ?? "no apiVersion"}), not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
            return;
        }
        const name = obj.metadata?.name;
        if (typeof name !== "string" || name === "") {
            problems.push(`document ${i + 1} has no metadata.name`);
            return;
        }
        const { labels, annotations } = obj.metadata as CrdObject["metadata"];
        crds.push({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
            spec: obj.spec,
        });
    });
    if (crds.length === 0 && problems.length === 0) problems.push("it contains no CustomResourceDefinition");
    if (problems.length > 0) {
        throw new Error(`CRD bundle ${bundle.name} (${bundle.url}) is refused: ${problems.join("; ")}`);
    }
    return crds;
}
