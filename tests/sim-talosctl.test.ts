/**
 * Tests of the simulated cluster itself (tests/support/sim) with a v1.11 client: the fake talosctl
 * behaves like the real one (flags, stdout/stderr split, exit codes, output formats), the HTTPS
 * Kubernetes API serves the drain subset (cordon, pods, eviction and budgets), and faults work.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import YAML from "yaml";
import { cordonedAtEnd, type SimCluster } from "./support/sim";
import { FAST, SCHEM_A, jsonStream, kubeRequest, parseTable, sim } from "./support/sim-fixtures";

describe("simulated cluster, talosctl v1.11 client", () => {
    let s: SimCluster;
    beforeAll(async () => {
        s = await sim({
            talosctlVersion: "v1.11.6",
            // An evicted pod terminates only after 600 ms, so the eviction test's second request
            // meets the budget at its lowest even on a loaded machine.
            timing: { ...FAST, evictionMs: 600 },
            pods: [
                { namespace: "default", name: "web-aaaaa", node: "work-01", owner: { kind: "ReplicaSet", name: "web-5d8f" }, pdb: "web" },
                { namespace: "default", name: "web-bbbbb", node: "infra-01", owner: { kind: "ReplicaSet", name: "web-5d8f" }, pdb: "web" },
                { namespace: "kube-system", name: "cilium-xyz12", node: "work-01", owner: { kind: "DaemonSet", name: "cilium" } },
            ],
            pdbs: [{ namespace: "default", name: "web", minAvailable: 1 }],
        });
    });
    afterAll(() => s.close());

    it("generates an executable script first on PATH", async () => {
        const st = statSync(s.talosctlPath);
        expect(st.mode & 0o777).toBe(0o755);
        expect(readFileSync(s.talosctlPath, "utf8").startsWith("#!/usr/bin/env bash\n")).toBe(true);
        expect(s.env()["PATH"]!.startsWith(s.binDir)).toBe(true);
        const r = await s.talosctl(["version", "--client", "--short"]);
        expect(r).toEqual({ stdout: "Client:\nTalos v1.11.6\n", stderr: "", code: 0 });
    });

    it("version: client block, and the server block per node", async () => {
        const r = await s.talosctlInProcess(["-n", "10.25.11.11", "version"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^Client:\n\tTag:         v1\.11\.6\n\tSHA:         [0-9a-f]{8}\n\tBuilt:       \n\tGo version:  go1\.\d+\.\d+\n\tOS\/Arch:     linux\/amd64\nServer:\n\tNODE:        10\.25\.11\.11\n\tTag:         v1\.11\.5\n/);
        expect(r.stdout).toContain("\tEnabled:     RBAC\n");
    });

    it("health (server side): check lines on stderr, stdout empty; a cordoned node fails it", async () => {
        const ok = await s.talosctlInProcess(["-n", "10.25.11.11", "health", "--control-plane-nodes", "10.25.11.11,10.25.11.12,10.25.11.13", "--worker-nodes", "10.25.11.21"]);
        expect(ok.code).toBe(0);
        expect(ok.stdout).toBe("");
        expect(ok.stderr.split("\n")[0]).toBe("waiting for etcd to be healthy: OK");
        expect(ok.stderr).toContain("waiting for all k8s nodes to report schedulable: OK\n");
        await kubeRequest(s, "PATCH", "/api/v1/nodes/infra-02", { body: '{"spec":{"unschedulable":true}}', contentType: "application/merge-patch+json" });
        const bad = await s.talosctlInProcess(["-n", "10.25.11.11", "health", "--wait-timeout", "100s"]); // 100 ms of sim time
        await kubeRequest(s, "PATCH", "/api/v1/nodes/infra-02", { body: '{"spec":{"unschedulable":false}}', contentType: "application/merge-patch+json" });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain("waiting for all k8s nodes to report schedulable: some nodes are not schedulable: [infra-02]\n");
    });

    it("config info -o json reads the talosconfig (context, endpoints, os:admin role, cert expiry)", async () => {
        const r = await s.talosctlInProcess(["config", "info", "-o", "json"]);
        expect(r.code).toBe(0);
        const info = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(info).toEqual({ context: "sim", nodes: [], endpoints: ["10.25.11.11", "10.25.11.12", "10.25.11.13"], roles: ["os:admin"], certTTL: expect.stringMatching(/from now$/), certNotAfter: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
        const missing = await s.talosctlInProcess(["--talosconfig", "/nonexistent/talosconfig", "-n", "10.25.11.11", "version"]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain('failed to open config file "/nonexistent/talosconfig"');
        const noNodes = await s.talosctlInProcess(["etcd", "members"]);
        expect(noNodes.stderr.split("\n")[0]).toBe("nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against");
    });

    it("rejects unknown flags/commands with exit 1 on stderr (error, blank line, usage)", async () => {
        const r = await s.talosctl(["-n", "10.25.11.11", "upgrade", "--drain"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr.startsWith("unknown flag: --drain\n\nUsage:\n  talosctl upgrade [flags]\n")).toBe(true);
        const u = await s.talosctlInProcess(["frobnicate"]);
        expect(u.code).toBe(1);
        expect(u.stderr.startsWith('unknown command "frobnicate" for "talosctl"\n')).toBe(true);
    });

    it("get of a type the sim does not serve fails with the not-registered error, as a table too", async () => {
        for (const output of ["table", "json"]) {
            const r = await s.talosctlInProcess(["-n", "10.25.11.11", "get", "nosuchtype", "-o", output]);
            expect(r.code).toBe(1);
            expect(r.stderr).toContain('resource "nosuchtype" is not registered');
        }
    });

    it("get -o json: a stream of 4-space-indented objects with sorted keys, node as given", async () => {
        const r = await s.talosctlInProcess(["-n", "10.25.11.11,10.25.11.21", "get", "extensions", "-o", "json"]);
        expect(r.code).toBe(0);
        expect(r.stdout.startsWith("{\n    \"metadata\": {\n        \"created\": ")).toBe(true);
        const objs = jsonStream(r.stdout);
        expect(objs).toHaveLength(2);
        expect(objs.map((o) => Object.keys(o))).toEqual([["metadata", "node", "spec"], ["metadata", "node", "spec"]]);
        expect(objs.map((o) => o["node"])).toEqual(["10.25.11.11", "10.25.11.21"]);
        const schematic = objs.map((o) => (o["spec"] as { metadata: { name: string; version: string } }).metadata).filter((m) => m.name === "schematic");
        expect(schematic.map((m) => m.version)).toEqual([SCHEM_A, SCHEM_A]);
        expect((objs[0]!["metadata"] as { version: unknown }).version).toBe(1);
        expect(r.stdout).toContain('"\\u003e= 1.0.0"');
        // version skew warning: servers are v1.11.5, client v1.11.6
        expect(r.stderr).toBe("WARNING: 10.25.11.11, 10.25.11.21: server version 1.11.5 is older than client version 1.11.6\n");

        const v = jsonStream((await s.talosctlInProcess(["-n", "10.25.11.12", "get", "version", "-o", "json"])).stdout);
        expect(v).toEqual([expect.objectContaining({ node: "10.25.11.12", spec: { version: "v1.11.5" } })]);
        const ms = jsonStream((await s.talosctlInProcess(["-n", "10.25.11.12", "get", "machinestatus", "-o", "json"])).stdout);
        expect(ms[0]!["spec"]).toEqual({ stage: "running", status: { ready: true, unmetConditions: [] } });
        const mc = jsonStream((await s.talosctlInProcess(["-n", "10.25.11.12", "get", "mc", "-o", "json"])).stdout);
        expect(mc.map((o) => (o["metadata"] as { id: string }).id)).toEqual(["v1alpha1", "persistent"]);
        expect(typeof mc[0]!["spec"]).toBe("string");

        const bad = await s.talosctlInProcess(["-n", "10.25.11.12", "get", "nosuchthing", "-o", "json"]);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toBe("");
    });

    it("read boot_id; etcd members table round trip; worker members is a v1.11 WARNING", async () => {
        const boot = await s.talosctlInProcess(["-n", "10.25.11.12", "read", "/proc/sys/kernel/random/boot_id"]);
        expect(boot).toMatchObject({ code: 0, stdout: `${s.node("infra-02").bootId}\n` });

        const r = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "members"]);
        expect(r.code).toBe(0);
        expect(r.stdout.split("\n")[0]).toBe("NODE          ID                 HOSTNAME   PEER URLS                  CLIENT URLS                LEARNER");
        const rows = parseTable(r.stdout);
        expect(rows.map((x) => x["ID"])).toEqual(s.etcdMembers().map((m) => m.id));
        expect(rows[0]).toEqual({ NODE: "10.25.11.11", ID: s.node("infra-01").etcd.memberId, HOSTNAME: "infra-01", "PEER URLS": "https://10.25.11.11:2380", "CLIENT URLS": "https://10.25.11.11:2379", LEARNER: "false" });
        for (const id of rows.map((x) => x["ID"])) expect(id).toMatch(/^[0-9a-f]{16}$/);

        const w = await s.talosctlInProcess(["-n", "10.25.11.21", "etcd", "members"]);
        expect(w).toEqual({ code: 0, stdout: "", stderr: "WARNING: 1 error occurred:\n\t* 10.25.11.21: rpc error: code = Unimplemented desc = member list is only available on control plane nodes\n\n" });
    });

    it("etcd status: v1.11 columns, IN USE as `12 MB (40.00%)`, ERRORS from the fault", async () => {
        const clear = s.faults.etcdUnhealthy("infra-02", "NOSPACE");
        const r = await s.talosctlInProcess(["-n", "10.25.11.11,10.25.11.12", "etcd", "status"]);
        clear();
        expect(r.code).toBe(0);
        expect(r.stdout.split("\n")[0]).toMatch(/^NODE {10}MEMBER {13}DB SIZE +IN USE +LEADER +RAFT INDEX +RAFT TERM +RAFT APPLIED INDEX +LEARNER +ERRORS$/);
        const rows = parseTable(r.stdout);
        expect(rows).toHaveLength(2);
        expect(rows[0]!["IN USE"]).toMatch(/^\d+ MB \(\d+\.\d{2}%\)$/);
        expect(rows[0]!["LEADER"]).toBe(s.node(s.etcdLeader()!).etcd.memberId);
        expect(rows.map((x) => x["ERRORS"])).toEqual(["", "NOSPACE"]);
    });

    it("an unreachable node fails like a real one: exit 1, connection refused", async () => {
        const clear = s.faults.unreachable("infra-03");
        const r = await s.talosctl(["-n", "10.25.11.13", "-e", "10.25.11.13", "version"]);
        clear();
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('error getting version: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.25.11.13:50000: connect: connection refused"\n');
        expect(r.stdout).toBe("Client:\n" + r.stdout.slice(8)); // client block printed before the call
    });

    it("kubeconfig: writes an admin kubeconfig for the HTTPS API; refuses to overwrite without --force; 401 without the cert", async () => {
        const dir = mkdtempSync(join(tmpdir(), "sim-kc-"));
        try {
            const path = join(dir, "kubeconfig");
            expect(await s.talosctlInProcess(["-n", "10.25.11.11", "kubeconfig", path])).toMatchObject({ code: 0 });
            const kc = YAML.parse(readFileSync(path, "utf8")) as { clusters: { cluster: { server: string } }[]; "current-context": string };
            expect(kc.clusters[0]!.cluster.server).toBe(s.kubeUrl);
            expect(kc["current-context"]).toBe("admin@sim");
            writeFileSync(path, "something else\n");
            const refused = await s.talosctlInProcess(["-n", "10.25.11.11", "kubeconfig", path, "--merge=false"]);
            expect(refused.code).toBe(1);
            expect(refused.stderr).toBe(`kubeconfig file already exists, use --force to overwrite: "${path}"\n`);
            expect(await s.talosctlInProcess(["-n", "10.25.11.11", "kubeconfig", path, "--force", "--merge=false"])).toMatchObject({ code: 0 });
            expect(readFileSync(path, "utf8")).toBe(s.kubeconfig());
            const worker = await s.talosctlInProcess(["-n", "10.25.11.21", "kubeconfig", path, "--force"]);
            expect(worker.code).toBe(1);
            expect(worker.stderr).toContain("Unimplemented desc = kubeconfig is only available on control plane nodes");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        expect((await kubeRequest(s, "GET", "/api/v1/nodes", { noCert: true })).status).toBe(401);
        const list = await kubeRequest(s, "GET", "/api/v1/nodes");
        expect(list.status).toBe(200);
        const items = (JSON.parse(list.body) as { items: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string }; addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] } }[] }).items;
        expect(items.map((i) => i.metadata.name)).toEqual(["infra-01", "infra-02", "infra-03", "work-01"]);
        expect(items[3]!.status.nodeInfo.kubeletVersion).toBe("v1.34.1");
        expect(items[3]!.status.addresses).toContainEqual({ type: "InternalIP", address: "10.25.11.21" });
        expect(items[3]!.status.conditions.find((c) => c.type === "Ready")!.status).toBe("True");
        expect(JSON.parse((await kubeRequest(s, "GET", "/version")).body)).toMatchObject({ gitVersion: "v1.34.1" });
    });

    it("cordon/uncordon by PATCH (strategic or merge patch; other types 415), pods by field selector with pagination", async () => {
        const bad = await kubeRequest(s, "PATCH", "/api/v1/nodes/work-01", { body: '{"spec":{"unschedulable":true}}', contentType: "application/json" });
        expect(bad.status).toBe(415);
        const c = await kubeRequest(s, "PATCH", "/api/v1/nodes/work-01", { body: '{"spec":{"unschedulable":true},"metadata":{"annotations":{"sim/x":"1"}}}', contentType: "application/strategic-merge-patch+json" });
        expect(c.status).toBe(200);
        expect(s.node("work-01").kube).toMatchObject({ unschedulable: true, annotations: { "sim/x": "1" } });
        expect(cordonedAtEnd(s)).toEqual(["work-01"]);
        await kubeRequest(s, "PATCH", "/api/v1/nodes/work-01", { body: '{"spec":{"unschedulable":null},"metadata":{"annotations":{"sim/x":null}}}', contentType: "application/merge-patch+json" });
        expect(s.node("work-01").kube).toMatchObject({ unschedulable: false, annotations: {} });
        expect(s.events.filter((e) => e.source === "kube" && e.node === "work-01" && (e.op === "cordon" || e.op === "uncordon")).map((e) => e.op)).toEqual(["cordon", "uncordon"]);

        const page1 = JSON.parse((await kubeRequest(s, "GET", `/api/v1/pods?${new URLSearchParams({ fieldSelector: "spec.nodeName=work-01", limit: "1" })}`)).body) as { items: { metadata: { name: string } }[]; metadata: { continue?: string } };
        expect(page1.items.map((p) => p.metadata.name)).toEqual(["web-aaaaa"]);
        const page2 = JSON.parse((await kubeRequest(s, "GET", `/api/v1/pods?${new URLSearchParams({ fieldSelector: "spec.nodeName=work-01", limit: "1", continue: page1.metadata.continue! })}`)).body) as { items: { metadata: { name: string; ownerReferences: { kind: string; controller: boolean }[] } }[]; metadata: { continue?: string } };
        expect(page2.items.map((p) => p.metadata.name)).toEqual(["cilium-xyz12"]);
        expect(page2.items[0]!.metadata.ownerReferences[0]).toMatchObject({ kind: "DaemonSet", controller: true });
        expect(page2.metadata.continue).toBeUndefined();
    });

    it("eviction: 201 Success, pod gone after evictionMs and replaced elsewhere; PDB refusal is the exact 429", async () => {
        const evict = (ns: string, name: string) => kubeRequest(s, "POST", `/api/v1/namespaces/${ns}/pods/${name}/eviction`, { body: JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: ns }, deleteOptions: {} }) });
        const ok = await evict("default", "web-aaaaa");
        expect(ok).toEqual({ status: 201, body: '{"kind":"Status","apiVersion":"v1","status":"Success","code":201}' });
        // the budget (minAvailable 1) now has one healthy pod: the second eviction is refused
        const refused = await evict("default", "web-bbbbb");
        expect(refused.status).toBe(429);
        expect(JSON.parse(refused.body)).toEqual({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: "Cannot evict pod as it would violate the pod's disruption budget.",
            reason: "TooManyRequests",
            code: 429,
            details: { causes: [{ reason: "DisruptionBudget", message: "The disruption budget web needs 1 healthy pods and has 1 currently" }] },
        });
        await s.waitForEvent((e) => e.op === "pod-gone" && e.detail?.["pod"] === "default/web-aaaaa");
        expect((await kubeRequest(s, "GET", "/api/v1/namespaces/default/pods/web-aaaaa")).status).toBe(404);
        const replacement = await s.waitForEvent((e) => e.op === "pod-scheduled" && String(e.detail?.["pod"]).startsWith("default/web-"));
        expect(replacement.node).not.toBe("work-01");
        await s.waitForEvent((e) => e.op === "pod-started" && e.detail?.["uid"] === replacement.detail?.["uid"]);
        expect(s.pdb("default", "web")).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 });
        // the fault blocks regardless of the budget's arithmetic
        const clear = s.faults.pdbBlocks("default", "web");
        expect((await evict("default", "web-bbbbb")).status).toBe(429);
        clear();
        expect((await evict("default", "web-bbbbb")).status).toBe(201);
        expect((await evict("default", "nope")).status).toBe(404);
    });

    it("apply-config: the ModeDetails texts on stderr, stdout empty; CanApplyImmediate decides reboots", async () => {
        const dir = mkdtempSync(join(tmpdir(), "sim-ac-"));
        try {
            const file = join(dir, "cfg.yaml");
            const current = s.node("work-01").activeConfig!;
            writeFileSync(file, current);
            const same = await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "-f", file, "--dry-run"]);
            expect(same).toEqual({ code: 0, stdout: "", stderr: "Dry run summary:\nApplied configuration without a reboot (skipped in dry-run).\nConfig diff:\n\nNo changes.\n" });

            writeFileSync(file, current.replace("kubelet:v1.34.1", "kubelet:v1.34.2"));
            const live = await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "--file", file, "--mode", "auto", "--dry-run"]);
            expect(live.stderr).toMatch(/^Dry run summary:\nApplied configuration without a reboot \(skipped in dry-run\)\.\nConfig diff:\n\n--- a\n\+\+\+ b\n@@ /);
            expect(live.stderr).toContain("-        image: ghcr.io/siderolabs/kubelet:v1.34.1\n+        image: ghcr.io/siderolabs/kubelet:v1.34.2\n");

            const needsReboot = YAML.parse(current) as { machine: { env?: Record<string, string> } };
            needsReboot.machine.env = { HTTP_PROXY: "http://proxy:3128" };
            writeFileSync(file, YAML.stringify(needsReboot, { indent: 4 }));
            const rb = await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "-f", file, "--dry-run"]);
            expect(rb.stderr.startsWith("Dry run summary:\nApplied configuration with a reboot (skipped in dry-run).\nConfig diff:\n\n")).toBe(true);
            const noReboot = await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "-f", file, "--mode", "no-reboot"]);
            expect(noReboot.code).toBe(1);
            expect(noReboot.stderr.startsWith("error applying new configuration: 1 error occurred:\n\t* 10.25.11.21: rpc error: code = InvalidArgument desc = this config change can't be applied in immediate mode\ndiff:\n")).toBe(true);
            // even --dry-run fails hard for no-reboot/try
            expect((await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "-f", file, "--mode", "try", "--dry-run"])).code).toBe(1);

            const staged = await s.talosctlInProcess(["-n", "10.25.11.21", "apply-config", "-f", file, "--mode", "staged"]);
            expect(staged).toEqual({ code: 0, stdout: "", stderr: "Staged configuration to be applied after the next reboot\n" });
            expect(s.node("work-01").activeConfig).toBe(current);
            expect(s.node("work-01").persistentConfig).toContain("HTTP_PROXY");
            const pers = jsonStream((await s.talosctlInProcess(["-n", "10.25.11.21", "get", "mc", "persistent", "-o", "json"])).stdout);
            expect(pers[0]!["spec"]).toContain("HTTP_PROXY");

            // a reboot activates the staged config (new boot id)
            const before = s.node("work-01").bootId;
            expect(await s.talosctlInProcess(["-n", "10.25.11.21", "reboot", "--wait=false"])).toEqual({ code: 0, stdout: "", stderr: "WARNING: 10.25.11.21: server version 1.11.5 is older than client version 1.11.6\n" });
            await s.waitForEvent((e) => e.op === "node-up" && e.node === "work-01");
            expect(s.node("work-01")).toMatchObject({ stage: "running", activeConfig: s.node("work-01").persistentConfig });
            expect(s.node("work-01").bootId).not.toBe(before);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("etcd snapshot: <path>.part then rename, size % 512 == 32, two stdout lines; the fault fails it", async () => {
        const dir = mkdtempSync(join(tmpdir(), "sim-snap-"));
        try {
            const path = join(dir, "db.snapshot");
            const r = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "snapshot", path]);
            expect(r.code).toBe(0);
            const size = statSync(path).size;
            expect(size % 512).toBe(32);
            expect(existsSync(`${path}.part`)).toBe(false);
            expect(r.stdout).toMatch(new RegExp(`^etcd snapshot saved to "${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" \\(${size} bytes\\)\\nsnapshot info: hash [0-9a-f]{8}, revision \\d+, total keys \\d+, total size \\d+\\n$`));
            const clear = s.faults.snapshotFails("error reading: rpc error: code = Unknown desc = etcdserver: request timed out");
            const f = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "snapshot", join(dir, "b.snapshot")]);
            clear();
            expect(f).toEqual({ code: 1, stdout: "", stderr: "error reading: rpc error: code = Unknown desc = etcdserver: request timed out\n" });
            expect(existsSync(join(dir, "b.snapshot"))).toBe(false);
            expect((await s.talosctlInProcess(["-n", "10.25.11.11,10.25.11.12", "etcd", "snapshot", path])).stderr).toBe('command "etcd snapshot" is not supported with multiple nodes\n\nUsage:\n  talosctl etcd snapshot [flags]\n\n');
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("forfeit-leadership moves the leader to another healthy voter and prints nothing", async () => {
        const leader = s.etcdLeader()!;
        const ip = s.node(leader).ip;
        expect(await s.talosctlInProcess(["-n", ip, "etcd", "forfeit-leadership"])).toEqual({ code: 0, stdout: "", stderr: "" });
        expect(s.etcdLeader()).not.toBe(leader);
        expect(s.events.some((e) => e.op === "forfeit-leadership" && e.node === leader && e.detail?.["wasLeader"] === true)).toBe(true);
    });

    it("failCommand fault: the next matching invocation fails with the given output", async () => {
        s.faults.failCommand((inv) => inv.command === "etcd members", { stderr: "rpc error: code = Unavailable desc = injected", code: 1 });
        expect(await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "members"])).toEqual({ code: 1, stdout: "", stderr: "rpc error: code = Unavailable desc = injected\n" });
        expect((await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "members"])).code).toBe(0);
    });
});
