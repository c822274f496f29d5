/** `talosctl health`, server side (SOURCES.md §11). */
import { CliError } from "../cli";
import type { SimNode } from "../cluster";
import { multierror } from "../gofmt";
import { CONN_REFUSED, type Run } from "./run";

/** Server-side health check: check messages on stderr, stdout empty. */
export async function health(run: Run): Promise<void> {
    if (!run.flag<boolean>("server")) throw new CliError("sim: health --server=false is not emulated");
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "health");
    const [o] = await run.callEach(target.nodes, (n) => n);
    if (o!.error) throw new CliError(`error checking cluster health: ${o!.error}`); // guess
    const cpAddrs = run.flag<string[]>("control-plane-nodes");
    const wAddrs = run.flag<string[]>("worker-nodes");
    const discovered = [...run.c.nodes.values()].filter((n) => n.configured || n.kube.exists);
    const cps = cpAddrs.length ? cpAddrs.map((a) => run.c.resolveAddress(a)) : discovered.filter((n) => n.role === "controlplane");
    const workers = wAddrs.length ? wAddrs.map((a) => run.c.resolveAddress(a)) : discovered.filter((n) => n.role === "worker");
    const all = [...cps, ...workers];
    const ipOf = (n: SimNode | undefined) => n?.ip ?? "?";
    const checks: [string, () => string | undefined][] = [
        ["etcd to be healthy", () => {
            const bad = cps.filter((n) => !n || n.etcd.state !== "running" || !run.c.reachable(n) || run.c.faultState.etcdErrors.has(n.hostname));
            return bad.length ? multierror(bad.map((n) => `${ipOf(n)}: service "etcd" not in expected state "Running": current state [${n?.etcd.state === "preparing" ? "Preparing" : "Unknown"}]`)).trimEnd() : undefined;
        }],
        ["etcd members to be consistent across nodes", () => (run.c.members.length !== cps.length ? `expected ${cps.length} members, got ${run.c.members.length}` : undefined)],
        ["etcd members to be control plane nodes", () => {
            const names = new Set(cps.map((n) => n?.hostname));
            const bad = run.c.members.filter((m) => !names.has(m.name));
            return bad.length ? `etcd member ${bad[0]!.id} is not a control plane node` : undefined;
        }],
        ["apid to be ready", () => {
            const bad = all.filter((n) => !n || !run.c.reachable(n));
            return bad.length ? multierror(bad.map((n) => `${ipOf(n)}: ${CONN_REFUSED(ipOf(n))}`)).trimEnd() : undefined;
        }],
        ["all nodes memory sizes", () => undefined],
        ["all nodes disk sizes", () => undefined],
        ["no diagnostics", () => undefined],
        ["kubelet to be healthy", () => {
            const bad = all.filter((n) => !n || n.stage !== "running");
            return bad.length ? `${ipOf(bad[0])}: service "kubelet" not in expected state "Running"` : undefined;
        }],
        ["all nodes to finish boot sequence", () => {
            const bad = all.filter((n) => !n || n.stage !== "running");
            return bad.length ? `${ipOf(bad[0])}: node is not running` : undefined;
        }],
        ["all k8s nodes to report", () => {
            const bad = all.filter((n) => !n || !n.kube.exists);
            return bad.length ? `can't find expected node with IPs [${JSON.stringify(ipOf(bad[0]))}]` : undefined;
        }],
        ["all control plane static pods to be running", () => undefined],
        ["all control plane components to be ready", () => undefined],
        ["all k8s nodes to report ready", () => {
            const bad = all.filter((n) => !n || !run.c.kubeReady(n));
            return bad.length ? `some nodes are not ready: [${bad.map((n) => n?.hostname ?? "?").join(" ")}]` : undefined;
        }],
        ["kube-proxy to report ready", () => undefined],
        ["coredns to report ready", () => undefined],
        ["all k8s nodes to report schedulable", () => {
            const bad = all.filter((n) => n && n.kube.exists && n.kube.unschedulable);
            return bad.length ? `some nodes are not schedulable: [${bad.map((n) => n!.hostname).join(" ")}]` : undefined;
        }],
    ];
    const deadline = Date.now() + run.simMs("wait-timeout");
    for (const [name, fn] of checks) {
        let last: string | undefined = "";
        const ok = await run.c.waitFor(
            () => {
                const r = fn();
                if (r !== undefined && r !== last) {
                    run.io.err(`waiting for ${name}: ${r}\n`);
                    last = r;
                }
                return r === undefined;
            },
            deadline - Date.now(),
            run.io.signal,
        );
        if (!ok) throw new CliError(`healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded`); // guess
        run.io.err(`waiting for ${name}: OK\n`);
    }
}
