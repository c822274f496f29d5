/**
 * Tests of the simulated cluster's membership (tests/support/sim): installing a maintenance node,
 * etcd learners, resets and member removal, disaster recovery from a snapshot, Node objects.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import YAML from "yaml";
import { FAST, SCHEM_A, SCHEM_B, kubeRequest, nodes, parseTable, sim, wait } from "./support/sim-fixtures";

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
