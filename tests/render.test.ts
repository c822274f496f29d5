import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import type { StackOutputs } from "../tools/engine/engine";
import { Recording } from "../tools/engine/recording";
import type { Artifacts } from "../tools/render/artifacts";
import { renderStack } from "../tools/render/cli";
import { ROOT, runStack, stackConfig, withPlainStackTraces } from "./harness";
import { readStackFile } from "../tools/engine/stack-file";

/** The offline render: artifacts, faithfulness to the registered graph, the CLI. */

const committed = (stack: string) => readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`), "platform");
let infra: Artifacts;
let apps: Artifacts;
beforeAll(async () => {
    infra = await withPlainStackTraces(() => renderStack({ stack: "infra", config: committed("infra"), refs: {} }));
    const refs = { infra: JSON.parse(infra.get("stack-reference.json")!) as StackOutputs };
    apps = await withPlainStackTraces(() => renderStack({ stack: "apps", config: committed("apps"), refs }));
});
const file = (a: Artifacts, name: string) => {
    const content = a.get(name);
    if (content === undefined) throw new Error(`no ${name} among ${[...a.keys()].join(", ")}`);
    return content;
};

test("writes every artifact kind for both stacks", () => {
    for (const [stack, a] of [["infra", infra], ["apps", apps]] as const) {
        const names = [...a.keys()];
        for (const required of ["graph.json", "graph.mmd", "outputs.json", "summary.md", "stack-reference.json"]) expect(names).toContain(required);
        expect(names.filter((n) => n.startsWith("talos/")).sort()).toEqual([1, 2, 3].map((i) => `talos/${stack}-0${i}.yaml`));
        expect(names.filter((n) => n.startsWith("helm/")).length).toBe(9);
        expect(names).toContain("manifests/ConfigMap_flux-system_cluster-settings.yaml");
        expect(names).toContain("manifests/Secret_external-secrets_onepassword-connect-token.yaml");
    }
});

describe("content is exactly what the program registers", () => {
    let recording: Recording;
    beforeAll(async () => {
        recording = (await runStack("infra", { config: stackConfig("infra") })).recording;
    });

    test("graph.json lists every resource with the dependencies and options it really registers", () => {
        const graph = JSON.parse(file(infra, "graph.json")) as { urn: string; dependsOn: string[]; parent: string | null; deletedWith: string | null; protect: boolean; customTimeouts: unknown }[];
        expect(graph.map((g) => g.urn).sort()).toEqual(recording.resources.map((r) => r.urn).sort());
        for (const g of graph) {
            const r = recording.resource(g.urn);
            expect(g).toMatchObject({ dependsOn: [...r.dependencies].sort(), parent: r.parent ?? null, deletedWith: r.deletedWith ?? null, protect: r.protect, customTimeouts: r.customTimeouts ?? null });
        }
    });

    test("talos/<hostname>.yaml holds that node's patches in apply order, one document each", () => {
        for (const apply of recording.ofType("talos:machine/configurationApply:ConfigurationApply")) {
            const host = apply.name.replace(/^infra-/, "");
            const docs = parseAllDocuments(file(infra, `talos/${host}.yaml`)).map((d) => d.toJS());
            expect(docs).toEqual((apply.inputs.configPatches as string[]).map((p) => parse(p)));
        }
    });

    test("helm/<release>.yaml shows every value, with each secret leaf replaced by a placeholder", () => {
        const cilium = parse(file(apps, "helm/cilium.yaml"));
        expect(cilium).toMatchObject({ name: "cilium", namespace: "kube-system", chart: "cilium", repo: "https://helm.cilium.io/", version: "1.18.3" });
        expect(cilium.values.tls.ca.key).toBe("FAKE-SECRET(values.tls.ca.key)");
        expect(cilium.values.tls.ca.cert).toMatch(/^[A-Za-z0-9+/]+=*$/);
        expect(cilium.values.clustermesh.config.clusters).toEqual([{ name: "infra", port: 2379, ips: ["10.25.11.100"] }]);
        const recorded = recording.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "coredns")!;
        expect(parse(file(infra, "helm/coredns.yaml")).values).toEqual(recorded.inputs.values);
        expect(parse(file(infra, "helm/flux.yaml")).chart).toBe("oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance");
    });

    test("manifests show every other object; Secret data only as placeholders", () => {
        const secret = parse(file(infra, "manifests/Secret_flux-system_flux-git-credentials.yaml"));
        expect(secret.stringData).toEqual({ password: "FAKE-SECRET(stringData.password)", username: "FAKE-SECRET(stringData.username)" });
        const settings = parse(file(infra, "manifests/ConfigMap_flux-system_cluster-settings.yaml"));
        expect(settings.data.CLUSTERMESH_IP).toBe("10.25.11.100");
        const manifests = [...infra.keys()].filter((k) => k.startsWith("manifests/"));
        const objects = recording.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
        expect(manifests).toHaveLength(objects.length);
        // The 1Password values (fakes here) never appear; only stack-reference.json carries fakes.
        const reviewable = [...infra, ...apps].filter(([name]) => name !== "stack-reference.json").map(([, content]) => content);
        expect(reviewable.join("\n")).not.toMatch(/FAKE-1password/);
    });

    test("outputs.json shows secret outputs as [secret]", () => {
        const outputs = JSON.parse(file(infra, "outputs.json"));
        expect(outputs).toMatchObject({ kubeconfig: "[secret]", talosconfig: "[secret]", meshCaKeyPem: "[secret]", cluster: { name: "infra", id: 1 } });
        expect(JSON.parse(file(apps, "outputs.json")).operatorKubeconfig).toBe("[secret]");
    });

    test("graph.mmd draws the real orderings, without arrows another path implies", () => {
        const mmd = file(infra, "graph.mmd");
        const ids = new Map([...mmd.matchAll(/^\s+(r\d+)\["([^<]+)<br/gm)].map((m) => [m[1], m[2]]));
        const edges = [...mmd.matchAll(/^\s+(r\d+) --> (r\d+)$/gm)].map((m) => [ids.get(m[1])!, ids.get(m[2])!]);
        expect(edges.length).toBeGreaterThan(20);
        for (const [a, b] of edges) expect(recording.isOrderedAfter(recording.find(b), recording.find(a))).toBe(true);
        expect(edges).toContainEqual(["infra-bootstrap", "infra-kubeconfig"]);
        expect(edges).not.toContainEqual(["infra-secrets", "infra-kubeconfig"]); // implied via the bootstrap
    });
});

describe("the command line", () => {
    const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "tools", "render", "cli.ts"), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
                resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
            );
        });
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-cli-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("renders a stack into --out and exits 0", async () => {
        const res = await run(["--stack", "infra", "--out", path.join(dir, "infra")]);
        expect(res).toMatchObject({ code: 0, stderr: "" });
        expect(fs.readFileSync(path.join(dir, "infra", "graph.json"), "utf8")).toBe(file(infra, "graph.json"));
        const apps2 = await run(["--stack", "apps", "--ref", `infra=${path.join(dir, "infra")}`, "--out", path.join(dir, "apps")]);
        expect(apps2.code).toBe(0);
        expect(fs.readFileSync(path.join(dir, "apps", "helm", "cilium.yaml"), "utf8")).toBe(file(apps, "helm/cilium.yaml"));
    }, 60_000);

    test("fails with the configuration error pulumi up would print, and a non-zero exit", async () => {
        const bad = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(bad, fs.readFileSync(path.join(ROOT, "Pulumi.infra.yaml"), "utf8").replace("id: 1\n", "id: 300\n"));
        const res = await run(["--stack", "infra", "--config", bad, "--out", path.join(dir, "bad")]);
        expect(res.code).toBe(1);
        expect(res.stderr).toBe('render failed: Invalid configuration for stack "infra" (1 problem):\n  - platform:cluster.id = 300: must be between 1 and 255\n');
        expect(fs.existsSync(path.join(dir, "bad"))).toBe(false);
    }, 60_000);

    test("rendering apps without infra's render says how to provide it", async () => {
        const res = await run(["--stack", "apps", "--out", path.join(dir, "apps-alone")]);
        expect(res.code).toBe(1);
        expect(res.stderr).toContain("Offline, render stack infra first and pass it: --ref infra=out/infra");
    }, 60_000);
});
