import { stringify, type Scalar, type ScalarTag, type Tags } from "yaml";

/**
 * The values of every Helm release the program installs, published in the cluster so that a Flux
 * HelmRelease adopts the release with exactly those values (`valuesFrom`) instead of restating
 * them by hand. Pure: the component (components/published-values.ts) resolves the Outputs and
 * says which leaves are secret; this file decides names, the text and the split.
 */

/** The data key the values are published under: helm-controller's default `valuesKey`. */
export const VALUES_KEY = "values.yaml";

/**
 * Labels of the published ConfigMap and Secret, and of `cluster-settings`. From Flux 2.7 on,
 * helm-controller reconciles a HelmRelease as soon as a ConfigMap or Secret it takes values from
 * (`valuesFrom`) changes, and kustomize-controller a Kustomization as soon as one it substitutes
 * from (`postBuild.substituteFrom`) does, when that object carries this label; without it a change
 * waits for their interval.
 */
export const WATCH_LABELS: Readonly<Record<string, string>> = { "reconcile.fluxcd.io/watch": "Enabled" };

/** Name of the ConfigMap (and, when the values hold secret leaves, of the Secret) for a release. */
export function valuesObjectName(release: string): string {
    return `${release}-values`;
}

/**
 * One string as a YAML double-quoted scalar that every YAML reader takes back as exactly that
 * string. Quoted, no resolver can re-type it (goyaml.v2, behind Helm's and helm-controller's
 * sigs.k8s.io/yaml, resolves plain `0o17`, `0X1F`, `.inf`, `~`, `yes`, `1_000` or a timestamp to
 * something else). Escaped beyond JSON's rules: YAML readers take a raw NEL, LS or PS as a line break
 * (folded away in a quoted scalar), reject raw C1 controls and U+FFFE/U+FFFF, and a BOM belongs
 * only at the start of a stream; goyaml refuses `\u` escapes of UTF-16 surrogates, so characters
 * above U+FFFF are written as they are. Checked against goyaml.v2 2.4.0 itself (the resolver
 * sigs.k8s.io/yaml vendors) on 20,000 generated trees when this was written, not in the tests.
 */
export function quotedScalar(value: string): string {
    let out = '"';
    for (const ch of value) {
        const code = ch.codePointAt(0)!;
        if (ch === '"' || ch === "\\") out += "\\" + ch;
        else if (code >= 0x20 && code <= 0x7e) out += ch;
        else if (ch === "\n") out += "\\n";
        else if (ch === "\t") out += "\\t";
        else if (ch === "\r") out += "\\r";
        else if (code < 0xa0) out += "\\x" + code.toString(16).padStart(2, "0");
        else if (code >= 0xd800 && code <= 0xdfff) throw new Error(`a values string holds a lone UTF-16 surrogate (U+${code.toString(16).toUpperCase()}), which no YAML (or UTF-8) text can carry: ${JSON.stringify(value)}`);
        else if (code === 0x2028 || code === 0x2029 || code === 0xfeff || code === 0xfffe || code === 0xffff) out += "\\u" + code.toString(16).padStart(4, "0");
        else out += ch;
    }
    return out + '"';
}

/** The YAML library's string tag (keys and values alike go through it when stringified). */
const isStringTag = (tag: Tags[number]): tag is ScalarTag => typeof tag === "object" && !("collection" in tag) && tag.tag === "tag:yaml.org,2002:str";

/**
 * The text published for a values tree: YAML with every map's keys sorted, no anchors or aliases,
 * no line folding, and every string, keys included, double-quoted (`quotedScalar`); numbers,
 * booleans and null stay plain, as YAML's own types. Sorted because a values map reaches the engine
 * and Helm as an unordered map (a protobuf Struct, then a Go map): the text is then a function of the
 * values alone, the same for the tree the program built and for the one the engine recorded. Keys
 * are quoted too because goyaml resolves plain keys as well (`on:` is the boolean true, which
 * sigs.k8s.io/yaml then turns into the key "true").
 */
