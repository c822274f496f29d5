import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { parse } from "yaml";
import { mergeValues } from "../planners/published-values";
import { helmRelease } from "../components/release";
import { evaluate } from "../tools/engine/engine";
import { secretPaths, type Recording } from "../tools/engine/recording";
import { PROJECT } from "./harness";

/** helmRelease's publishing on values the committed stacks do not have: secrets in lists, computed plain leaves, none. */

const empty = { values: {}, secretKeys: [] };
const source = { chart: "oci://example.test/charts/demo", version: "1.0.0" };

async function publish(values: () => Record<string, unknown>): Promise<Recording> {
    const ev = await evaluate(() => void helmRelease("demo", { name: "demo", namespace: "apps", source, values: values() }, {}), { project: PROJECT, stack: "publish", config: empty });
    return ev.recording;
}

const text = (rec: Recording, type: string, field: string) => {
    const [r] = rec.ofType(type);
    return r ? parse((r.inputs[field] as Record<string, string>)["values.yaml"]) : undefined;
};

test("a secret inside a list moves the whole list to the Secret; computed plain leaves stay in the ConfigMap", async () => {
    const rec = await publish(() => ({ env: [{ name: "TOKEN", value: pulumi.secret("t0ken") }, { name: "A", value: "a" }], host: pulumi.output("example.test"), replicas: 2 }));
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ host: "example.test", replicas: 2 });
    expect(text(rec, "kubernetes:core/v1:Secret", "stringData")).toEqual({ env: [{ name: "TOKEN", value: "t0ken" }, { name: "A", value: "a" }] });
    const [map] = rec.ofType("kubernetes:core/v1:ConfigMap");
    expect(secretPaths(map.rawInputs)).toEqual([]);
    expect(JSON.stringify(map.inputs)).not.toContain("t0ken");
});

test("computed leaves that are all plain: the Secret exists (decided before they resolve) and holds an empty map", async () => {
    const rec = await publish(() => ({ host: pulumi.output("example.test") }));
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ host: "example.test" });
    expect(text(rec, "kubernetes:core/v1:Secret", "stringData")).toEqual({});
});

test("plain values: a ConfigMap and no Secret", async () => {
    const rec = await publish(() => ({ replicas: 2 }));
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ replicas: 2 });
    expect(rec.ofType("kubernetes:core/v1:Secret")).toEqual([]);
});

/** The Release's recorded secret leaves, as paths. */
const releaseSecrets = (rec: Recording) => secretPaths(rec.ofType("kubernetes:helm.sh/v3:Release")[0].rawInputs.values);

test("a secret nested in what a computed leaf resolves to is secret in the Release and goes to the Secret, not the ConfigMap", async () => {
    const user = pulumi.output("admin");
    const rec = await publish(() => ({ auth: user.apply(() => ({ user: "admin", token: pulumi.secret("t0ken") })), replicas: 2 }));
    // What the Helm release records: the token alone is secret.
    expect(releaseSecrets(rec)).toEqual(["auth.token"]);
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ auth: { user: "admin" }, replicas: 2 });
    expect(text(rec, "kubernetes:core/v1:Secret", "stringData")).toEqual({ auth: { token: "t0ken" } });
    const [map] = rec.ofType("kubernetes:core/v1:ConfigMap");
    expect(JSON.stringify(map.inputs)).not.toContain("t0ken");
});

test("a secret element of a list a computed leaf resolves to moves the whole list to the Secret", async () => {
    const rec = await publish(() => ({ hosts: pulumi.output("a").apply((a) => [a, pulumi.secret("s3cret")]), replicas: 2 }));
    expect(releaseSecrets(rec)).toEqual(["hosts.1"]);
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ replicas: 2 });
    expect(text(rec, "kubernetes:core/v1:Secret", "stringData")).toEqual({ hosts: ["a", "s3cret"] });
    const [map] = rec.ofType("kubernetes:core/v1:ConfigMap");
    expect(JSON.stringify(map.inputs)).not.toContain("s3cret");
});

test("a computed leaf that is itself secret moves whole, whatever it resolves to", async () => {
    const rec = await publish(() => ({ auth: pulumi.secret({ user: "admin", token: "t0ken" }), replicas: 2 }));
    expect(releaseSecrets(rec)).toEqual(["auth"]);
    expect(text(rec, "kubernetes:core/v1:ConfigMap", "data")).toEqual({ replicas: 2 });
    expect(text(rec, "kubernetes:core/v1:Secret", "stringData")).toEqual({ auth: { user: "admin", token: "t0ken" } });
});

/** How a node of a generated values tree is handed to the release. */
type Wrap = "plain" | "output" | "secret" | "apply";
type Node = [Wrap, unknown];

/**
 * Values trees whose nodes are plain, Outputs, secret Outputs or Outputs whose apply returns the
 * subtree as it is (computed values inside a computed value, not lifted). String leaves are
 * distinct tokens, so a secret one can be looked for in the published text.
 */
const wrappedTree = fc.letrec((tie) => ({
    node: fc.tuple(fc.constantFrom<Wrap>("plain", "plain", "output", "secret", "apply"), fc.oneof({ depthSize: "small" }, fc.stringMatching(/^s[0-9a-f]{10}$/), fc.integer(), tie("map"), tie("list"))),
    map: fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), tie("node"), { maxKeys: 3 }),
    list: fc.array(tie("node"), { maxLength: 3 }),
})).map as fc.Arbitrary<Record<string, Node>>;

/** Builds the tree a generated description stands for (inside the program: Outputs need the mocks). */
function build(node: Node): unknown {
    const [wrap, inner] = node;
    const value = Array.isArray(inner)
        ? (inner as Node[]).map(build)
        : inner !== null && typeof inner === "object"
          ? Object.fromEntries(Object.entries(inner as Record<string, Node>).map(([k, n]) => [k, build(n)]))
          : inner;
    if (wrap === "output") return pulumi.output(value);
    if (wrap === "secret") return pulumi.secret(value);
    if (wrap === "apply") return pulumi.output(0).apply(() => value);
    return value;
}

const at = (v: unknown, path: string[]): unknown => path.reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined), v);

test("whatever the nesting of computed and secret values, the ConfigMap holds none of the values the Release records secret, and with the Secret it merges back to the Release's values", async () => {
    await fc.assert(
        fc.asyncProperty(wrappedTree, async (tree) => {
            const rec = await publish(() => Object.fromEntries(Object.entries(tree).map(([k, n]) => [k, build(n)])));
            const [release] = rec.ofType("kubernetes:helm.sh/v3:Release");
            const values = release.inputs.values as Record<string, unknown>;
            const plain = text(rec, "kubernetes:core/v1:ConfigMap", "data") as Record<string, unknown>;
            const secret = (text(rec, "kubernetes:core/v1:Secret", "stringData") ?? {}) as Record<string, unknown>;
            const [map] = rec.ofType("kubernetes:core/v1:ConfigMap");
            for (const path of secretPaths(release.rawInputs.values).map((p) => p.split("."))) {
                // Nothing at the path, nor the list that holds it (lists move whole).
                const list = path.findIndex((_, i) => Array.isArray(at(values, path.slice(0, i))));
                expect(at(plain, list === -1 ? path : path.slice(0, list))).toBeUndefined();
                for (const token of JSON.stringify(at(values, path)).match(/s[0-9a-f]{10}/g) ?? []) expect(JSON.stringify(map.inputs)).not.toContain(token);
            }
            expect(mergeValues(plain, secret)).toEqual(values);
        }),
        { numRuns: 60 },
    );
});
