/**
 * Simulated Talos cluster for testing the day-2 rollout executor: a fake `talosctl` (first on
 * PATH) plus a local HTTPS Kubernetes API, both backed by one in-process state machine with
 * compressed time, fault injection and an append-only event log. See README.md in this folder.
 */
import { execFile } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import { tmpdir } from "os";
import { delimiter, join } from "path";
import YAML from "yaml";
import { Cluster } from "./cluster";
import { KubeApi } from "./kube";
import { makeSimPki, type SimPki } from "./pki";
import { fakeTalosctlScript, parseArgv, shellReply } from "./script";
import { runTalosctl } from "./talosctl";
import type { MemberView, NodeView, PdbView, PodView, SimEvent, SimFaults, SimOptions, SimTiming } from "./types";

export type * from "./types";
export { disruptionIntervals, overlaps, cordonedAtEnd, type DisruptionInterval } from "./assertions";
export { VANILLA_SCHEMATIC, factoryInstaller, canApplyImmediate, parseConfig } from "./machineconfig";
export { tabwrite } from "./gofmt";
export { DEFAULT_TIMING } from "./cluster";

export interface TalosctlResult {
    stdout: string;
    stderr: string;
    code: number;
}

export interface SimCluster {
    /** Directory holding the executable fake `talosctl`: put it FIRST on PATH. */
    readonly binDir: string;
    readonly talosctlPath: string;
    /** A talosconfig for the sim (context "sim", endpoints = control plane IPs, os:admin cert). */
    readonly talosconfigPath: string;
    /** The HTTPS Kubernetes API base URL (https://127.0.0.1:<port>). */
    readonly kubeUrl: string;
    readonly pki: SimPki;
    /** The event log (append-only; live array). */
    readonly events: readonly SimEvent[];
    readonly timing: SimTiming;
    readonly faults: SimFaults;
    /** Live state of a node (a fresh snapshot per call). */
    node(host: string): NodeView;
    nodes(): NodeView[];
    pods(): PodView[];
    pdb(namespace: string, name: string): PdbView;
    etcdMembers(): MemberView[];
    /** Hostname of the etcd leader, if there is one. */
    etcdLeader(): string | undefined;
    /** Cluster-wide state: etcd leader (member id and host), API server gitVersion, kubelet versions. */
    cluster(): { etcdLeader: string | undefined; etcdLeaderHost: string | undefined; gitVersion: string; kubeletVersions: Record<string, string> };
    /** The API server's Kubernetes version. */
    kubernetesVersion(): string;
    /** Call fn synchronously whenever an event matching pred is appended. Returns an unsubscribe. */
    onEvent(pred: (e: SimEvent) => boolean, fn: (e: SimEvent) => void): () => void;
    /** Resolves with the first (already logged or future) event matching pred; rejects after timeoutMs. */
    waitForEvent(pred: (e: SimEvent) => boolean, timeoutMs?: number): Promise<SimEvent>;
    /** Power on a machine that is off or stuck down (new boot). */
    powerOn(host: string): void;
    /** process.env with the fake talosctl first on PATH and TALOSCONFIG set. */
    env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Run the fake talosctl as a child process (what the executor does). */
    talosctl(args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<TalosctlResult>;
    /** Same emulation without spawning a process (faster; for tests of the sim itself). */
    talosctlInProcess(args: string[], opts?: { cwd?: string; env?: Record<string, string | undefined> }): Promise<TalosctlResult>;
    /** Write a talosconfig (default: the sim's context) to path. */
    writeTalosconfig(path: string, opts?: { context?: string; endpoints?: string[]; nodes?: string[] }): string;
    /** An admin kubeconfig for the sim's API (what `talosctl kubeconfig` writes). */
    kubeconfig(): string;
    close(): Promise<void>;
}

export async function startSimCluster(opts: SimOptions): Promise<SimCluster> {
    const cluster = new Cluster(opts);
    const pki = makeSimPki(cluster.clusterName);
    const kube = new KubeApi(cluster, pki);
    await kube.start();
    const dir = mkdtempSync(join(tmpdir(), "talos-sim-"));
    const binDir = join(dir, "bin");
    mkdirSync(binDir);
    const inflight = new Set<AbortController>();

    const server = http.createServer((req, res) => {
        if (req.method !== "POST" || req.url !== "/talosctl.sh") {
            res.writeHead(404).end();
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            // The fake counts bytes (LC_ALL=C), so decode as latin1 to keep the lengths aligned.
            const argv = parseArgv(Buffer.concat(chunks).toString("latin1")).map((a) => Buffer.from(a, "latin1").toString("utf8"));
            const header = (name: string) => {
                const v = req.headers[name];
                return typeof v === "string" && v !== "" ? v : undefined;
            };
            const ac = new AbortController();
            inflight.add(ac);
            res.on("close", () => {
                if (!res.writableFinished) ac.abort();
            });
            let out = "";
            let err = "";
            runTalosctl(
                { cluster, clientVersion: opts.talosctlVersion, kubeUrl: () => kube.url, pki },
                { argv, cwd: header("x-cwd") ?? "/", env: { TALOSCONFIG: header("x-talosconfig"), HOME: header("x-home") } },
                { out: (s) => (out += s), err: (s) => (err += s), signal: ac.signal },
            )
                .catch((e: unknown) => {
                    err += `talosctl (simulated): internal error: ${(e as Error).stack ?? String(e)}\n`;
                    return 1;
                })
                .then((code) => {
                    inflight.delete(ac);
                    const reply = shellReply(out, err, code);
                    if (!res.writableEnded && !res.destroyed) res.writeHead(200, { "content-type": "text/x-shellscript", "content-length": Buffer.byteLength(reply), connection: "close" }).end(reply);
                });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const talosctlPath = join(binDir, "talosctl");
    writeFileSync(talosctlPath, fakeTalosctlScript((server.address() as AddressInfo).port));
    chmodSync(talosctlPath, 0o755);

    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const cpIps = [...cluster.nodes.values()].filter((n) => n.role === "controlplane" && n.configured).map((n) => n.ip);
    const writeTalosconfig = (path: string, o: { context?: string; endpoints?: string[]; nodes?: string[] } = {}) => {
        const name = o.context ?? cluster.clusterName;
        const context: Record<string, unknown> = { endpoints: o.endpoints ?? cpIps };
        if (o.nodes && o.nodes.length > 0) context["nodes"] = o.nodes;
        Object.assign(context, { ca: b64(pki.caCert), crt: b64(pki.talosCert), key: b64(pki.talosKey) });
        writeFileSync(path, YAML.stringify({ context: name, contexts: { [name]: context } }, { indent: 4 }), { mode: 0o600 });
        return path;
    };
    const talosconfigPath = writeTalosconfig(join(dir, "talosconfig"));

    const kubeconfig = () =>
        YAML.stringify(
            {
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: cluster.clusterName, cluster: { server: kube.url, "certificate-authority-data": b64(pki.caCert) } }],
                users: [{ name: `admin@${cluster.clusterName}`, user: { "client-certificate-data": b64(pki.clientCert), "client-key-data": b64(pki.clientKey) } }],
                contexts: [{ context: { cluster: cluster.clusterName, namespace: "default", user: `admin@${cluster.clusterName}` }, name: `admin@${cluster.clusterName}` }],
                "current-context": `admin@${cluster.clusterName}`,
            },
            { indent: 4 },
        );

    const fs = cluster.faultState;
    const after = () => cluster.reconcile();
    const faults: SimFaults = {
        neverReturns: (host) => {
            cluster.node(host);
            fs.neverReturns.add(host);
            return () => fs.neverReturns.delete(host);
        },
        comesBackOn: (host, what = {}) => {
            cluster.node(host);
            fs.comesBackOn.set(host, { ...what });
            return () => fs.comesBackOn.delete(host);
        },
        upgradeFails: (host, exitCode = 1) => {
            cluster.node(host);
            fs.installFails.set(host, exitCode);
            return () => fs.installFails.delete(host);
        },
        etcdUnhealthy: (host, message) => {
            cluster.node(host);
            fs.etcdErrors.set(host, message);
            cluster.emit("sim", "fault-etcd-unhealthy", host, { message });
            return () => faults.etcdHealthy(host);
        },
        etcdHealthy: (host) => {
            if (fs.etcdErrors.delete(host)) cluster.emit("sim", "fault-etcd-healthy", host);
            after();
        },
        learnerNeverPromoted: (host) => {
            cluster.node(host);
            fs.learnerNeverPromoted.add(host);
            return () => {
                fs.learnerNeverPromoted.delete(host);
                after();
            };
        },
        pdbBlocks: (namespace, name) => {
            fs.pdbBlocks.add(`${namespace}/${name}`);
            return () => faults.pdbAllows(namespace, name);
        },
        pdbAllows: (namespace, name) => {
            fs.pdbBlocks.delete(`${namespace}/${name}`);
            after();
        },
        unreachable: (host) => {
            cluster.node(host);
            fs.unreachable.add(host);
            cluster.emit("sim", "fault-unreachable", host);
            return () => faults.reachable(host);
        },
        dead: (host) => {
            cluster.die(cluster.node(host));
            return () => cluster.powerOn(host);
        },
        reachable: (host) => {
            if (fs.unreachable.delete(host)) cluster.emit("sim", "fault-reachable", host);
            after();
        },
        snapshotFails: (message, o = {}) => {
            const entry = { message, remaining: o.times ?? Infinity };
            fs.snapshotFail = entry;
            return () => {
                if (fs.snapshotFail === entry) fs.snapshotFail = undefined;
            };
        },
        failCommand: (pred, r) => {
            const entry = { pred, stderr: r.stderr, stdout: r.stdout ?? "", code: r.code ?? 1, remaining: r.times ?? 1 };
            fs.commands.push(entry);
            return () => {
                const i = fs.commands.indexOf(entry);
                if (i >= 0) fs.commands.splice(i, 1);
            };
        },
        clear: () => {
            fs.neverReturns.clear();
            fs.comesBackOn.clear();
            fs.installFails.clear();
            fs.etcdErrors.clear();
            fs.learnerNeverPromoted.clear();
            fs.pdbBlocks.clear();
            fs.unreachable.clear();
            fs.snapshotFail = undefined;
            fs.commands.splice(0);
            after();
        },
    };

    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
        ...process.env,
        PATH: `${binDir}${delimiter}${process.env["PATH"] ?? ""}`,
        TALOSCONFIG: talosconfigPath,
        ...extra,
    });