export function valuesYaml(values: Record<string, unknown>): string {
    return stringify(values, {
        sortMapEntries: true,
        lineWidth: 0,
        aliasDuplicateObjects: false,
        // Every string, key or value, through quotedScalar: the library's own double quoting leaves NEL, LS and PS raw.
        customTags: (tags) => tags.map((tag) => (isStringTag(tag) ? { ...tag, stringify: (item: Scalar) => quotedScalar(String(item.value)) } : tag)),
    });
}

/** A path into a values tree: map keys, and array indices as numbers. */
export type ValuesPath = readonly (string | number)[];

/** The values split in two trees that merge back (see `mergeValues`) into the original. */
export interface SplitValues {
    /** Everything but the secret leaves: what a ConfigMap may hold. */
    plain: Record<string, unknown>;
    /** Only the secret leaves, at their paths; `{}` when there are none. */
    secret: Record<string, unknown>;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Where a secret path is cut out of `values`: the path itself, or the first list on the way to it.
 * Lists are replaced whole when values are merged, so a secret inside one moves the whole list to
 * the secret side. Undefined when the path is not in `values`.
 */
function cutOf(values: Record<string, unknown>, path: ValuesPath): string[] | undefined {
    let node: unknown = values;
    const cut: string[] = [];
    for (const key of path) {
        if (Array.isArray(node)) return cut;
        if (!isMap(node) || !Object.prototype.hasOwnProperty.call(node, String(key))) return undefined;
        cut.push(String(key));
        node = node[String(key)];
    }
    return cut;
}

/** The distinct cuts, without those inside another one. */
function cuts(values: Record<string, unknown>, secretPaths: readonly ValuesPath[]): string[][] {
    const all = secretPaths.map((p) => cutOf(values, p)).filter((c): c is string[] => c !== undefined);
    const unique = [...new Map(all.map((c) => [JSON.stringify(c), c])).values()];
    const inside = (inner: string[], outer: string[]) => outer.length < inner.length && outer.every((k, i) => inner[i] === k);
    return unique.filter((c) => !unique.some((o) => inside(c, o)));
}

/** The part of `tree` on one side of the cuts: at them and below (`keepCut`), or everything else. */
function select(tree: Record<string, unknown>, paths: string[][], prefix: string[], keepCut: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) {
        const path = [...prefix, key];
        const isCut = paths.some((c) => c.length === path.length && c.every((k, i) => path[i] === k));
        const above = paths.some((c) => c.length > path.length && path.every((k, i) => c[i] === k));
        if (isCut) {
            if (keepCut) setOwn(out, key, value);
        } else if (above && isMap(value)) {
            const part = select(value, paths, path, keepCut);
            // An object left empty only because its secret leaves moved out is not published.
            if (Object.keys(part).length > 0) setOwn(out, key, part);
        } else if (!keepCut) {
            setOwn(out, key, value);
        }
    }
    return out;
}

/**
 * Splits `values` at the secret leaves: `plain` holds no value at any secret path and `secret`
 * holds only those, so `mergeValues(plain, secret)` is `values` again (keys in another order at
 * most). A secret at the root makes the whole tree secret.
 */
export function splitSecretLeaves(values: Record<string, unknown>, secretPaths: readonly ValuesPath[]): SplitValues {
    const paths = cuts(values, secretPaths);
    if (paths.some((p) => p.length === 0)) return { plain: {}, secret: values };
    return { plain: select(values, paths, [], false), secret: select(values, paths, [], true) };
}

/**
 * How helm-controller combines values sources (fluxcd/pkg chartutil MergeMaps, Helm's own merge):
 * `b` on top of `a`, maps merged key by key, anything else (lists included) replaced whole.
 */
export function mergeValues(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) {
        const base = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
        setOwn(out, key, isMap(value) && isMap(base) ? mergeValues(base, value) : value);
    }
    return out;
}

/**
 * Sets a key as an own property, whatever its name: values are user data, and `out[key] = v` with
 * the key `__proto__` would set the object's prototype instead (the key would vanish).
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}
