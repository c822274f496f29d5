import { stringify } from "yaml";
import type { Evaluation, StackOutputs } from "../engine/engine";
import type { RecordedResource } from "../engine/recording";
import { graphMermaid } from "./mermaid";
import { redact } from "./redact";
import { rolloutTarget, talosFiles } from "./talos";

/**
 * Turns an offline evaluation into reviewable files: what each node and each chart receives,
 * every other Kubernetes object, the resource graph, the outputs. Pure and
 * deterministic: the same evaluation gives byte-identical files.
 */

/** Relative path → file content. */
export type Artifacts = Map<string, string>;

const RELEASE = "kubernetes:helm.sh/v3:Release";

const yaml = (v: unknown) => stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const byUrn = (a: RecordedResource, b: RecordedResource) => a.urn.localeCompare(b.urn);

/** The files for one stack. */
export function renderArtifacts(stack: string, ev: Evaluation, warnings: string[]): Artifacts {
    const out: Artifacts = new Map();
    const resources = [...ev.recording.resources].sort(byUrn);

    for (const [file, content] of talosFiles(ev.recording)) out.set(file, content);
    const target = rolloutTarget(ev.recording);
    if (target) out.set("rollout.json", json(target));

    for (const r of resources.filter((x) => x.type === RELEASE)) {
        const i = r.rawInputs as Record<string, any>;
        const values = redact(i.values ?? {}, "values");
        out.set(
            `helm/${String(i.name)}.yaml`,
            yaml({ name: i.name, namespace: i.namespace, chart: i.chart, repo: i.repositoryOpts?.repo ?? null, version: i.version, values }),
        );
    }

    for (const r of resources.filter((x) => x.custom && !x.read && x.type.startsWith("kubernetes:") && x.type !== RELEASE)) {
        const obj = redact(r.rawInputs, "") as { kind?: string; metadata?: { name?: string; namespace?: string } };
        out.set(`manifests/${obj.kind}_${obj.metadata?.namespace ?? ""}_${obj.metadata?.name ?? r.name}.yaml`, yaml(obj));
    }

    out.set(
        "graph.json",
        json(
            resources.map((r) => ({
                urn: r.urn,
                type: r.type,
                name: r.name,
                parent: r.parent ?? null,
                provider: r.provider ?? null,
                dependsOn: [...r.dependencies].sort(),
                deletedWith: r.deletedWith ?? null,
                protect: r.protect,
                retainOnDelete: r.retainOnDelete,
                customTimeouts: r.customTimeouts ?? null,
            })),
        ),
    );
    out.set("graph.mmd", graphMermaid(ev.recording));

    const outputs = Object.fromEntries(Object.keys(ev.outputs).sort().map((k) => [k, ev.outputs[k].secret ? "[secret]" : ev.outputs[k].value]));
    out.set("outputs.json", json(outputs));
    out.set("stack-reference.json", json(stackReference(ev)));
    out.set("summary.md", summary(stack, resources, warnings, [...out.keys()]));
    return out;
}

/**
 * What a StackReference to this stack would read, for rendering a stack that references it
 * (`--ref`). Offline every value is fake: secrets are placeholders or the offline engine's fakes.
 */
function stackReference(ev: Evaluation): StackOutputs {
    const keys = Object.keys(ev.outputs).sort();
    return { outputs: Object.fromEntries(keys.map((k) => [k, ev.outputs[k].value])), secretOutputNames: keys.filter((k) => ev.outputs[k].secret) };
}

function summary(stack: string, resources: RecordedResource[], warnings: string[], files: string[]): string {
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const phases = resources.filter((r) => !r.parent && !r.read && !r.custom);
    const descendants = (urn: string): number => resources.filter((r) => r.parent === urn).reduce((n, r) => n + 1 + descendants(r.urn), 0);
    const lines = [
        `# Offline render of stack \`${stack}\``,
        "",
        "Produced by `npm run render` from the real program under the offline engine: no cluster, no",
        "credentials. Secret values appear as `FAKE-SECRET(<path>)` or `[secret]`.",
        "",
        "## Warnings",
        "",
        ...(warnings.length ? warnings.map((w) => `- ${w}`) : ["- none"]),
        "",
        "## Phases",
        "",
        "| Component | Resources |",
        "| --- | --- |",
        ...phases.map((p) => `| ${p.name} (\`${p.type}\`) | ${descendants(p.urn)} |`),
        "",
        "## Resources by type",
        "",
        "| Type | Count |",
        "| --- | --- |",
        ...[...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `| \`${t}\` | ${n} |`),
        `| **total** | **${resources.length}** |`,
        "",
        "## Files",
        "",
        ...files.sort().map((f) => `- \`${f}\``),
        "",
    ];
    return lines.join("\n");
}
