import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
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
