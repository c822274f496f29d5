import fc from "fast-check";
import { isMap, isScalar, isSeq, parse, parseDocument, Scalar } from "yaml";
import { mergeValues, quotedScalar, splitSecretLeaves, valuesObjectName, valuesYaml, type ValuesPath } from "../planners/published-values";

/** The pure half of publishing release values: the text, the secret split, the merge Flux does. */

/**
 * Strings a YAML reader may take for something else when written plain: YAML 1.1 booleans, null
 * and numbers (goyaml.v2, Helm's reader, parses `0o17` and `0X1F` with strconv.ParseInt(s, 0, 64)),
 * floats, timestamps, merge and value keys, indicators, and characters YAML treats as line breaks
 * or does not allow raw.
 */
const TRICKY = [
    ...["0o17", "0O17", "0X1F", "0B101", "0x1F", "0b101", "0755", "1_000", "1e3", "+1", "-0", "1:20", "190:20:30", ".inf", "-.inf", ".NaN"],
    ...["~", "null", "Null", "NULL", "y", "n", "Y", "N", "yes", "no", "on", "off", "True", "NO", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<"],
    ...["", " lead", "trail ", "a: b", "a #b", "- x", "#c", "&a", "*a", "!t", "%x", "@x", "`x", "|", ">", "'", '"', "\\", "? x", "{a}", "[a]", "---", "..."],
    ...["\n", "a\nb", "a \n b", "\t", "\r\n", "\u0000", "\u0085", "\u2028", "\u2029", "\ufeff", "\u007f", "\u0080", "\u009f", "\u00a0", "é", "😀"],
];

/** Any string: the tricky ones, printable ASCII, any code point (astral ones included), any ASCII control. */
const anyString = fc.oneof(fc.constantFrom(...TRICKY), fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "binary-ascii" }));

/** JSON-like values trees, as Helm values are, with any string as key or value. */
const leaf = fc.oneof(anyString, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, leaf, tie("map"), fc.array(tie("node"), { maxLength: 3 })),
    map: fc.dictionary(anyString, tie("node"), { maxKeys: 4 }),
})).map as fc.Arbitrary<Record<string, unknown>>;

const isQuoted = (s: Scalar) => s.type === Scalar.QUOTE_DOUBLE || s.type === Scalar.QUOTE_SINGLE;

/**
 * Walks the parsed text beside the values it was written from and lists every scalar written
 * against its type: a key, or a value that is a string in the values, not quoted; anything else
 * quoted; a map, list or entry count that does not match. Empty when every string, and only
 * strings, are quoted.
 */
function quotingErrors(node: unknown, value: unknown, path: string[] = []): string[] {
    const at = JSON.stringify(path);
    if (isMap(node)) {
        const entries = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value).length : -1;
        const count = node.items.length === entries ? [] : [`${at}: a map of ${node.items.length} entries for ${JSON.stringify(value)}`];
        return count.concat(
            node.items.flatMap((pair) => {
                if (!isScalar(pair.key)) return [`${at}: a key that is not a scalar`];
                const key = String(pair.key.value);
                const keyError = isQuoted(pair.key) ? [] : [`${at}: key ${JSON.stringify(key)} written ${pair.key.type}`];
                return keyError.concat(quotingErrors(pair.value, (value as Record<string, unknown>)[key], [...path, key]));
            }),
        );
    }
    if (isSeq(node)) {
        if (!Array.isArray(value) || value.length !== node.items.length) return [`${at}: a list for ${JSON.stringify(value)}`];
        return node.items.flatMap((item, i) => quotingErrors(item, value[i], [...path, String(i)]));
    }
    if (isScalar(node)) return isQuoted(node) === (typeof value === "string") ? [] : [`${at}: ${JSON.stringify(value)} written ${node.type}`];
    return [`${at}: unexpected node`];
}

/** Every path to a leaf, an empty map or an empty list of `v`, through maps and lists. */
function leafPaths(v: unknown, prefix: (string | number)[] = []): ValuesPath[] {
    if (Array.isArray(v)) return v.length === 0 ? [prefix] : v.flatMap((x, i) => leafPaths(x, [...prefix, i]));
    if (v !== null && typeof v === "object") {
        const entries = Object.entries(v);
        return entries.length === 0 ? [prefix] : entries.flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
    }
    return [prefix];
}

/** The value at `path`, own keys only (a key such as `toString` must not find Object.prototype's). */
const at = (v: unknown, path: ValuesPath): unknown =>
    path.reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" && Object.prototype.hasOwnProperty.call(cur, String(k)) ? (cur as Record<string, unknown>)[String(k)] : undefined), v);

