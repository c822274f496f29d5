/**
 * Tests of the simulated cluster itself (tests/support/sim): the fake talosctl behaves like the
 * real one per client version (flags, stdout/stderr split, exit codes, output formats), the
 * HTTPS Kubernetes API serves the drain subset, state transitions and faults work, and the
 * event-log assertions compute what they claim.
 */
import { request as httpsRequest } from "https";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "fs";
import { spawn } from "child_process";
import { tmpdir } from "os";
import { join } from "path";
import YAML from "yaml";
import { startSimCluster, disruptionIntervals, overlaps, cordonedAtEnd, tabwrite, type SimCluster, type SimEvent, type SimNodeSpec, type SimOptions } from "./support/sim";
import { commandTree, parseCommandLine } from "./support/sim/cli";

const SCHEM_A = "a".repeat(64);
const SCHEM_B = "b".repeat(64);
const FAST = { rebootMs: 120, upgradeMs: 150, installMs: 100, learnerPromoteMs: 60, evictionMs: 15, goDownMs: 10, resetMs: 60, shutdownMs: 40, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 20, drainRetryMs: 10 };

function nodes(talos: string, workers = 1, cps = 3): SimNodeSpec[] {
    const out: SimNodeSpec[] = [];
    for (let i = 1; i <= cps; i++) out.push({ hostname: `infra-0${i}`, ip: `10.25.11.1${i}`, role: "controlplane", talos, schematic: SCHEM_A });
    for (let i = 1; i <= workers; i++) out.push({ hostname: `work-0${i}`, ip: `10.25.11.2${i}`, role: "worker", talos, schematic: SCHEM_A });
    return out;
}

function sim(o: Partial<SimOptions> & { talosctlVersion: string }): Promise<SimCluster> {
    return startSimCluster({ kubernetesVersion: "1.34.1", nodes: nodes("v1.11.5"), timing: FAST, ...o });
}

/** Parse a tabwriter table by the header's column start positions. */
function parseTable(text: string): Record<string, string>[] {
    const lines = text.split("\n").filter((l) => l !== "");
    const header = lines[0]!;
    const starts: [string, number][] = [];
    const re = /\S+(?: \S+)*/g;
    for (let m = re.exec(header); m; m = re.exec(header)) starts.push([m[0], m.index]);
    return lines.slice(1).map((l) => Object.fromEntries(starts.map(([name, s], i) => [name, l.slice(s, i + 1 < starts.length ? starts[i + 1]![1] : undefined).trim()])));
}

/** Split a stream of concatenated JSON objects (what `jq -s` reads). */
function jsonStream(text: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    let depth = 0;
    let start = -1;
    let inStr = false;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (inStr) {
            if (ch === "\\") i++;
            else if (ch === '"') inStr = false;
            continue;
        }
        if (ch === '"') inStr = true;
        else if (ch === "{") {
            if (depth++ === 0) start = i;
        } else if (ch === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
    }
    return out;
}

function kubeRequest(s: SimCluster, method: string, path: string, o: { body?: string; contentType?: string; noCert?: boolean } = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = httpsRequest(
            `${s.kubeUrl}${path}`,
            {
                method,
                ca: s.pki.caCert,
                ...(o.noCert ? {} : { cert: s.pki.clientCert, key: s.pki.clientKey }),
                headers: { ...(o.body !== undefined ? { "content-type": o.contentType ?? "application/json", "content-length": Buffer.byteLength(o.body) } : {}) },
                agent: false,
            },
            (res) => {
                let data = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (data += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
            },
        );
        req.on("error", reject);
        req.end(o.body);
    });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Go formatting ports", () => {
    it("tabwriter: columns are widest cell + 3, the last cell of a line is not padded, tab-terminated cells are", () => {
        expect(tabwrite("NODE\tID\tLEARNER\n10.25.11.11\tabc\tfalse\n")).toBe("NODE          ID    LEARNER\n10.25.11.11   abc   false\n");
        // "%s\t%s\t%s\t\n" rows (NODE ACK STARTED): the header's last cell is not in the column, the row's is padded.
        expect(tabwrite("NODE\tACK\tSTARTED\nn1\tok\tT\t\n")).toBe("NODE   ACK   STARTED\nn1     ok    T   \n");
        // a line with fewer cells ends the column block
        expect(tabwrite("a\tb\tc\nxxxxxx\n1\t2\t3\n")).toBe("a   b   c\nxxxxxx\n1   2   3\n");
        expect(tabwrite("NODE\tx\nID\tetcd\nEVENTS\te1\n\te2\n")).toBe("NODE     x\nID       etcd\nEVENTS   e1\n         e2\n");
    });
});

