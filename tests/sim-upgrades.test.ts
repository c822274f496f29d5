/**
 * Tests of the simulated cluster's upgrades (tests/support/sim): Talos upgrades per client version
 * (legacy and LifecycleService), reboots, refusals and faults, upgrade-k8s, and the event log with
 * the assertions computed from it.
 */
import { spawn } from "child_process";
import { disruptionIntervals, overlaps, cordonedAtEnd, type SimEvent } from "./support/sim";
import { SCHEM_A, SCHEM_B, nodes, parseTable, sim } from "./support/sim-fixtures";

describe("upgrades, reboots and the event log", () => {
    it("legacy upgrade (v1.11): new version, schematic and boot id; refusals; --wait progress on stderr", async () => {
        const s = await sim({ talosctlVersion: "v1.11.6" });
        try {
            const image = `factory.talos.dev/installer/${SCHEM_B}:v1.11.6`;
            const before = s.node("infra-01").bootId;
            const r = await s.talosctlInProcess(["-n", "10.25.11.11", "-e", "10.25.11.11", "upgrade", "--image", image]);
            expect(r.code).toBe(0);
            expect(r.stdout).toBe("");
            expect(r.stderr.split("\n")[0]).toBe('"10.25.11.11": waiting for actor ID');
            expect(r.stderr).toContain('"10.25.11.11": post check passed\n');
            expect(s.node("infra-01")).toMatchObject({ version: "v1.11.6", schematic: SCHEM_B, stage: "running" });
            expect(s.node("infra-01").bootId).not.toBe(before);
            expect(s.node("infra-01").kube.unschedulable).toBe(false); // Talos uncordons what it cordoned

            // --wait=false: the NODE ACK STARTED table; an etcd refusal comes back as a WARNING (exit 0)
            s.faults.etcdUnhealthy("infra-03", "context deadline exceeded");
            const refused = await s.talosctlInProcess(["-n", "10.25.11.12", "-e", "10.25.11.12", "upgrade", "--image", image, "--wait=false"]);
            expect(refused.code).toBe(0);
            expect(refused.stdout).toBe("NODE   ACK   STARTED\n");
            expect(refused.stderr).toContain(`WARNING: 1 error occurred:\n\t* 10.25.11.12: rpc error: code = Unknown desc = error validating etcd for upgrade: etcd member ${s.node("infra-03").etcd.memberId} is not healthy; all members must be healthy to perform an upgrade: context deadline exceeded\n\n`);
            const waited = await s.talosctlInProcess(["-n", "10.25.11.12", "-e", "10.25.11.12", "upgrade", "--image", image]);
            expect(waited.code).toBe(1);
            expect(waited.stderr.trimEnd().split("\n").pop()).toMatch(/^"10\.25\.11\.12": error: rpc error: code = Unknown desc = error validating etcd for upgrade: /);
            s.faults.etcdHealthy("infra-03");
            const ok = await s.talosctlInProcess(["-n", "10.25.11.12", "-e", "10.25.11.12", "upgrade", "--image", image, "--wait=false"]);
            expect(ok.code).toBe(0);
            const table = parseTable(ok.stdout);
            expect(table).toEqual([{ NODE: "10.25.11.12", ACK: "Upgrade request received", STARTED: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4} \S+ m=\+\d+\.\d{9}$/) }]);
            await s.waitForEvent((e) => e.op === "node-up" && e.node === "infra-02");

            // comesBackOn: the node boots the old version (verify, don't trust the exit code)
            s.faults.comesBackOn("infra-03");
            expect((await s.talosctlInProcess(["-n", "10.25.11.13", "-e", "10.25.11.13", "upgrade", "--image", image])).code).toBe(0);
            expect(s.node("infra-03")).toMatchObject({ version: "v1.11.5", schematic: SCHEM_A });

            // the log: one node at a time
            const iv = disruptionIntervals(s.events);
            expect(iv.map((i) => i.node)).toEqual(["infra-01", "infra-02", "infra-03"]);
            expect(iv.every((i) => i.endSeq !== undefined)).toBe(true);
            expect(overlaps(iv)).toEqual([]);
        } finally {
            await s.close();
        }
    });

    it("two-member etcd refuses an upgrade unless --force; neverReturns keeps the node down and --wait times out", async () => {
        const s = await sim({ talosctlVersion: "v1.12.1", nodes: nodes("v1.12.1", 1, 2) });
        try {
            const image = `factory.talos.dev/installer/${SCHEM_A}:v1.12.2`;
            const r = await s.talosctlInProcess(["-n", "10.25.11.11", "-e", "10.25.11.11", "upgrade", "-i", image, "--wait=false"]);
            expect(r.stderr).toContain("error validating etcd for upgrade: etcd member count(2) is insufficient to maintain quorum if upgrade commences");
            expect(s.events.some((e) => e.op === "upgrade-requested")).toBe(false);
            s.faults.neverReturns("work-01");
            const t = await s.talosctlInProcess(["-n", "10.25.11.21", "-e", "10.25.11.11", "upgrade", "-i", image, "--force", "--timeout", "400s"]); // 400 s × 0.001
            expect(t.code).toBe(1);
            expect(t.stderr.trimEnd().split("\n").pop()).toBe('"10.25.11.21": error: context deadline exceeded');
            expect(s.node("work-01")).toMatchObject({ stage: "down", reachable: false });
            const down = await s.talosctlInProcess(["-n", "10.25.11.21", "-e", "10.25.11.21", "version"]);
            expect(down.stderr).toContain("dial tcp 10.25.11.21:50000: connect: connection refused");
            // through another endpoint, v1.12 version reports the node error as a WARNING
            const via = await s.talosctlInProcess(["-n", "10.25.11.21", "-e", "10.25.11.11", "version"]);
            expect(via.code).toBe(0);
            expect(via.stderr).toBe(`WARNING: 1 error occurred:\n\t* 10.25.11.21: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.25.11.21:50000: connect: connection refused"\n\n`);
            s.powerOn("work-01");
            expect(s.node("work-01")).toMatchObject({ stage: "running", version: "v1.12.2" });
            // v1.12 etcd: header always printed; per-node errors joined, exit 1
            const st = await s.talosctlInProcess(["-n", "10.25.11.11,10.25.11.21", "etcd", "status"]);
            expect(st.code).toBe(1);
            expect(st.stdout.split("\n")[0]).toMatch(/LEARNER   PROTOCOL   STORAGE   ERRORS$/);
            expect(parseTable(st.stdout)).toHaveLength(1);
            expect(st.stderr).toBe("error from node 10.25.11.21: rpc error: code = Unimplemented desc = etcd status is only available on control plane nodes\n");
        } finally {
            await s.close();
        }
    });

    it("v1.13 client: LifecycleService upgrade; --drain (default) cordons, drains, tracks the reboot, uncordons; --drain=false --wait=false only fires it; a failed install ends it", async () => {
        const s = await sim({
            talosctlVersion: "v1.13.0",
            nodes: nodes("v1.13.0", 2),
            pods: [{ namespace: "default", name: "api-qwert", node: "work-01", owner: { kind: "ReplicaSet", name: "api-1" } }],
        });
        try {
            const dep = await s.talosctlInProcess(["-n", "10.25.11.21", "upgrade", "-i", `factory.talos.dev/installer/${SCHEM_B}:v1.13.1`, "--stage", "--wait=false"]);
            expect(dep.stderr.split("\n")[0]).toBe("Flag --stage has been deprecated, legacy flag for MachineService.Upgrade fallback, to be removed in Talos 1.18");
            await s.waitForEvent((e) => e.op === "node-up" && e.node === "work-01");
            expect(s.node("work-01")).toMatchObject({ version: "v1.13.1", schematic: SCHEM_B, kube: { unschedulable: false } });
            const ops = s.events.filter((e) => e.node === "work-01" && ["cordon", "evict", "upgrade-requested", "upgrade-installed", "reboot-requested", "node-down", "node-up", "uncordon"].includes(e.op)).map((e) => `${e.source}:${e.op}`);
            // --drain (default true) forces --wait (SOURCES.md §4): the call tracks the reboot, then the deferred uncordon runs
            expect(ops).toEqual(["sim:upgrade-requested", "sim:upgrade-installed", "talosctl:cordon", "talosctl:evict", "sim:reboot-requested", "sim:node-down", "sim:node-up", "talosctl:uncordon"]);
            expect(dep.stderr).toContain("10.25.11.21: upgrade completed\n");
            expect(dep.stdout).toBe("");
            // --drain=false --wait=false: install, then the reboot is only fired; talosctl touches no Node
            const seq = s.events.length;
            const fire = await s.talosctlInProcess(["-n", "10.25.11.21", "upgrade", "-i", `factory.talos.dev/installer/${SCHEM_B}:v1.13.2`, "--drain=false", "--wait=false"]);
            expect(fire).toMatchObject({ code: 0, stdout: "" });
            expect(fire.stderr).toBe(`10.25.11.21: pulling image factory.talos.dev/installer/${SCHEM_B}:v1.13.2\n10.25.11.21: upgrade completed\n`);
            expect(s.events.slice(seq).filter((e) => e.node === "work-01" && ["cordon", "uncordon", "reboot-requested", "node-up"].includes(e.op)).map((e) => e.op)).toEqual(["reboot-requested"]);
            await s.waitForEvent((e) => e.seq > seq && e.op === "node-up" && e.node === "work-01");
            // a failed install (exit code) ends the command, nothing rebooted
            s.faults.upgradeFails("work-01", 2);
            const failed = await s.talosctlInProcess(["-n", "10.25.11.21", "upgrade", "-i", `factory.talos.dev/installer/${SCHEM_B}:v1.13.3`, "--drain=false", "--wait=false"]);
            expect(failed.code).toBe(1);
            expect(failed.stderr).toContain("10.25.11.21: upgrade failed with exit code 2\nerror during upgrade: node 10.25.11.21: upgrade failed with exit code 2\n");
            expect(s.node("work-01").version).toBe("v1.13.2");
            // members on a worker: v1.12+ error from node, exit 1, header still printed
            const m = await s.talosctlInProcess(["-n", "10.25.11.22", "etcd", "members"]);
            expect(m).toEqual({ code: 1, stdout: "NODE   ID   HOSTNAME   PEER URLS   CLIENT URLS   LEARNER\n", stderr: "error from node 10.25.11.22: rpc error: code = Unimplemented desc = member list is only available on control plane nodes\n" });
        } finally {
            await s.close();
        }
    });

    it("onEvent can kill the executor mid-step; the sim carries on", async () => {
        const s = await sim({ talosctlVersion: "v1.11.6" });
        try {
            const child = spawn("talosctl", ["-n", "10.25.11.21", "-e", "10.25.11.21", "reboot"], { env: s.env(), stdio: "ignore" });
            const exited = new Promise<number | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal === "SIGKILL" ? -9 : _code)));
            s.onEvent((e: SimEvent) => e.op === "reboot-requested", () => child.kill("SIGKILL"));
            expect(await exited).toBe(-9);
            await s.waitForEvent((e) => e.op === "node-up" && e.node === "work-01");
            expect(s.node("work-01").stage).toBe("running");
        } finally {
            await s.close();
        }
    });
});