/** A tree with some of its leaf paths picked as secret. */
const withSecrets = tree.chain((values) => {
    const paths = leafPaths(values).filter((p) => p.length > 0);
    return fc.subarray(paths).map((secret) => ({ values, secret }));
});

describe("the published text", () => {
    test("quotes every string, keys included, and nothing else, whatever the strings are (so no YAML reader can re-type one)", () => {
        // Read from the text's syntax tree, not from what a reader resolves: a plain `0o17` is an
        // integer to goyaml.v2 (Helm's reader) whatever the yaml package makes of it.
        fc.assert(
            fc.property(tree, (values) => {
                const doc = parseDocument(valuesYaml(values));
                expect(doc.errors).toEqual([]);
                expect(quotingErrors(doc.contents, values)).toEqual([]);
            }),
            { numRuns: 300 },
        );
    });

    test("quotes each of the strings a YAML 1.1 reader re-types when plain, as a key and as a value", () => {
        const values = Object.fromEntries(TRICKY.map((s) => [s, s]));
        expect(quotingErrors(parseDocument(valuesYaml(values)).contents, values)).toEqual([]);
        expect(valuesYaml({ "0o17": "0O17", on: "0X1F", y: "1_000" })).toBe('"0o17": "0O17"\n"on": "0X1F"\n"y": "1_000"\n');
    });

    test("round-trips through the yaml package (its YAML 1.1 and 1.2 schemas): well-formed text that reads back to the values", () => {
        // The same library writes and reads here, so this shows the text is well formed and
        // complete; that Helm's reader re-types no string follows from the quoting tests above.
        fc.assert(
            fc.property(tree, (values) => {
                expect(parse(valuesYaml(values), { version: "1.1" })).toEqual(values);
                expect(parse(valuesYaml(values))).toEqual(values);
            }),
        );
    });

    test("is a function of the values alone: keys sorted, whatever order they were built in", () => {
        const values = { z: 1, a: { y: "on", b: [1, 2] }, gatewayClass: { create: "true" } };
        expect(valuesYaml(values)).toBe('"a":\n  "b":\n    - 1\n    - 2\n  "y": "on"\n"gatewayClass":\n  "create": "true"\n"z": 1\n');
        expect(valuesYaml({ gatewayClass: { create: "true" }, a: { b: [1, 2], y: "on" }, z: 1 })).toBe(valuesYaml(values));
    });

    test("writes a shared object twice, not as an alias", () => {
        const shared = [{ key: "CriticalAddonsOnly", operator: "Exists" }];
        const text = valuesYaml({ c: shared, d: { tolerations: shared } });
        expect(text).not.toMatch(/[&*]a\d/);
        expect(parse(text)).toEqual({ c: shared, d: { tolerations: shared } });
    });

    test("of no values is an empty map", () => {
        expect(valuesYaml({})).toBe("{}\n");
    });
});

describe("a quoted string", () => {
    test("holds no raw character a YAML reader folds as a line break or refuses (C0 and C1 controls, DEL, NEL, LS, PS, BOM, U+FFFE/F), and reads back as the string", () => {
        fc.assert(
            fc.property(anyString, (s) => {
                const text = quotedScalar(s);
                expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/u);
                expect(parse(text, { version: "1.1" })).toBe(s);
                expect(parse(text)).toBe(s);
            }),
        );
    });

    test("escapes what JSON leaves raw; writes characters above U+FFFF as they are (goyaml refuses escaped surrogates)", () => {
        expect(quotedScalar("a\u0085b\u2028c\u2029d\u007f\u009f\ufeff")).toBe('"a\\x85b\\u2028c\\u2029d\\x7f\\x9f\\ufeff"');
        expect(quotedScalar('é😀"\\\n\t\u0000')).toBe('"é😀\\"\\\\\\n\\t\\x00"');
    });

    test("of a lone UTF-16 surrogate is refused, naming it: no UTF-8 text can carry one", () => {
        expect(() => quotedScalar("a\ud800")).toThrow(/lone UTF-16 surrogate \(U\+D800\)/);
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

    test("a key named __proto__ is kept as a key on both sides and through the merge (fast-check found it lost)", () => {
        const values = JSON.parse('{"__proto__": {"a": "1", "key": "S0VZ"}, "b": "2"}') as Record<string, unknown>;
        const { plain, secret } = splitSecretLeaves(values, [["__proto__", "key"]]);
        expect(Object.keys(plain)).toEqual(["__proto__", "b"]);
        expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
        expect(Object.keys(secret)).toEqual(["__proto__"]);
        expect(mergeValues(plain, secret)).toEqual(values);
        expect(Object.keys(mergeValues(plain, secret)["__proto__"] as object).sort()).toEqual(["a", "key"]);
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
