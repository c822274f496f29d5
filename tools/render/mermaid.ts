import type { RecordedResource, Recording } from "../engine/recording";

/**
 * The bring-up graph as a mermaid flowchart, generated from the registered dependencies: one box
 * per resource that does work (custom resources), one arrow per ordering, transitively reduced
 * (an arrow that another path already implies is left out). Components group their children.
 */
export function graphMermaid(recording: Recording): string {
    const nodes = recording.resources.filter((r) => r.custom).sort((a, b) => a.urn.localeCompare(b.urn));
    const id = new Map(nodes.map((r, i) => [r.urn, `r${i}`]));
    const before = new Map(nodes.map((r) => [r.urn, new Set([...recording.predecessors(r.urn)].filter((u) => id.has(u)))]));

    const lines = ["flowchart TD"];
    const byParent = new Map<string, RecordedResource[]>();
    for (const r of nodes) byParent.set(r.parent ?? "", [...(byParent.get(r.parent ?? "") ?? []), r]);
    for (const [parent, children] of [...byParent.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const box = (r: RecordedResource) => `${id.get(r.urn)}["${r.name}<br/><small>${shortType(r.type)}</small>"]`;
        if (parent === "") {
            children.forEach((r) => lines.push(`    ${box(r)}`));
            continue;
        }
        lines.push(`    subgraph ${parent.split("::").pop()}`);
        children.forEach((r) => lines.push(`        ${box(r)}`));
        lines.push("    end");
    }
    for (const r of nodes) {
        const preds = before.get(r.urn)!;
        for (const p of [...preds].sort()) {
            // Keep p → r only if no other predecessor of r already comes after p.
            const implied = [...preds].some((q) => q !== p && before.get(q)!.has(p));
            if (!implied) lines.push(`    ${id.get(p)} --> ${id.get(r.urn)}`);
        }
    }
    return `${lines.join("\n")}\n`;
}

function shortType(type: string): string {
    const kind = type.split(":").pop()!;
    if (type.startsWith("kubernetes:helm.sh")) return "Helm release";
    if (type === "pulumi-nodejs:dynamic:Resource") return "readiness gate";
    if (type.startsWith("pulumi:providers:")) return `${type.split(":").pop()} provider`;
    return kind;
}