describe("talosctl command line per client version", () => {
    const parse = (minor: number, argv: string[]) => parseCommandLine(commandTree(minor, `v1.${minor}.0`), argv);

    it("rejects flags the emulated version does not have", () => {
        expect(parse(11, ["-n", "x", "upgrade", "--drain"])).toMatchObject({ kind: "error", message: "unknown flag: --drain" });
        expect(parse(13, ["-n", "x", "upgrade", "--drain=false"])).toMatchObject({ kind: "run", cmd: { path: ["upgrade"], flags: { drain: false } } });
        expect(parse(11, ["-c", "x", "version"])).toMatchObject({ kind: "error", message: "unknown shorthand flag: 'c' in -c" });
        expect(parse(12, ["-c", "x", "version"])).toMatchObject({ kind: "run", cmd: { flags: { cluster: "x" } } });
        expect(parse(11, ["reboot", "--drain"])).toMatchObject({ kind: "error", message: "unknown flag: --drain" });
        expect(parse(13, ["reboot", "--drain"])).toMatchObject({ kind: "run" });
        expect(parse(11, ["upgrade-k8s", "--manifests-force"])).toMatchObject({ kind: "error" });
        expect(parse(13, ["upgrade-k8s", "--manifests-force"])).toMatchObject({ kind: "run" });
    });

    it("parses like pflag: interspersed flags, slices, shorthand forms, bool and duration validation", () => {
        expect(parse(11, ["etcd", "-n", "a,b", "members", "-n", "c"])).toMatchObject({ kind: "run", cmd: { path: ["etcd", "members"], flags: { nodes: ["a", "b", "c"] } } });
        expect(parse(11, ["-n10.0.0.1", "upgrade", "-i=img:v1", "-fs", "--wait=false"])).toMatchObject({ kind: "run", cmd: { flags: { nodes: ["10.0.0.1"], image: "img:v1", force: true, stage: true, wait: false } } });
        expect(parse(11, ["upgrade", "--wait=yes"])).toMatchObject({ kind: "error", message: 'invalid argument "yes" for "--wait" flag: strconv.ParseBool: parsing "yes": invalid syntax' });
        expect(parse(11, ["upgrade", "--timeout", "5x"])).toMatchObject({ kind: "error", message: 'invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"' });
        expect(parse(11, ["upgrade", "--image"])).toMatchObject({ kind: "error", message: "flag needs an argument: --image" });
        expect(parse(11, ["upgrade", "-i"])).toMatchObject({ kind: "error", message: "flag needs an argument: 'i' in -i" });
        // `--wait false` is not a value for a bool flag: "false" becomes an argument
        expect(parse(11, ["upgrade", "--wait", "false"])).toMatchObject({ kind: "error", message: 'unknown command "false" for "talosctl upgrade"' });
    });

    it("validates arguments and commands like cobra", () => {
        expect(parse(11, ["etcd", "remove-member"])).toMatchObject({ kind: "error", message: "accepts 1 arg(s), received 0" });
        expect(parse(11, ["get"])).toMatchObject({ kind: "error", message: "accepts between 1 and 2 arg(s), received 0" });
        expect(parse(11, ["frobnicate"])).toMatchObject({ kind: "error", message: 'unknown command "frobnicate" for "talosctl"' });
        expect(parse(11, ["verison"])).toMatchObject({ kind: "error", message: 'unknown command "verison" for "talosctl"\n\nDid you mean this?\n\tversion\n' });
        // v1.11 etcd subcommands take any args (no Args validator); v1.12+ are NoArgs
        expect(parse(11, ["etcd", "leave", "x"])).toMatchObject({ kind: "run" });
        expect(parse(12, ["etcd", "leave", "x"])).toMatchObject({ kind: "error", message: 'unknown command "x" for "talosctl etcd leave"' });
        // a group without a subcommand prints help (exit 0)
        expect(parse(11, ["etcd"])).toMatchObject({ kind: "help" });
        // apply-config modes: interactive exists only on v1.11
        expect(parse(11, ["apply-config", "-m", "interactive", "-f", "x"])).toMatchObject({ kind: "run" });
        // v1.13 deprecated upgrade flags are accepted with cobra's deprecation notice
        expect(parse(13, ["upgrade", "--stage"])).toMatchObject({ kind: "run", cmd: { notices: ["Flag --stage has been deprecated, legacy flag for MachineService.Upgrade fallback, to be removed in Talos 1.18"] } });
        expect(parse(11, ["upgrade", "--legacy"])).toMatchObject({ kind: "error", message: "unknown flag: --legacy" });
    });
});

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

