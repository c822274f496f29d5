/** `talosctl service` (SOURCES.md §6). */
import { CliError } from "../cli";
import type { SimNode } from "../cluster";
import { formatGoDuration, goQuote, multierror, tabwrite } from "../gofmt";
import type { Run } from "./run";

function agoText(at: number): string {
    return `${formatGoDuration(Math.round((Date.now() - at) / 1000) * 1000)} ago`;
}

export async function service(run: Run): Promise<void> {
    const [id, action] = run.cmd.args as [string | undefined, string | undefined];
    if (action && action !== "status") throw new CliError(`sim: service ${action} is not emulated`);
    const target = run.client();
    const outcomes = await run.callEach(target.nodes, (n) => n);
    const ok = run.warnOrFail(outcomes);
    const services = (n: SimNode) => {
        const base = ["apid", "containerd", "cri", "dashboard", "kubelet", "machined", "syslogd", "udevd"];
        return (n.role === "controlplane" ? [...base, "etcd", "trustd"] : base).sort();
    };
    const etcdView = (n: SimNode) => {
        const state = n.etcd.state === "running" ? "Running" : n.etcd.state === "stopped" ? "Finished" : "Preparing";
        const fault = run.c.faultState.etcdErrors.get(n.hostname);
        const health = n.etcd.state === "running" ? (fault ? "Fail" : "OK") : "?";
        return { state, health, fault };
    };
    if (!id) {
        const rows = ["NODE\tSERVICE\tSTATE\tHEALTH\tLAST CHANGE\tLAST EVENT"];
        for (const o of ok) {
            const n = o.value!;
            for (const s of services(n)) {
                if (s === "etcd") {
                    const v = etcdView(n);
                    rows.push(`${o.addr}\tetcd\t${v.state}\t${v.health}\t${agoText(n.etcd.events[0]?.at ?? n.bootedAt)}\t${n.etcd.events[0]?.msg ?? ""}`);
                } else rows.push(`${o.addr}\t${s}\tRunning\t${["dashboard", "machined", "syslogd"].includes(s) ? "?" : "OK"}\t${agoText(n.bootedAt)}\t${s === "kubelet" || s === "apid" ? "Health check successful" : "Started task"}`);
            }
        }
        run.io.out(tabwrite(rows.join("\n") + "\n"));
        return;
    }
    const blocks: string[] = [];
    const errs: string[] = [];
    for (const o of ok) {
        const n = o.value!;
        if (!services(n).includes(id)) {
            errs.push(`${o.addr}: service ${goQuote(id)} is not registered`); // guess
            continue;
        }
        const lines = [`NODE\t${o.addr}`, `ID\t${id}`];
        if (id === "etcd") {
            const v = etcdView(n);
            lines.push(`STATE\t${v.state}`, `HEALTH\t${v.health}`);
            if (v.fault) lines.push(`LAST HEALTH MESSAGE\t${v.fault}`);
            const evs = n.etcd.events.length ? n.etcd.events : [{ state: "Preparing", msg: "Running pre state", at: n.bootedAt }];
            evs.forEach((e, i) => lines.push(`${i === 0 ? "EVENTS" : ""}\t[${e.state}]: ${e.msg} (${agoText(e.at)})`));
        } else {
            lines.push("STATE\tRunning", "HEALTH\tOK", `EVENTS\t[Running]: Health check successful (${agoText(n.bootedAt)})`);
        }
        blocks.push(tabwrite(lines.join("\n") + "\n"));
    }
    run.io.out(blocks.join(""));
    if (errs.length) throw new CliError(multierror(errs));
}
