import { isMap, isScalar, isSeq, parse, parseDocument, Scalar } from "yaml";
import { mergeValues, type ValuesPath } from "../planners/published-values";
import type { Evaluation } from "../tools/engine/engine";
import { secretPaths, type Recording, type RecordedResource } from "../tools/engine/recording";
import { runStack } from "./harness";

/**
 * Every Helm release the program installs publishes the values it got, for the Flux HelmRelease
 * that adopts it (README, "After the hand-off"). Checked against the recording: what the Helm
 * release really received, which of its leaves were secret, and what the cluster gets.
 */

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";

type Metadata = { name: string; namespace: string; labels?: Record<string, string> };
const meta = (r: RecordedResource) => r.inputs.metadata as Metadata;

/** The objects of `type` named `<release>-values` in the release's namespace. */
function published(rec: Recording, type: string, release: RecordedResource): RecordedResource[] {
    return rec.ofType(type).filter((r) => meta(r).name === `${String(release.inputs.name)}-values` && meta(r).namespace === release.inputs.namespace);
}

/** The secret leaves of a release's values, as the engine received them (`tls.ca.key` → [tls, ca, key]). */
const secretLeaves = (release: RecordedResource): ValuesPath[] => secretPaths(release.rawInputs.values).map((p) => (p === "." ? [] : p.split(".")));

/**
 * `values` without what is at each path: the value itself, or the first list on the way to it (a
 * list goes whole), and without a map that only the removal left empty.
 */
function without(values: unknown, paths: ValuesPath[]): unknown {
    const drop = (v: unknown, path: ValuesPath): unknown => {
        if (path.length === 0 || Array.isArray(v)) return undefined;
        if (v === null || typeof v !== "object" || !(String(path[0]) in v)) return v;
        const { [String(path[0])]: child, ...rest } = v as Record<string, unknown>;
        const kept = drop(child, path.slice(1));
        const emptied = kept !== null && typeof kept === "object" && !Array.isArray(kept) && Object.keys(kept).length === 0 && Object.keys(child as object).length > 0;
        return kept === undefined || emptied ? rest : { ...rest, [String(path[0])]: kept };
    };
    return paths.reduce(drop, values);
}

/** Every scalar of a parsed text that is a string in `value` and is not quoted, or the other way round. */
function misquoted(node: unknown, value: unknown, path: string[] = []): string[] {
    const quoted = (s: Scalar) => s.type === Scalar.QUOTE_DOUBLE || s.type === Scalar.QUOTE_SINGLE;
    if (isMap(node)) {
        return node.items.flatMap((pair) => {
            const key = isScalar(pair.key) ? String(pair.key.value) : "?";
            const keyError = isScalar(pair.key) && quoted(pair.key) ? [] : [`key ${[...path, key].join(".")}`];
            return keyError.concat(misquoted(pair.value, (value as Record<string, unknown>)?.[key], [...path, key]));
        });
    }
    if (isSeq(node)) return node.items.flatMap((item, i) => misquoted(item, (value as unknown[])?.[i], [...path, String(i)]));
    return isScalar(node) && quoted(node) === (typeof value === "string") ? [] : [path.join(".")];
}

const at = (v: unknown, path: ValuesPath): unknown => path.reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[String(k)] : undefined), v);
const text = (r: RecordedResource, field: "data" | "stringData") => (r.inputs[field] as Record<string, string>)["values.yaml"];

const evaluations: Record<string, Evaluation> = {};
beforeAll(async () => {
    for (const stack of ["infra", "apps"]) evaluations[stack] = await runStack(stack);
});

