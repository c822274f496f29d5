import fc from "fast-check";
import { parse } from "yaml";
import { mergeValues, splitSecretLeaves, valuesObjectName, valuesYaml, type ValuesPath } from "../planners/published-values";

/** The pure half of publishing release values: the text, the secret split, the merge Flux does. */

/** JSON-like values trees, as Helm values are. */
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constantFrom("yes", "on", "off", "n", "true", "0755", "1e3", "1:20", "~", "null", "", "a: b", "- x"));
const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, leaf, tie("map"), fc.array(tie("node"), { maxLength: 3 })),
    map: fc.dictionary(fc.oneof(fc.constantFrom("on", "y", "yes", "n", "a.b", "1", "null"), fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,5}$/)), tie("node"), { maxKeys: 4 }),
})).map as fc.Arbitrary<Record<string, unknown>>;

/** Every path to a leaf, an empty map or an empty list of `v`, through maps and lists. */
function leafPaths(v: unknown, prefix: (string | number)[] = []): ValuesPath[] {
    if (Array.isArray(v)) return v.length === 0 ? [prefix] : v.flatMap((x, i) => leafPaths(x, [...prefix, i]));
    if (v !== null && typeof v === "object") {
        const entries = Object.entries(v);
        return entries.length === 0 ? [prefix] : entries.flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
    }
    return [prefix];
}

const at = (v: unknown, path: ValuesPath): unknown => path.reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[String(k)] : undefined), v);

/** A tree with some of its leaf paths picked as secret. */
const withSecrets = tree.chain((values) => {
    const paths = leafPaths(values).filter((p) => p.length > 0);
    return fc.subarray(paths).map((secret) => ({ values, secret }));
});

describe("the published text", () => {
    test("parses back to exactly the values, by YAML 1.1 (Helm's reader) and 1.2 rules, whatever the strings look like", () => {
        fc.assert(
            fc.property(tree, (values) => {
                expect(parse(valuesYaml(values), { version: "1.1" })).toEqual(values);
                expect(parse(valuesYaml(values))).toEqual(values);
            }),
        );
    });

    test("is a function of the values alone: keys sorted, whatever order they were built in", () => {
        const values = { z: 1, a: { y: "on", b: [1, 2] }, gatewayClass: { create: "true" } };
        expect(valuesYaml(values)).toBe('a:\n  b:\n    - 1\n    - 2\n  "y": "on"\ngatewayClass:\n  create: "true"\nz: 1\n');
        expect(valuesYaml({ gatewayClass: { create: "true" }, a: { b: [1, 2], y: "on" }, z: 1 })).toBe(valuesYaml(values));
    });

    test("quotes what a YAML 1.1 reader (Helm's) would turn into a boolean, and writes a shared object twice, not as an alias", () => {
        const shared = [{ key: "CriticalAddonsOnly", operator: "Exists" }];
        const text = valuesYaml({ a: "yes", b: "off", c: shared, d: { tolerations: shared } });
        expect(text).toContain('a: "yes"\n');
        expect(text).toContain('b: "off"\n');
        expect(text).not.toMatch(/[&*]a\d/);
        expect(parse(text, { version: "1.1" })).toEqual({ a: "yes", b: "off", c: shared, d: { tolerations: shared } });
    });

    test("of no values is an empty map", () => {
        expect(valuesYaml({})).toBe("{}\n");
    });
});

describe("splitting the secret leaves out", () => {
    test("merging the two halves as helm-controller does gives back the values", () => {
        fc.assert(fc.property(withSecrets, ({ values, secret }) => expect(mergeValues(splitSecretLeaves(values, secret).plain, splitSecretLeaves(values, secret).secret)).toEqual(values)));
    });

    test("the plain half holds no value at a secret path, nor under a list that holds one", () => {
        fc.assert(
            fc.property(withSecrets, ({ values, secret }) => {
                const { plain } = splitSecretLeaves(values, secret);
                for (const path of secret) {
                    const list = path.findIndex((_, i) => Array.isArray(at(values, path.slice(0, i))));
                    expect(at(plain, list === -1 ? path : path.slice(0, list))).toBeUndefined();
                }
            }),
        );
    });

    test("without secret leaves, the plain half is the values and the secret half is empty", () => {
        fc.assert(fc.property(tree, (values) => expect(splitSecretLeaves(values, [])).toEqual({ plain: values, secret: {} })));
    });

    test("Cilium's CA: the key alone moves, the certificate stays", () => {
        const values = { cluster: { name: "infra" }, tls: { ca: { cert: "Q0VSVA==", key: "S0VZ" } }, hubble: { enabled: true } };
        expect(splitSecretLeaves(values, [["tls", "ca", "key"]])).toEqual({
            plain: { cluster: { name: "infra" }, tls: { ca: { cert: "Q0VSVA==" } }, hubble: { enabled: true } },
            secret: { tls: { ca: { key: "S0VZ" } } },
        });
    });

    test("a map left empty by the split is not published; one empty in the values is", () => {
        expect(splitSecretLeaves({ tls: { ca: { key: "k" } }, extra: {} }, [["tls", "ca", "key"]])).toEqual({ plain: { extra: {} }, secret: { tls: { ca: { key: "k" } } } });
    });

    test("a secret inside a list moves the whole list, since lists are replaced, not merged", () => {
        const values = { env: [{ name: "A", value: "a" }, { name: "TOKEN", value: "t" }], other: 1 };
        expect(splitSecretLeaves(values, [["env", 1, "value"]])).toEqual({ plain: { other: 1 }, secret: { env: values.env } });
    });

    test("a secret root makes everything secret; a path that is not in the values is ignored", () => {
        expect(splitSecretLeaves({ a: 1 }, [[]])).toEqual({ plain: {}, secret: { a: 1 } });
        expect(splitSecretLeaves({ a: 1 }, [["b", "c"]])).toEqual({ plain: { a: 1 }, secret: {} });
    });
});

describe("mergeValues, helm-controller's merge of valuesFrom and values", () => {
    test("merges maps key by key and replaces anything else, lists included, with the later value", () => {
        expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { c: [3] }, d: { e: 1 } })).toEqual({ a: { b: 1, c: [3] }, d: { e: 1 } });
        expect(mergeValues({ a: { b: 1 } }, { a: "flat" })).toEqual({ a: "flat" });
    });
});

test("the published objects are named after the release", () => {
    expect(valuesObjectName("cilium")).toBe("cilium-values");
});