describe("membership: install from maintenance, learners, reset", () => {
    it("apply-config --insecure installs a maintenance node; it joins etcd as a learner and is promoted", async () => {
        const specs = nodes("v1.11.5", 0, 3);
        specs.push({ hostname: "infra-04", ip: "10.25.11.14", role: "controlplane", talos: "v1.11.5", schematic: SCHEM_A });
        const s = await sim({ talosctlVersion: "v1.11.6", nodes: specs, maintenance: ["infra-04"] });
        const dir = mkdtempSync(join(tmpdir(), "sim-inst-"));
        try {
            const cfg = YAML.parse(s.node("infra-03").activeConfig!) as { machine: { network: { hostname: string }; install: { image: string } } };
            cfg.machine.network.hostname = "infra-04";
            cfg.machine.install.image = `factory.talos.dev/installer/${SCHEM_B}:v1.11.6`;
            const file = join(dir, "cp.yaml");
            writeFileSync(file, YAML.stringify(cfg, { indent: 4 }));
            const secure = await s.talosctlInProcess(["-n", "10.25.11.14", "-e", "10.25.11.14", "apply-config", "-f", file]);
            expect(secure.code).toBe(1);
            expect(secure.stderr).toContain("x509: certificate signed by unknown authority");
            const staged = await s.talosctlInProcess(["-n", "10.25.11.14", "apply-config", "--insecure", "-f", file, "-m", "staged"]);
            expect(staged.stderr).toBe("error applying new configuration: rpc error: code = Unimplemented desc = apply configuration --mode='staged' is not supported in maintenance mode\n");
            expect(s.node("infra-04").kube.exists).toBe(false);

            const clearLearner = s.faults.learnerNeverPromoted("infra-04");
            expect(await s.talosctlInProcess(["-n", "10.25.11.14", "apply-config", "--insecure", "-f", file])).toMatchObject({ code: 0, stdout: "" });
            expect(s.node("infra-04").stage).toBe("installing");
            await s.waitForEvent((e) => e.op === "member-added-learner" && e.node === "infra-04", 2000);
            expect(s.node("infra-04")).toMatchObject({ version: "v1.11.6", schematic: SCHEM_B, configured: true, kube: { exists: true, ready: true } });
            await wait(FAST.learnerPromoteMs * 2);
            const members = parseTable((await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "members"])).stdout);
            expect(members.find((m) => m["HOSTNAME"] === "infra-04")!["LEARNER"]).toBe("true");
            clearLearner();
            await s.waitForEvent((e) => e.op === "member-promoted" && e.node === "infra-04", 2000);
            expect(s.etcdMembers().map((m) => m.learner)).toEqual([false, false, false, false]);
        } finally {
            await s.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("graceful reset leaves etcd and comes back in maintenance; remove-member of a dead member; the last member cannot leave", async () => {
        const s = await sim({ talosctlVersion: "v1.11.6", nodes: nodes("v1.11.5", 0, 3) });
        try {
            const r = await s.talosctlInProcess(["-n", "10.25.11.13", "-e", "10.25.11.13", "reset", "--graceful=true", "--reboot", "--system-labels-to-wipe", "STATE,EPHEMERAL", "--wait=false"]);
            expect(r).toEqual({ code: 0, stdout: "", stderr: "WARNING: 10.25.11.13: server version 1.11.5 is older than client version 1.11.6\n" });
            await s.waitForEvent((e) => e.op === "node-up" && e.node === "infra-03", 2000);
            expect(s.node("infra-03")).toMatchObject({ stage: "maintenance", configured: false, etcd: { member: false } });
            expect(s.etcdMembers().map((m) => m.hostname)).toEqual(["infra-01", "infra-02"]);
            const maint = await s.talosctlInProcess(["-n", "10.25.11.13", "version", "--insecure"]);
            expect(maint.stdout).toContain("\tNODE:        10.25.11.13\n");

            // non-graceful reset: the member stays (dead) until removed by id
            await s.talosctlInProcess(["-n", "10.25.11.12", "-e", "10.25.11.11", "reset", "--graceful=false", "--wait=false"]);
            await s.waitForEvent((e) => e.op === "node-off" && e.node === "infra-02", 2000);
            const dead = s.etcdMembers().find((m) => m.hostname === "infra-02")!;
            expect(dead.healthy).toBe(false);
            const badId = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "remove-member", "zzz"]);
            expect(badId.stderr).toBe('error parsing member ID: error parsing etcd member id: strconv.ParseUint: parsing "zzz": invalid syntax\n');
            // a 1-of-2 alive cluster has no quorum: etcd refuses the reconfiguration
            const noQuorum = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "remove-member", dead.id]);
            expect(noQuorum.code).toBe(1);
            expect(noQuorum.stderr).toContain("etcdserver: re-configuration failed due to not enough started members");
            const leave = await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "leave"]);
            expect(leave.stderr).toBe("1 error occurred:\n\t* 10.25.11.11: rpc error: code = Unknown desc = etcdserver: re-configuration failed due to not enough started members\n\n\n");
        } finally {
            await s.close();
        }
    });
});