describe("upgrade-k8s", () => {
    it("refuses skipped minors, dry-runs without changes, upgrades API server, configs and kubelets", async () => {
        const s = await sim({ talosctlVersion: "v1.12.1", nodes: nodes("v1.12.1", 1, 1) });
        try {
            const skip = await s.talosctlInProcess(["-n", "10.25.11.11", "upgrade-k8s", "--to", "1.36.0"]);
            expect(skip.code).toBe(1);
            expect(skip.stderr).toContain('unsupported upgrade path 1.34->1.36 (from "1.34.1" to "1.36.0")');
            const multi = await s.talosctlInProcess(["-n", "10.25.11.11,10.25.11.21", "upgrade-k8s", "--to", "1.35.0"]);
            expect(multi.stderr.split("\n")[0]).toBe('command "upgrade-k8s" is not supported with multiple nodes');
            const dry = await s.talosctlInProcess(["-n", "10.25.11.11", "upgrade-k8s", "--to", "1.35.0", "--dry-run"]);
            expect(dry.code).toBe(0);
            expect(dry.stdout).toContain(" > skipped in dry-run\n");
            expect(s.kubernetesVersion()).toBe("1.34.1");
            const up = await s.talosctlInProcess(["-n", "10.25.11.11", "upgrade-k8s", "--to", "1.35.0", "--with-docs=false", "--with-examples=false"]);
            expect(up.code).toBe(0);
            expect(up.stdout.split("\n").slice(0, 3)).toEqual(["automatically detected the lowest Kubernetes version 1.34.1", 'discovered controlplane nodes ["10.25.11.11"]', 'discovered worker nodes ["10.25.11.21"]']);
            expect(up.stdout).toContain('updating "kube-apiserver" to version "1.35.0"\n > "10.25.11.11": starting update\n > update kube-apiserver: 1.34.1 -> 1.35.0\n');
            expect(s.kubernetesVersion()).toBe("1.35.0");
            expect(s.nodes().map((n) => n.kube.kubeletVersion)).toEqual(["1.35.0", "1.35.0"]);
            expect(s.node("infra-01").activeConfig).toContain("registry.k8s.io/kube-apiserver:v1.35.0");
            expect(s.node("work-01").activeConfig).toContain("ghcr.io/siderolabs/kubelet:v1.35.0");
            expect(s.events.filter((e) => e.op === "k8s-upgrade-started" || e.op === "k8s-upgraded")).toHaveLength(2);
        } finally {
            await s.close();
        }
    });
});

