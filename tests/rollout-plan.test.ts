import type { ClusterTarget, NodeTarget } from "../model";
import { appliesImmediately, changedSections, configSections } from "../planners/machine-config";
import { describePlan, planRollout } from "../planners/rollout";

/** The rollout plan: which node gets what, in which order, and which plans are refused. */

const SCHEMATIC = "a".repeat(64);
const node = (hostname: string, ip: string, role: NodeTarget["role"] = "controlplane", sections: Record<string, string> = { "machine.network": "n1", cluster: "c1" }): NodeTarget => ({
    hostname,
    ip,
    role,
    macs: [`02:00:00:00:00:${ip.split(".")[3].padStart(2, "0")}`],
    config: { hash: JSON.stringify(sections), sections },
});
const target = (nodes: NodeTarget[], over: Partial<ClusterTarget> = {}): ClusterTarget => ({
    cluster: "infra",
    talos: { version: "v1.11.6", schematic: SCHEMATIC, image: `factory.talos.dev/installer/${SCHEMATIC}:v1.11.6` },
    kubernetes: "1.34.1",
    nodes,
    ...over,
});
const three = [node("cp-1", "10.0.0.11"), node("cp-2", "10.0.0.12"), node("cp-3", "10.0.0.13")];
const withWorkers = [...three, node("w-1", "10.0.0.21", "worker"), node("w-2", "10.0.0.22", "worker")];
const talos = (version: string, schematic = SCHEMATIC) => ({ talos: { version, schematic, image: `factory.talos.dev/installer/${schematic}:${version}` } });

test("the first run plans nothing: the nodes are installed with the target", () => {
    const { plan, problems } = planRollout(undefined, target(three));
    expect(problems).toEqual([]);
    expect(plan.order).toEqual([]);
    expect(Object.values(plan.nodes).map((n) => n.action)).toEqual(["none", "none", "none"]);
});

test("an unchanged target plans nothing", () => {
    const { plan } = planRollout(target(withWorkers), target(withWorkers));
    expect(plan).toEqual({ order: [], nodes: expect.any(Object), kubernetes: null, etcdSnapshot: null });
    expect(describePlan(plan)).toEqual(["no change to any node"]);
});

test("a Talos upgrade takes every node, control planes before workers, with a snapshot before the first control plane", () => {
    const shuffled = [withWorkers[3], withWorkers[0], withWorkers[4], withWorkers[1], withWorkers[2]];
    const { plan, problems } = planRollout(target(shuffled), target(shuffled, talos("v1.12.1")));
    expect(problems).toEqual([]);
    expect(plan.order).toEqual(["cp-1", "cp-2", "cp-3", "w-1", "w-2"]);
    expect(plan.nodes["w-1"]).toMatchObject({ action: "upgrade", from: "v1.11.6", to: "v1.12.1" });
    expect(plan.etcdSnapshot).toBe("cp-1");
});

test("a schematic change alone is an upgrade that names both schematics", () => {
    const { plan } = planRollout(target(three), target(three, talos("v1.11.6", "b".repeat(64))));
    expect(plan.nodes["cp-2"]).toMatchObject({ action: "upgrade", from: `v1.11.6 (schematic ${"a".repeat(12)})`, to: `v1.11.6 (schematic ${"b".repeat(12)})` });
});

test("a config change that Talos applies live is an apply, not a disruption", () => {
    const after = three.map((n) => node(n.hostname, n.ip, n.role, { "machine.network": "n2", cluster: "c1" }));
    const { plan } = planRollout(target(three), target(after));
    expect(plan.order).toEqual([]);
    expect(plan.nodes["cp-1"]).toMatchObject({ action: "apply", reasons: ["machine.network changed"] });
});

test("a config change that needs a reboot is a reboot, naming the section", () => {
    const after = withWorkers.map((n) => node(n.hostname, n.ip, n.role, { "machine.network": "n1", cluster: "c1", "machine.files": "f1" }));
    const { plan } = planRollout(target(withWorkers), target(after));
    expect(plan.order).toEqual(["cp-1", "cp-2", "cp-3", "w-1", "w-2"]);
    expect(plan.nodes["w-2"]).toMatchObject({ action: "reboot", reasons: ["machine.files changed (needs a reboot)"] });
    // Reboots are not risky steps: no etcd snapshot for them.
    expect(plan.etcdSnapshot).toBeNull();
});

test("adds come before removals; removals go workers first; the snapshot precedes the first control-plane removal", () => {
    const desired = [three[0], three[1], node("cp-4", "10.0.0.14"), withWorkers[3]];
    const { plan, problems } = planRollout(target(withWorkers), target(desired));
    expect(problems).toEqual([]);
    expect(plan.order).toEqual(["cp-4", "w-2", "cp-3"]);
    expect(plan.nodes["cp-4"].action).toBe("add");
    expect(plan.nodes["cp-3"].action).toBe("remove");
    expect(plan.etcdSnapshot).toBe("cp-3");
});

