/**
 * Shared by the tests of the simulated cluster itself (tests/sim-*.test.ts): a cluster of three
 * control planes and workers, a sim started with compressed time (FAST), and readers for what
 * talosctl and the Kubernetes API print (tabwriter tables, JSON streams, HTTPS requests).
 */
import { request as httpsRequest } from "https";
import { startSimCluster, type SimCluster, type SimNodeSpec, type SimOptions } from "./sim";

export const SCHEM_A = "a".repeat(64);
export const SCHEM_B = "b".repeat(64);
export const FAST = { rebootMs: 120, upgradeMs: 150, installMs: 100, learnerPromoteMs: 60, evictionMs: 15, goDownMs: 10, resetMs: 60, shutdownMs: 40, podStartMs: 10, k8sStepMs: 2, upgradeInstallMs: 20, drainRetryMs: 10 };

export function nodes(talos: string, workers = 1, cps = 3): SimNodeSpec[] {
    const out: SimNodeSpec[] = [];
    for (let i = 1; i <= cps; i++) out.push({ hostname: `infra-0${i}`, ip: `10.25.11.1${i}`, role: "controlplane", talos, schematic: SCHEM_A });
    for (let i = 1; i <= workers; i++) out.push({ hostname: `work-0${i}`, ip: `10.25.11.2${i}`, role: "worker", talos, schematic: SCHEM_A });
    return out;
}

export function sim(o: Partial<SimOptions> & { talosctlVersion: string }): Promise<SimCluster> {
    return startSimCluster({ kubernetesVersion: "1.34.1", nodes: nodes("v1.11.5"), timing: FAST, ...o });
}

/** Parse a tabwriter table by the header's column start positions. */
export function parseTable(text: string): Record<string, string>[] {
    const lines = text.split("\n").filter((l) => l !== "");
    const header = lines[0]!;
    const starts: [string, number][] = [];
    const re = /\S+(?: \S+)*/g;
    for (let m = re.exec(header); m; m = re.exec(header)) starts.push([m[0], m.index]);
    return lines.slice(1).map((l) => Object.fromEntries(starts.map(([name, s], i) => [name, l.slice(s, i + 1 < starts.length ? starts[i + 1]![1] : undefined).trim()])));
}

/** Split a stream of concatenated JSON objects (what `jq -s` reads). */
export function jsonStream(text: string): Record<string, unknown>[] {
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

export function kubeRequest(s: SimCluster, method: string, path: string, o: { body?: string; contentType?: string; noCert?: boolean } = {}): Promise<{ status: number; body: string }> {
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

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