describe("event-log assertions", () => {
    const ev = (seq: number, node: string, op: string, detail?: Record<string, unknown>): SimEvent => ({ seq, at: seq, source: "sim", node, op, ...(detail ? { detail } : {}) });

    it("an interval runs from the first disruptive op to up + Ready + uncordoned", () => {
        const log = [
            ev(1, "a", "cordon"),
            ev(2, "a", "evict"),
            ev(3, "a", "upgrade-requested"),
            ev(4, "a", "node-down"),
            ev(5, "a", "node-up"),
            ev(6, "b", "cordon"), // b starts while a is still cordoned
            ev(7, "a", "uncordon"),
            ev(8, "b", "uncordon"),
            ev(9, "c", "config-applied", { reboot: false }), // not disruptive
            ev(10, "c", "reboot-requested"),
        ];
        const iv = disruptionIntervals(log);
        expect(iv.map((i) => [i.node, i.startSeq, i.endSeq])).toEqual([
            ["a", 1, 7],
            ["b", 6, 8],
            ["c", 10, undefined],
        ]);
        expect(overlaps(iv).map(([x, y]) => [x.node, y.node])).toEqual([["a", "b"]]);
    });

    it("cordonedAtEnd lists nodes left cordoned", () => {
        expect(cordonedAtEnd({ nodes: () => [{ hostname: "x", kube: { exists: true, unschedulable: true } }, { hostname: "y", kube: { exists: true, unschedulable: false } }] })).toEqual(["x"]);
    });
});
