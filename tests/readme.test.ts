import * as fs from "fs";
import * as path from "path";
import type { Evaluation } from "../tools/engine/engine";
import type { RecordedResource } from "../tools/engine/recording";
import { RELEASE_TIMEOUT_SECONDS } from "../components/release";
import { fluxInstanceValues } from "../planners/addon-values";
import { ROOT, runStack } from "./harness";

/**
 * The README's bring-up graph must match the dependencies the program really registers, exactly:
 * its arrows are the program's orderings between the boxes with the implied ones left out (the
 * transitive reduction). A missing arrow, an arrow the program does not register, and an arrow
 * another path already implies all fail; so do boxes the graph leaves unconnected that are not
 * independent in the program: with the program's ordering between boxes transitive (`isOrderedAfter`
 * follows dependencies transitively) and no box ordered only partly after another, the paths of
 * the reduced graph are exactly the orderings, so boxes without a path between them are independent.
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

type Edge = readonly [string, string];
const edgeName = ([a, b]: Edge) => `${a} --> ${b}`;

/**
 * The program's orderings between boxes, transitively reduced. Box b comes after box a when every
 * resource of b waits for every resource of a; `partial` lists pairs where only some do (a box
 * that does not stand for one stage).
 */
function programGraph(ev: Evaluation, map: Record<string, RecordedResource[]>): { edges: Edge[]; partial: string[] } {
    const ids = Object.keys(map).sort();
    const after = new Map<string, Set<string>>(ids.map((b) => [b, new Set<string>()]));
    const partial: string[] = [];
    for (const a of ids) {
        for (const b of ids) {
            if (a === b) continue;
            const pairs = map[b].flatMap((later) => map[a].map((earlier) => ev.recording.isOrderedAfter(later, earlier)));
            if (pairs.every(Boolean)) after.get(b)!.add(a);
            else if (pairs.some(Boolean)) partial.push(`${a} --> ${b}`);
        }
    }
    const edges: Edge[] = [];
    for (const b of ids) {
        const before = after.get(b)!;
        // a --> b is implied when b also comes after some c that itself comes after a.
        for (const a of before) if (![...before].some((c) => c !== a && after.get(c)!.has(a))) edges.push([a, b]);
    }
    return { edges, partial };
}

/** Arrows the README lacks and arrows it has that the program's reduced graph does not. */
function compareGraphs(readmeEdges: readonly Edge[], programEdges: readonly Edge[]): { missing: string[]; extra: string[] } {
    const inReadme = new Set(readmeEdges.map(edgeName));
    const inProgram = new Set(programEdges.map(edgeName));
    return {
        missing: [...inProgram].filter((e) => !inReadme.has(e)).sort(),
        extra: [...inReadme].filter((e) => !inProgram.has(e)).sort(),
    };
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

    test("has exactly the program's orderings as arrows, none missing, none extra, none implied by another path", () => {
        const program = programGraph(ev, map);
        expect(program.partial).toEqual([]);
        expect(compareGraphs(edges, program.edges)).toEqual({ missing: [], extra: [] });
    });

    test("the comparison catches a missing arrow, an unregistered one and an implied one", () => {
        const program = programGraph(ev, map).edges;
        expect(compareGraphs(program, program)).toEqual({ missing: [], extra: [] });
        const dropped = program.find((e) => edgeName(e) === "coredns --> flux")!;
        expect(compareGraphs(program.filter((e) => e !== dropped), program)).toEqual({ missing: ["coredns --> flux"], extra: [] });
        // Spegel and the FluxInstance are independent; the API gate comes before Cilium only through other boxes.
        const withExtra: Edge[] = [...program, ["spegel", "flux"], ["api", "cilium"]];
        expect(compareGraphs(withExtra, program)).toEqual({ missing: [], extra: ["api --> cilium", "spegel --> flux"] });
    });
});

describe("a hand-off that does not become Ready, as the README describes it", () => {
    const row = readme.split("\n").find((l) => l.startsWith("| `flux` release"))!;
    const paragraph = /^#### When the hand-off fails\n[\s\S]*?(?=\n#)/m.exec(readme)?.[0] ?? "";
    const healthcheck = fluxInstanceValues({ fluxVersion: "2.7.2", operatorVersion: "0.33.0", gitops: { url: "https://example.test/repo", ref: "refs/heads/main", path: "p" } }).healthcheck as { timeout: string };

    test("the step table points to it, and no longer promises a HealthCheckFailed the user never sees", () => {
        expect(row).toContain("(#when-the-hand-off-fails)");
        expect(readme).not.toContain("HealthCheckFailed");
    });

    test("names the chart's health-check Job, its real bound and the release's, and what to run to find out why", () => {
        expect(paragraph).toContain("`flux-operator-cli wait instance flux --timeout=" + healthcheck.timeout + "`");
        expect(paragraph).toContain(`${RELEASE_TIMEOUT_SECONDS} s`);
        for (const command of ["kubectl -n flux-system logs job/flux-healthcheck", "kubectl -n flux-system describe fluxinstance flux", "kubectl -n flux-system get gitrepository"]) {
            expect({ command, named: paragraph.includes(command) }).toEqual({ command, named: true });
        }
    });
});

test("the README describes SPIRE as the chart runs it: no data volume without a StorageClass, a root server", () => {
    const spire = /^SPIRE \(Cilium mutual authentication[\s\S]*?(?=\n\n)/m.exec(readme)?.[0] ?? "";
    expect(spire).not.toMatch(/data on an\s+emptyDir/);
    expect(spire).toMatch(/writable layer/);
    expect(spire).toContain("`runAsUser: 0`, `runAsGroup: 0`");
});
