/** `talosctl etcd …` (SOURCES.md §3). */
import { createHash } from "crypto";
import { renameSync, rmSync, writeFileSync } from "fs";
import { CliError } from "../cli";
import { GrpcError, type SimNode } from "../cluster";
import { goJson, goQuote, humanizeBytes, tabwrite } from "../gofmt";
import type { Run } from "./run";

function memberRows(run: Run, n: SimNode, addr: string): string[] {
    run.requireCp(n, "member list");
    if (n.etcd.state !== "running") throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
    return run.c.members.map((m) => {
        const started = run.c.memberAlive(m) || !m.learner;
        return [addr, m.id, started ? m.name : "", `https://${m.ip}:2380`, started ? `https://${m.ip}:2379` : "", String(m.learner)].join("\t");
    });
}

export async function etcdMembers(run: Run): Promise<void> {
    // v1.11 prints the header only before the first row; v1.12+ always.
    await run.readEach({ what: "members", multiplexFrom: 12 }, (n, addr) => memberRows(run, n, addr), (ok, multiplexed) => {
        const rows = ok.flatMap((o) => o.value!);
        if (multiplexed || rows.length > 0) run.io.out(tabwrite(["NODE\tID\tHOSTNAME\tPEER URLS\tCLIENT URLS\tLEARNER", ...rows].join("\n") + "\n"));
    });
}

function statusRow(run: Run, n: SimNode, addr: string): string {
    run.requireCp(n, "etcd status");
    const m = run.c.memberOf(n);
    if (n.etcd.state !== "running" || !m) throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
    const h = createHash("sha256").update(m.id).digest();
    const dbSize = 20_000_000 + (h.readUInt32BE(0) % 20_000_000);
    const inUse = Math.floor(dbSize * (0.35 + (h[4]! % 20) / 100));
    const ratio = ((inUse / dbSize) * 100).toFixed(2);
    const raft = run.c.revision;
    const errors: string[] = [];
    const fault = run.c.faultState.etcdErrors.get(n.hostname);
    if (fault) errors.push(fault);
    if (!run.c.leader) errors.push("etcdserver: no leader");
    const cols = [addr, m.id, humanizeBytes(dbSize), `${humanizeBytes(inUse)} (${ratio}%)`, run.c.leader ?? "0000000000000000", String(raft), String(run.c.raftTerm), String(raft), String(m.learner)];
    if (run.minor >= 12) cols.push("3.6.0", "3.6.0");
    cols.push(errors.join(", "));
    return cols.join("\t");
}

export async function etcdStatus(run: Run): Promise<void> {
    const header = run.minor >= 12
        ? "NODE\tMEMBER\tDB SIZE\tIN USE\tLEADER\tRAFT INDEX\tRAFT TERM\tRAFT APPLIED INDEX\tLEARNER\tPROTOCOL\tSTORAGE\tERRORS"
        : "NODE\tMEMBER\tDB SIZE\tIN USE\tLEADER\tRAFT INDEX\tRAFT TERM\tRAFT APPLIED INDEX\tLEARNER\tERRORS";
    await run.readEach({ what: "status", multiplexFrom: 12 }, (n, addr) => statusRow(run, n, addr), (ok, multiplexed) => {
        if (multiplexed || ok.length > 0) run.io.out(tabwrite([header, ...ok.map((o) => o.value!)].join("\n") + "\n"));
    });
}

export async function etcdAlarmList(run: Run): Promise<void> {
    if (run.minor >= 12) {
        const { errors } = await run.multiplex(undefined, (n) => run.requireCp(n, "etcd alarm list"));
        if (errors.length) throw new CliError(errors.join("\n"));
        return;
    }
    const target = run.client();
    run.warnOrFail(await run.callEach(target.nodes, (n) => run.requireCp(n, "etcd alarm list")));
}

