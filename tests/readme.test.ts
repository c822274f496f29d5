import * as fs from "fs";
import * as path from "path";
import type { Evaluation } from "../tools/engine/engine";
import type { RecordedResource } from "../tools/engine/recording";
import { ROOT, runStack } from "./harness";

/**
 * The README's bring-up graph must match the dependencies the program really registers: every
 * arrow is an ordering, and boxes the graph leaves unconnected are really independent.
 */

const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const mermaid = /```mermaid\n([\s\S]*?)```/.exec(readme)![1];
const edges = [...mermaid.matchAll(/^\s*(\w+)(?:\[.*?\]|\{\{.*?\}\}|\(.*?\))?\s*-->\s*(\w+)/gm)].map((m) => [m[1], m[2]] as const);
const ids = [...new Set(edges.flat())];

/** Which recorded resources each box of the README graph stands for. */
function boxes(ev: Evaluation, stack: string): Record<string, RecordedResource[]> {
    const rec = ev.recording;
    const release = (name: string) => rec.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.name === name);
    const crds = (group: string) =>
        rec.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").filter((r) => (r.inputs.spec as { group: string }).group.endsWith(group));
    return {
        secrets: [rec.find(`${stack}-secrets`)],
        schematic: [rec.find(`${stack}-schematic`)],
        apply: rec.ofType("talos:machine/configurationApply:ConfigurationApply"),
        bootstrap: [rec.find(`${stack}-bootstrap`)],
        talosadmin: [rec.find(`${stack}-admin-talos`)],
        kubeadmin: [rec.find(`${stack}-admin-kubernetes`)],
        backup: rec.ofType("onepassword:index/item:Item"),
        rollout: [rec.find(`${stack}-rollout`)],
        api: [rec.find(`${stack}-api-ready`)],
        provider: [rec.find(`${stack}-kubernetes`)],
        gatewayapi: crds("gateway.networking.k8s.io"),
        promcrds: release("prometheus-operator-crds"),
        certcrds: crds("cert-manager.io"),
        esocrds: crds("external-secrets.io"),
        vmcrds: release("victoria-metrics-operator-crds"),
        cilium: release("cilium"),
        nodes: [rec.find(`${stack}-cilium-nodes-ready`)],
        coredns: release("coredns"),
        spegel: release("spegel"),
        certmanager: release("cert-manager"),
        eso: release("external-secrets"),
        fluxoperator: release("flux-operator"),
        token: [rec.find(`${stack}-onepassword-connect-token`)],
        gitcreds: [rec.find(`${stack}-onepassword-git-credentials`)],
        settings: [rec.find(`${stack}-flux-cluster-settings`)],
        store: [rec.find(`${stack}-onepassword-cluster-secret-store`)],
        flux: release("flux"),
    };
}

function reachable(from: string): Set<string> {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
        const cur = stack.pop()!;
        for (const [a, b] of edges) if (a === cur && !seen.has(b)) stack.push((seen.add(b), b));
    }
    return seen;
}

describe.each(["infra", "apps"])("README bring-up graph vs stack %s", (stack) => {
    let map: Record<string, RecordedResource[]>;
    let ev: Evaluation;
    beforeAll(async () => {
        ev = await runStack(stack);
        map = boxes(ev, stack);
    });

    test("names exactly the program's stages", () => {
        expect(ids.sort()).toEqual(Object.keys(map).sort());
        for (const [id, resources] of Object.entries(map)) expect({ id, count: resources.length > 0 }).toEqual({ id, count: true });
    });

    test("every arrow is an ordering the program registers", () => {
        for (const [a, b] of edges) {
            for (const later of map[b]) for (const earlier of map[a]) expect({ edge: `${a} --> ${b}`, ordered: ev.recording.isOrderedAfter(later, earlier) }).toEqual({ edge: `${a} --> ${b}`, ordered: true });
        }
    });

    test("boxes without a path between them are independent in the program", () => {
        for (const a of ids) {
            const fromA = reachable(a);
            for (const b of ids) {
                if (a >= b || fromA.has(b) || reachable(b).has(a)) continue;
                expect({ pair: `${a} / ${b}`, independent: ev.recording.areIndependent(map[a][0], map[b][0]) }).toEqual({ pair: `${a} / ${b}`, independent: true });
            }
        }
    });
});

test("the README describes SPIRE as the chart runs it: no data volume without a StorageClass, a root server", () => {
    const spire = /^SPIRE \(Cilium mutual authentication[\s\S]*?(?=\n\n)/m.exec(readme)?.[0] ?? "";
    expect(spire).not.toMatch(/data on an\s+emptyDir/);
    expect(spire).toMatch(/writable layer/);
    expect(spire).toContain("`runAsUser: 0`, `runAsGroup: 0`");
});