    let closed = false;
    const sim: SimCluster = {
        binDir,
        talosctlPath,
        talosconfigPath,
        kubeUrl: kube.url,
        pki,
        events: cluster.events,
        timing: cluster.timing,
        faults,
        node: (host) => cluster.nodeView(host),
        nodes: () => [...cluster.nodes.keys()].map((h) => cluster.nodeView(h)),
        pods: () => cluster.podViews(),
        pdb: (namespace, name) => {
            const p = cluster.pdbs.find((x) => x.namespace === namespace && x.name === name);
            if (!p) throw new Error(`sim: unknown PDB ${namespace}/${name}`);
            return cluster.pdbStatus(p);
        },
        etcdMembers: () => cluster.memberViews(),
        etcdLeader: () => cluster.members.find((m) => m.id === cluster.leader)?.node,
        kubernetesVersion: () => cluster.kubernetesVersion,
        cluster: () => ({
            etcdLeader: cluster.leader,
            etcdLeaderHost: cluster.members.find((m) => m.id === cluster.leader)?.node,
            gitVersion: `v${cluster.kubernetesVersion}`,
            kubeletVersions: Object.fromEntries([...cluster.nodes.values()].filter((n) => n.kube.exists).map((n) => [n.hostname, `v${n.kube.kubeletVersion}`])),
        }),
        onEvent: (pred, fn) => cluster.onEvent(pred, fn),
        waitForEvent: (pred, timeoutMs = 5000) => {
            const seen = cluster.events.find(pred);
            if (seen) return Promise.resolve(seen);
            return new Promise<SimEvent>((resolve, reject) => {
                let found: SimEvent | undefined;
                const off = cluster.onEvent(pred, (e) => {
                    found ??= e;
                });
                void cluster.waitFor(() => found !== undefined, timeoutMs).then((ok) => {
                    off();
                    if (ok && found) resolve(found);
                    else reject(new Error(`sim: no matching event within ${timeoutMs} ms`));
                });
            });
        },
        powerOn: (host) => cluster.powerOn(host),
        env,
        talosctl: (args, o = {}) =>
            new Promise<TalosctlResult>((resolve) => {
                execFile(talosctlPath, args, { cwd: o.cwd ?? dir, env: o.env ?? env(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
                    const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? ((err as unknown as { code: number }).code) : 1) : 0;
                    resolve({ stdout, stderr, code });
                });
            }),
        talosctlInProcess: async (args, o = {}) => {
            let stdout = "";
            let stderr = "";
            const ac = new AbortController();
            inflight.add(ac);
            try {
                const code = await runTalosctl(
                    { cluster, clientVersion: opts.talosctlVersion, kubeUrl: () => kube.url, pki },
                    { argv: args, cwd: o.cwd ?? dir, env: o.env ?? { TALOSCONFIG: talosconfigPath, HOME: process.env["HOME"] } },
                    { out: (s) => (stdout += s), err: (s) => (stderr += s), signal: ac.signal },
                );
                return { stdout, stderr, code };
            } finally {
                inflight.delete(ac);
            }
        },
        writeTalosconfig,
        kubeconfig,
        close: async () => {
            if (closed) return;
            closed = true;
            cluster.close();
            for (const ac of inflight) ac.abort();
            await kube.close();
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
            rmSync(dir, { recursive: true, force: true });
        },
    };
    return sim;
}