describe("disaster recovery and node objects", () => {
    it("snapshot, wipe every control plane's EPHEMERAL, etcd Preparing, bootstrap --recover-from; the others rejoin", async () => {
        const s = await sim({ talosctlVersion: "v1.11.6", nodes: nodes("v1.11.5", 0, 3) });
        const dir = mkdtempSync(join(tmpdir(), "sim-dr-"));
        try {
            const snap = join(dir, "db.snapshot");
            expect((await s.talosctlInProcess(["-n", "10.25.11.11", "etcd", "snapshot", snap])).code).toBe(0);
            for (const ip of ["10.25.11.11", "10.25.11.12", "10.25.11.13"]) {
                expect((await s.talosctlInProcess(["-n", ip, "-e", ip, "reset", "--graceful=false", "--reboot", "--system-labels-to-wipe=EPHEMERAL", "--wait=false"])).code).toBe(0);
            }
            for (const h of ["infra-01", "infra-02", "infra-03"]) await s.waitForEvent((e) => e.op === "node-up" && e.node === h, 2000);
            const svc = await s.talosctlInProcess(["-n", "10.25.11.11", "service", "etcd"]);
            expect(svc.stdout).toMatch(/^NODE     10\.25\.11\.11\nID       etcd\nSTATE    Preparing\nHEALTH   \?\nEVENTS   \[Preparing\]: Running pre state \(\d+s ago\)\n/);
            const again = await s.talosctlInProcess(["-n", "10.25.11.11", "bootstrap", "--recover-from", snap]);
            expect(again.code).toBe(0);
            expect(again.stdout).toMatch(/^recovering from snapshot "[^"]+": hash [0-9a-f]{8}, revision \d+, total keys \d+, total size \d+\n$/);
            await s.waitForEvent((e) => e.op === "member-promoted" && e.node === "infra-02", 2000);
            await s.waitForEvent((e) => e.op === "member-promoted" && e.node === "infra-03", 2000);
            expect(s.etcdMembers().map((m) => [m.hostname, m.learner, m.healthy])).toEqual([
                ["infra-01", false, true],
                ["infra-02", false, true],
                ["infra-03", false, true],
            ]);
            const twice = await s.talosctlInProcess(["-n", "10.25.11.11", "bootstrap"]);
            expect(twice.stderr).toBe("error executing bootstrap: 1 error occurred:\n\t* 10.25.11.11: rpc error: code = AlreadyExists desc = etcd data directory is not empty\n\n\n");
        } finally {
            await s.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a graceful reset of the last etcd member fails in the sequence (reset --wait reports it); Node DELETE and re-registration", async () => {
        const s = await sim({ talosctlVersion: "v1.11.6", nodes: nodes("v1.11.6", 1, 1) });
        try {
            const r = await s.talosctlInProcess(["-n", "10.25.11.11", "reset"]);
            expect(r.code).toBe(1);
            expect(r.stderr.trimEnd().split("\n").pop()).toContain("sequence error: sequence failed");
            expect(s.node("infra-01")).toMatchObject({ stage: "running", etcd: { member: true } });

            expect((await kubeRequest(s, "DELETE", "/api/v1/nodes/work-01")).status).toBe(200);
            expect((await kubeRequest(s, "GET", "/api/v1/nodes/work-01")).status).toBe(404);
            expect((await kubeRequest(s, "DELETE", "/api/v1/nodes/work-01")).status).toBe(404);
            await s.talosctlInProcess(["-n", "10.25.11.21", "reboot", "--wait=false"]);
            await s.waitForEvent((e) => e.op === "node-registered" && e.node === "work-01", 2000);
            expect((await kubeRequest(s, "GET", "/api/v1/nodes/work-01")).status).toBe(200);
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
