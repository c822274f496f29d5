import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import type { Evaluation } from "../tools/engine/engine";
import type { Recording, RecordedResource } from "../tools/engine/recording";
import { ROOT, runStack } from "./harness";

/**
 * The README's hand-off section ("After the hand-off") against what the program registers: its
 * table lists exactly the releases whose values are published, with their namespaces, the
 * cluster-settings keys of their charts and the published objects; its example HelmRelease parses
 * and, substituted with the real cluster-settings, adopts the real Cilium release.
 */

const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = /^### After the hand-off\n[\s\S]*?(?=\n## )/m.exec(readme)?.[0] ?? "";

type Metadata = { name: string; namespace?: string };
const meta = (r: RecordedResource) => r.inputs.metadata as Metadata;
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** The published object of `type` for a release, if any. */
const publishedOf = (rec: Recording, type: string, release: RecordedResource) =>
    rec.ofType(type).find((r) => meta(r).name === `${String(release.inputs.name)}-values` && meta(r).namespace === release.inputs.namespace);

/** The cluster-settings prefix whose chart keys name exactly this release's chart and version. */
function chartPrefix(settings: Record<string, string>, release: RecordedResource): string {
    const { chart, version, repositoryOpts } = release.inputs as { chart: string; version: string; repositoryOpts?: { repo: string } };
    const reference = repositoryOpts ? `${repositoryOpts.repo} ${chart}` : chart;
    const hits = Object.keys(settings)
        .filter((k) => k.endsWith("_CHART_VERSION") && settings[k] === version)
        .map((k) => k.slice(0, -"_CHART_VERSION".length))
        .filter((p) => (repositoryOpts ? `${settings[`${p}_CHART_REPOSITORY`]} ${settings[`${p}_CHART`]}` : `${settings[`${p}_CHART_REPOSITORY`]}/${settings[`${p}_CHART`]}`) === reference);
    if (hits.length !== 1) throw new Error(`release ${String(release.inputs.name)}: ${hits.length} chart prefixes in cluster-settings`);
    return hits[0];
}

interface Row {
    release: string;
    namespace: string;
    keys: string[];
    type: string;
    valuesFrom: string;
}

/** The rows of the section's release table. */
function tableRows(): Row[] {
    const lines = section.split("\n");
    const header = lines.findIndex((l) => l.startsWith("| Release | Namespace |"));
    const rows: Row[] = [];
    for (const line of lines.slice(header + 2)) {
        if (!line.startsWith("|")) break;
        const cells = line.split("|").slice(1, -1).map((c) => c.trim());
        rows.push({ release: cells[0].replace(/`/g, ""), namespace: cells[1].replace(/`/g, ""), keys: [...cells[2].matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]), type: cells[3], valuesFrom: cells[4] });
    }
    return rows;
}

/** The section's example: the YAML block with the HelmRelease. */
function example(): Record<string, any>[] {
    const block = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("kind: HelmRelease"));
    if (!block) throw new Error("no example HelmRelease in the hand-off section");
    return parseAllDocuments(block).map((d) => {
        if (d.errors.length > 0) throw d.errors[0];
        return d.toJS() as Record<string, any>;
    });
}

/** Flux's postBuild substitution of `${VAR}` with cluster-settings (every variable must exist). */
function substitute(value: unknown, settings: Record<string, string>, missing: string[]): unknown {
    if (typeof value === "string") return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => (name in settings ? settings[name] : (missing.push(name), "")));
    if (Array.isArray(value)) return value.map((v) => substitute(v, settings, missing));
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, settings, missing)]));
    return value;
}

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
    for (const stack of ["infra", "apps"]) evaluations[stack] = await runStack(stack);
});

