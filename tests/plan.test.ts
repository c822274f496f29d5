import * as pulumi from "@pulumi/pulumi";
import { planSteps, type Step } from "../tools/engine/diff";
import { evaluate } from "../tools/engine/engine";
import { PROJECT } from "./harness";

/**
 * The offline plan (tools/engine/diff.ts): what `pulumi up` would do to each resource, from two
 * recorded evaluations. Small throwaway programs, each run twice with one thing changed.
 */

class Custom extends pulumi.CustomResource {}
class Provider extends pulumi.ProviderResource {}

/** Steps by resource name for `program(before)` then `program(after)`. */
async function plan<T>(program: (v: T) => void, before: T, after: T): Promise<Record<string, Step>> {
    const run = (v: T) => evaluate(() => program(v), { project: PROJECT, stack: "plan", config: { values: {}, secretKeys: [] } });
    const steps = planSteps((await run(before)).recording, (await run(after)).recording);
    return Object.fromEntries(Object.entries(steps).map(([urn, step]) => [urn.slice(urn.lastIndexOf("::") + 2), step]));
}

const configMap = (data: Record<string, string>, opts: pulumi.CustomResourceOptions = {}) =>
    new Custom("kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "cm" }, data }, opts);

test("unchanged inputs are `same`, changed ones an `update`", async () => {
    expect(await plan((v: string) => configMap({ a: "1" }, { customTimeouts: { create: v } }), "1m", "1m")).toEqual({ cm: "same" });
    expect(await plan((v: string) => configMap({ a: v }), "1", "2")).toEqual({ cm: "update" });
});

test("a change under an ignoreChanges path is `same`; next to it, an `update`", async () => {
    const program = (v: { a: string; b: string }) => configMap(v, { ignoreChanges: ["data.a"] });
    expect(await plan(program, { a: "1", b: "1" }, { a: "2", b: "1" })).toEqual({ cm: "same" });
    expect(await plan(program, { a: "1", b: "1" }, { a: "1", b: "2" })).toEqual({ cm: "update" });
});

test("a change under a replaceOnChanges path is a `replace`", async () => {
    const program = (v: { a: string; b: string }) => configMap(v, { replaceOnChanges: ["data.a"] });
    expect(await plan(program, { a: "1", b: "1" }, { a: "2", b: "1" })).toEqual({ cm: "replace" });
    expect(await plan(program, { a: "1", b: "1" }, { a: "1", b: "2" })).toEqual({ cm: "update" });
});

test("properties the provider itself replaces on are a `replace` without any option", async () => {
    const schematic = (v: string) => void new Custom("talos:imageFactory/schematic:Schematic", "s", { schematic: v });
    expect(await plan(schematic, "customization: {}\n", "customization: {extraKernelArgs: [a]}\n")).toEqual({ s: "replace" });
    const cert = (hours: number) => void new Custom("tls:index/selfSignedCert:SelfSignedCert", "c", { privateKeyPem: "k", validityPeriodHours: hours });
    expect(await plan(cert, 1, 2)).toEqual({ c: "replace" });
    const key = (v: { algorithm: string; bits: number }) => void new Custom("tls:index/privateKey:PrivateKey", "k", { algorithm: v.algorithm, rsaBits: v.bits });
    expect(await plan(key, { algorithm: "RSA", bits: 2048 }, { algorithm: "RSA", bits: 4096 })).toEqual({ k: "replace" });
});

test("a rename is a `delete` and a `create`; moving to another provider is a `replace`", async () => {
    expect(await plan((name: string) => void new Custom("kubernetes:core/v1:Namespace", name, {}), "old", "new")).toEqual({ old: "delete", new: "create" });
    const program = (which: string) => {
        const providers = { a: new Provider("kubernetes", "a", {}), b: new Provider("kubernetes", "b", {}) };
        new Custom("kubernetes:core/v1:Namespace", "ns", {}, { provider: providers[which as "a" | "b"] });
    };
    expect(await plan(program, "a", "b")).toEqual({ a: "same", b: "same", ns: "replace" });
});