describe.each(["infra", "apps"])("stack %s", (stack) => {
    const rec = () => evaluations[stack].recording;
    const releases = () => rec().ofType(RELEASE);

    test("every Helm release has a ConfigMap <release>-values in its namespace, key values.yaml, labelled for helm-controller to watch", () => {
        expect(releases().length).toBeGreaterThanOrEqual(9);
        for (const release of releases()) {
            const maps = published(rec(), CONFIG_MAP, release);
            expect({ release: release.inputs.name, count: maps.length }).toEqual({ release: release.inputs.name, count: 1 });
            expect(Object.keys(maps[0].inputs.data as object)).toEqual(["values.yaml"]);
            expect(meta(maps[0]).labels).toEqual({ "reconcile.fluxcd.io/watch": "Enabled" });
        }
        // And none for anything else.
        const names = rec().ofType(CONFIG_MAP).map(meta).filter((m) => m.name.endsWith("-values"));
        expect(names.length).toBe(releases().length);
    });

    test("a Secret of the same name exists exactly where the values hold secret leaves, its data secret", () => {
        const withSecrets = releases().filter((r) => secretLeaves(r).length > 0);
        expect(withSecrets.map((r) => r.inputs.name)).toEqual(["cilium"]);
        for (const release of releases()) {
            const secrets = published(rec(), SECRET, release);
            expect({ release: release.inputs.name, secrets: secrets.length }).toEqual({ release: release.inputs.name, secrets: withSecrets.includes(release) ? 1 : 0 });
            for (const s of secrets) {
                expect(Object.keys(s.inputs.stringData as object)).toEqual(["values.yaml"]);
                // The Kubernetes SDK marks the whole stringData secret; the text is secret either way.
                const paths = secretPaths(s.rawInputs);
                expect(paths.length).toBeGreaterThan(0);
                for (const p of paths) expect(["stringData", "stringData.values.yaml"]).toContain(p);
                expect(s.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
                expect(meta(s).labels).toEqual({ "reconcile.fluxcd.io/watch": "Enabled" });
            }
        }
    });

    test("ConfigMap and Secret, merged as helm-controller merges valuesFrom, are exactly the values the release got", () => {
        for (const release of releases()) {
            const [map] = published(rec(), CONFIG_MAP, release);
            const [secret] = published(rec(), SECRET, release);
            const merged = mergeValues(parse(text(map, "data")), secret ? parse(text(secret, "stringData")) : {});
            expect({ release: release.inputs.name, values: merged }).toEqual({ release: release.inputs.name, values: release.inputs.values });
        }
    });

    test("the ConfigMap reads back as the release's values without the leaves recorded secret, and quotes every string in it", () => {
        let withSecrets = 0;
        for (const release of releases()) {
            const [map] = published(rec(), CONFIG_MAP, release);
            const expected = without(release.inputs.values, secretLeaves(release));
            if (secretLeaves(release).length > 0) withSecrets++;
            expect({ release: release.inputs.name, values: parse(text(map, "data")) }).toEqual({ release: release.inputs.name, values: expected });
            expect({ release: release.inputs.name, misquoted: misquoted(parseDocument(text(map, "data")).contents, expected) }).toEqual({ release: release.inputs.name, misquoted: [] });
        }
        expect(withSecrets).toBeGreaterThan(0);
    });

    test("no secret leaf of any release's values reaches its ConfigMap, not even as text", () => {
        let checked = 0;
        for (const release of releases()) {
            const [map] = published(rec(), CONFIG_MAP, release);
            expect(secretPaths(map.rawInputs)).toEqual([]);
            for (const path of secretLeaves(release)) {
                const value = at(release.inputs.values, path);
                expect(typeof value === "string" && value.length > 0).toBe(true);
                expect(text(map, "data")).not.toContain(value as string);
                expect(at(parse(text(map, "data")), path)).toBeUndefined();
                checked++;
            }
        }
        expect(checked).toBeGreaterThan(0);
    });

    test("they use the cluster's provider, go with the cluster, belong to the release's component and follow the release; nothing waits for them", () => {
        const provider = rec().find(`${stack}-kubernetes`, "pulumi:providers:kubernetes");
        const bootstrap = rec().find(`${stack}-bootstrap`);
        const all = releases().flatMap((release) => [...published(rec(), CONFIG_MAP, release), ...published(rec(), SECRET, release)].map((object) => ({ release, object })));
        expect(all.length).toBe(releases().length + releases().filter((r) => secretLeaves(r).length > 0).length);
        for (const { release, object } of all) {
            const seen = { name: object.name, provider: object.provider, deletedWith: object.deletedWith, parent: object.parent, afterRelease: rec().isOrderedAfter(object, release) };
            expect(seen).toEqual({ name: object.name, provider: provider.urn, deletedWith: bootstrap.urn, parent: release.parent, afterRelease: true });
        }
        const urns = new Set(all.map((a) => a.object.urn));
        const waiting = rec().resources.filter((r) => [...rec().predecessors(r.urn)].some((u) => urns.has(u)));
        expect(waiting.map((r) => r.name)).toEqual([]);
    });

    test("cluster-settings names each release's chart, repository and version as the release installs it", () => {
        const settings = rec().find(`${stack}-flux-cluster-settings`).inputs.data as Record<string, string>;
        for (const release of releases()) {
            const { chart, version, repositoryOpts } = release.inputs as { chart: string; version: string; repositoryOpts?: { repo: string } };
            const prefixes = Object.keys(settings)
                .filter((k) => k.endsWith("_CHART_VERSION") && settings[k] === version)
                .map((k) => k.slice(0, -"_CHART_VERSION".length))
                .filter((p) => (repositoryOpts ? settings[`${p}_CHART_REPOSITORY`] === repositoryOpts.repo && settings[`${p}_CHART`] === chart : `${settings[`${p}_CHART_REPOSITORY`]}/${settings[`${p}_CHART`]}` === chart));
            expect({ release: release.inputs.name, prefixes: prefixes.length }).toEqual({ release: release.inputs.name, prefixes: 1 });
        }
    });
});