test("a Kubernetes upgrade comes after the Talos upgrades of the same run", () => {
    const { plan } = planRollout(target(three), target(three, { ...talos("v1.12.1"), kubernetes: "1.35.0" }));
    expect(plan.kubernetes).toEqual({ from: "1.34.1", to: "1.35.0" });
    const lines = describePlan(plan);
    expect(lines.indexOf("kubernetes: upgrade 1.34.1 → 1.35.0")).toBe(lines.findIndex((l) => l.startsWith("cp-3: upgrade")) + 1);
});

describe("refused before anything runs", () => {
    const refused = (before: ClusterTarget, after: ClusterTarget) => planRollout(before, after).problems;

    test("a skipped Talos minor, naming both versions and the hop to take", () => {
        expect(refused(target(three), target(three, talos("v1.13.2")))).toEqual([
            'platform:versions.talos = "v1.13.2": v1.11.6 → v1.13.2 skips a Talos minor; upgrade one minor at a time: first to the latest 1.12.x release, then to 1.13',
        ]);
    });

    test("a Talos downgrade", () => {
        expect(refused(target(three), target(three, talos("v1.11.5")))[0]).toContain("v1.11.5 is older than v1.11.6");
    });

    test("a skipped Kubernetes minor", () => {
        expect(refused(target(three), target(three, { kubernetes: "1.36.0" }))[0]).toContain("1.34.1 → 1.36.0 skips a Kubernetes minor; upgrade one minor at a time: first to 1.35.x");
    });

    test("a Talos minor that does not support the running Kubernetes", () => {
        expect(refused(target(three, { kubernetes: "1.29.4" }), target(three, { ...talos("v1.12.1"), kubernetes: "1.29.4" }))).toEqual([
            'platform:versions.talos = "v1.12.1": the cluster runs Kubernetes 1.29.4, but Talos 1.12 supports Kubernetes 1.30 to 1.35; upgrade Kubernetes first, then Talos',
        ]);
    });

    test("a renamed node (same address or MAC), which would otherwise be removed and reset", () => {
        const renamed = [three[0], three[1], { ...three[2], hostname: "cp-9" }];
        expect(refused(target(three), target(renamed))[0]).toMatch(/^platform:nodes: cp-9 \(10\.0\.0\.13\) is the machine that was cp-3 \(10\.0\.0\.13\); renaming a live node is not supported/);
        const sameMac = [three[0], three[1], { ...node("cp-9", "10.0.0.19"), macs: three[2].macs }];
        expect(refused(target(three), target(sameMac))).toHaveLength(1);
    });

    test("a live node's new address or role", () => {
        expect(refused(target(three), target([three[0], three[1], { ...three[2], ip: "10.0.0.99" }]))[0]).toContain("cp-3 moves from 10.0.0.13 to 10.0.0.99");
        expect(refused(target(withWorkers), target([...three, { ...withWorkers[3], role: "controlplane" }, withWorkers[4]]))[0]).toContain("w-1 changes role");
    });

    test("every problem at once", () => {
        expect(refused(target(three), target([three[0], { ...three[1], ip: "10.0.0.99" }, three[2]], { ...talos("v1.13.2"), kubernetes: "1.36.0" }))).toHaveLength(3);
    });
});

describe("machine-config sections and the reboot rule", () => {
    const config = (extra: string) =>
        `version: v1alpha1\nmachine:\n  type: controlplane\n  network:\n    hostname: cp-1\n  features:\n    kubePrism: {enabled: true, port: 7445}\n    rbac: true\n${extra}cluster:\n  clusterName: infra\n---\napiVersion: v1alpha1\nkind: EthernetConfig\nname: eth0\nrings: {rx: 4096}\n`;

    test("cuts the v1alpha1 document per machine key and feature, other documents per kind and name", () => {
        expect(Object.keys(configSections(config("")))).toEqual([
            "cluster",
            "EthernetConfig/eth0",
            "machine.features.kubePrism",
            "machine.features.rbac",
            "machine.network",
            "machine.type",
            "version",
        ]);
    });

    test("a change to machine.files needs a reboot; network, KubePrism and other documents do not", () => {
        const changed = changedSections(configSections(config("")), configSections(config("  files: [{path: /etc/x, content: y, op: create}]\n")));
        expect(changed).toEqual(["machine.files"]);
        expect(["machine.files", "machine.env", "machine.udev", "machine.features.rbac", "machine.type"].filter(appliesImmediately)).toEqual([]);
        expect(["machine.network", "cluster", "machine.features.kubePrism", "machine.sysctls", "EthernetConfig/eth0"].every(appliesImmediately)).toBe(true);
    });

    test("digests are stable under key order and never contain the values", () => {
        const a = configSections("machine:\n  network: {hostname: a, nameservers: [1.1.1.1]}\n");
        const b = configSections("machine:\n  network: {nameservers: [1.1.1.1], hostname: a}\n");
        expect(a).toEqual(b);
        expect(JSON.stringify(configSections("machine:\n  token: s3cr3t-token\n"))).not.toContain("s3cr3t");
    });
});