/** forfeit-leadership, remove-member: v1.11 returns the multierror; v1.12+ multiplex. */
async function etcdEach(run: Run, fn: (n: SimNode) => void): Promise<void> {
    if (run.minor >= 12) {
        const { errors } = await run.multiplex(undefined, (n) => fn(n));
        if (errors.length) throw new CliError(errors.join("\n"));
        return;
    }
    const target = run.client();
    run.failOnErrors(await run.callEach(target.nodes, (n) => fn(n)), "");
}

export function etcdForfeitLeadership(run: Run): Promise<void> {
    return etcdEach(run, (n) => run.requireCp(n, "etcd forfeit leadership") ?? run.c.forfeitLeadership(n));
}

export async function etcdLeave(run: Run): Promise<void> {
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "etcd leave");
    const outs = await run.callEach(target.nodes, (n) => {
        run.requireCp(n, "etcd leave");
        run.c.leaveEtcd(n, "leave");
    });
    if (run.minor >= 12) {
        if (outs[0]!.error) throw new CliError(outs[0]!.error);
        return;
    }
    run.failOnErrors(outs, "");
}

export async function etcdRemoveMember(run: Run): Promise<void> {
    const idArg = run.cmd.args[0]!;
    if (!/^[0-9a-fA-F]{1,16}$/.test(idArg)) {
        const why = /^[0-9a-fA-F]+$/.test(idArg) ? "value out of range" : "invalid syntax";
        throw new CliError(`error parsing member ID: error parsing etcd member id: strconv.ParseUint: parsing ${goQuote(idArg)}: ${why}`);
    }
    const id = BigInt(`0x${idArg}`).toString(16).padStart(16, "0");
    const fn = (n: SimNode) => {
        run.requireCp(n, "etcd remove member");
        if (n.etcd.state !== "running") throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
        run.c.removeMember(n, id);
    };
    return etcdEach(run, fn);
}

export async function etcdSnapshot(run: Run): Promise<void> {
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "etcd snapshot");
    const dbPath = run.abs(run.cmd.args[0]!);
    const partPath = `${dbPath}.part`;
    try {
        writeFileSync(partPath, "", { mode: 0o600 });
    } catch (e) {
        throw new CliError(`error creating temporary file: open ${run.cmd.args[0]}.part: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
    }
    try {
        const fail = run.c.faultState.snapshotFail;
        const [o] = await run.callEach(target.nodes, (n) => {
            run.requireCp(n, "etcd snapshot");
            const m = run.c.memberOf(n);
            if (n.etcd.state !== "running" || !m) throw new GrpcError("Unknown", "failed to create etcd client: etcd is not running"); // guess
            return { n, m };
        });
        if (o!.error) throw new CliError(`error reading file: ${o!.error}`);
        if (fail && fail.remaining > 0) {
            fail.remaining--;
            run.io.err(fail.message.endsWith("\n") ? fail.message : `${fail.message}\n`);
            run.c.emit("sim", "snapshot-failed", o!.node!.hostname, { message: fail.message });
            throw new CliError("", { suppress: true });
        }
        const revision = run.c.revision;
        const keys = 800 + run.c.members.length * 97 + (run.c.pods.length % 50);
        const body = Buffer.alloc(512 * (8 + (keys % 24)), 0);
        body.write(`SIMETCD\n${goJson({ revision, keys, members: run.c.members.map((x) => x.id), cluster: run.c.clusterName })}\n`);
        const sum = createHash("sha256").update(body).digest();
        const data = Buffer.concat([body, sum]);
        writeFileSync(partPath, data, { mode: 0o600 });
        renameSync(partPath, dbPath);
        const hash = sum.readUInt32BE(0).toString(16).padStart(8, "0");
        run.io.out(`etcd snapshot saved to ${goQuote(run.cmd.args[0]!)} (${data.length} bytes)\n`);
        run.io.out(`snapshot info: hash ${hash}, revision ${revision}, total keys ${keys}, total size ${body.length}\n`);
        run.c.emit("sim", "snapshot", o!.node!.hostname, { path: dbPath, size: data.length, revision });
    } finally {
        rmSync(partPath, { force: true });
    }
}