describe.each(["infra", "apps"])("the hand-off section against stack %s", (stack) => {
    const rec = () => evaluations[stack].recording;
    const settingsMap = () => rec().find(`${stack}-flux-cluster-settings`);
    const settings = () => settingsMap().inputs.data as Record<string, string>;

    test("its table lists exactly the published releases: namespace, chart keys, repository type, the objects valuesFrom names", () => {
        const expected: Row[] = rec()
            .ofType(RELEASE)
            .map((release) => {
                const name = String(release.inputs.name);
                const prefix = chartPrefix(settings(), release);
                expect(publishedOf(rec(), "kubernetes:core/v1:ConfigMap", release)).toBeDefined();
                const secret = publishedOf(rec(), "kubernetes:core/v1:Secret", release) !== undefined;
                return {
                    release: name,
                    namespace: String(release.inputs.namespace),
                    keys: [`${prefix}_CHART`, `${prefix}_CHART_REPOSITORY`, `${prefix}_CHART_VERSION`],
                    type: String(release.inputs.chart).startsWith("oci://") ? "oci" : "default",
                    valuesFrom: secret ? `ConfigMap and Secret \`${name}-values\`` : `ConfigMap \`${name}-values\``,
                };
            });
        const byName = (a: Row, b: Row) => a.release.localeCompare(b.release);
        expect(tableRows().sort(byName)).toEqual(expected.sort(byName));
    });

    test("its example HelmRelease adopts the Cilium release: same name, namespace and storage, both published objects", () => {
        const cilium = rec().ofType(RELEASE).find((r) => r.inputs.name === "cilium")!;
        const release = example().find((d) => d.kind === "HelmRelease")!;
        expect(release.metadata).toEqual({ name: cilium.inputs.name, namespace: cilium.inputs.namespace });
        expect(release.spec.releaseName).toBe(cilium.inputs.name);
        // Neither moves the release nor its storage: both default to the HelmRelease's namespace.
        expect([release.spec.targetNamespace, release.spec.storageNamespace]).toEqual([undefined, undefined]);
        const kinds = { ConfigMap: "kubernetes:core/v1:ConfigMap", Secret: "kubernetes:core/v1:Secret" } as const;
        expect(release.spec.valuesFrom.map((v: { kind: string }) => v.kind)).toEqual(["ConfigMap", "Secret"]);
        for (const ref of release.spec.valuesFrom as { kind: keyof typeof kinds; name: string; valuesKey: string }[]) {
            const object = publishedOf(rec(), kinds[ref.kind], cilium);
            expect({ ref, exists: object !== undefined && meta(object).name === ref.name }).toEqual({ ref, exists: true });
            expect(Object.keys((object!.inputs.data ?? object!.inputs.stringData) as object)).toEqual([ref.valuesKey]);
        }
        // Helm's wait, as the bootstrap release has it.
        expect(release.spec.upgrade.disableWait === true).toBe(cilium.inputs.skipAwait === true);
    });

    test("substituted with the real cluster-settings, the example names the Cilium release's chart, repository and version", () => {
        const cilium = rec().ofType(RELEASE).find((r) => r.inputs.name === "cilium")!;
        const missing: string[] = [];
        const docs = example().map((d) => substitute(d, settings(), missing) as Record<string, any>);
        expect(missing).toEqual([]);
        expect(example().some((d) => JSON.stringify(d).includes("${CILIUM_CHART_VERSION}"))).toBe(true);
        const release = docs.find((d) => d.kind === "HelmRelease")!;
        const chart = release.spec.chart.spec;
        const repository = docs.find((d) => d.kind === chart.sourceRef.kind && d.metadata.name === chart.sourceRef.name)!;
        expect(repository.metadata.namespace).toBe(release.metadata.namespace);
        expect({ chart: chart.chart, version: chart.version, url: repository.spec.url, type: repository.spec.type }).toEqual({
            chart: cilium.inputs.chart,
            version: cilium.inputs.version,
            url: (cilium.inputs.repositoryOpts as { repo: string }).repo,
            type: undefined,
        });
    });

    test("the example's Kustomization substitutes from the program's cluster-settings, in its namespace", () => {
        const kustomization = example().find((d) => d.kind === "Kustomization")!;
        expect(kustomization.spec.postBuild.substituteFrom).toEqual([{ kind: "ConfigMap", name: meta(settingsMap()).name }]);
        expect(kustomization.metadata.namespace).toBe(meta(settingsMap()).namespace);
    });
});
