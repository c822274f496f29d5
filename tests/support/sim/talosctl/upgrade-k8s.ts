/** `talosctl upgrade-k8s` (SOURCES.md §5). */
import { CliError } from "../cli";
import type { SimNode } from "../cluster";
import { compareSemver, goQuote, parseSemver } from "../gofmt";
import { CONN_REFUSED, type Run } from "./run";

export async function upgradeK8s(run: Run): Promise<void> {
    const target = run.client();
    run.failIfMultiNodes(target.nodes, "upgrade-k8s");
    const [o] = await run.callEach(target.nodes, (n) => run.requireCp(n, "kubeconfig"));
    if (o!.error) throw new CliError(`error fetching kubeconfig: ${o!.error}`); // guess
    run.versionSkewWarning([o!]);
    const out = (s: string) => run.io.out(`${s}\n`);
    const fromFlag = run.flag<string>("from");
    const from = (fromFlag || run.c.kubernetesVersion).replace(/^v/, "");
    const to = run.flag<string>("to").replace(/^v/, "");
    if (!fromFlag) out(`automatically detected the lowest Kubernetes version ${from}`);
    const fv = parseSemver(from);
    const tv = parseSemver(to);
    if (!fv || !tv) throw new CliError(`error creating upgrade path: invalid version ${goQuote(!fv ? from : to)}`);
    const maxMinor = run.minor <= 11 ? 34 : run.minor === 12 ? 35 : 36;
    const supported = fv.major === 1 && tv.major === 1 && tv.minor - fv.minor >= 0 && tv.minor - fv.minor <= 1 && tv.minor <= maxMinor && fv.minor >= maxMinor - 5 && compareSemver(tv, fv) >= 0;
    if (!supported) throw new CliError(`unsupported upgrade path ${fv.major}.${fv.minor}->${tv.major}.${tv.minor} (from ${goQuote(from)} to ${goQuote(to)})`);
    const dry = run.flag<boolean>("dry-run");
    const nodes = [...run.c.nodes.values()].filter((n) => n.kube.exists && n.configured);
    const cps = nodes.filter((n) => n.role === "controlplane");
    const workers = nodes.filter((n) => n.role === "worker");
    out(`discovered controlplane nodes [${cps.map((n) => JSON.stringify(n.ip)).join(" ")}]`);
    out(`discovered worker nodes [${workers.map((n) => JSON.stringify(n.ip)).join(" ")}]`);
    if (!dry) run.c.emit("sim", "k8s-upgrade-started", undefined, { from, to });
    const step = () => run.c.sleep(run.c.timing.k8sStepMs, run.io.signal);
    const check = (n: SimNode) => {
        if (!run.c.reachable(n) || n.stage !== "running") throw new CliError(`error updating node ${goQuote(n.ip)}: ${CONN_REFUSED(n.ip)}`); // guess
    };
    if (run.flag<boolean>("pre-pull-images")) {
        for (const n of cps) for (const img of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) out(` > ${JSON.stringify(n.ip)}: pre-pulling registry.k8s.io/${img}:v${to}`);
        for (const n of nodes) out(` > ${JSON.stringify(n.ip)}: pre-pulling ghcr.io/siderolabs/kubelet:v${to}`);
    }
    const components: [string, "apiServer" | "controllerManager" | "scheduler"][] = [
        ["kube-apiserver", "apiServer"],
        ["kube-controller-manager", "controllerManager"],
        ["kube-scheduler", "scheduler"],
    ];
    for (const [name, key] of components) {
        out(`updating ${JSON.stringify(name)} to version ${JSON.stringify(to)}`);
        for (const n of cps) {
            check(n);
            out(` > ${JSON.stringify(n.ip)}: starting update`);
            out(` > update ${name}: ${from} -> ${to}`);
            if (dry) {
                out(` > skipped in dry-run`);
                continue;
            }
            run.c.patchKubernetesImages(n, to, [key]);
            out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
            out(` > ${JSON.stringify(n.ip)}: waiting for ${name} pod update`);
            await step();
            out(` < ${JSON.stringify(n.ip)}: successfully updated`);
            run.c.emit("sim", "k8s-component-upgraded", n.hostname, { component: name, version: to });
        }
        if (name === "kube-apiserver" && !dry) run.c.kubernetesVersion = to;
    }
    out(`updating kube-proxy to version ${JSON.stringify(to)}`);
    for (const n of nodes) {
        check(n);
        out(` > ${JSON.stringify(n.ip)}: starting update`);
        if (dry) {
            out(` > skipped in dry-run`);
            continue;
        }
        run.c.patchKubernetesImages(n, to, ["proxy"]);
        out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
    }
    if (run.flag<boolean>("upgrade-kubelet")) {
        out(`updating kubelet to version ${JSON.stringify(to)}`);
        for (const n of [...cps, ...workers]) {
            check(n);
            out(` > ${JSON.stringify(n.ip)}: starting update`);
            out(` > update kubelet: ${n.kube.kubeletVersion} -> ${to}`);
            if (dry) {
                out(` > skipped in dry-run`);
                continue;
            }
            run.c.patchKubernetesImages(n, to, ["kubelet"]);
            out(` > ${JSON.stringify(n.ip)}: machine configuration patched`);
            out(` > ${JSON.stringify(n.ip)}: waiting for kubelet restart`);
            await step();
            out(` > ${JSON.stringify(n.ip)}: waiting for node update`);
            out(` < ${JSON.stringify(n.ip)}: successfully updated`);
            run.c.emit("sim", "kubelet-upgraded", n.hostname, { version: to });
        }
    }
    out("updating manifests");
    for (const m of ["Secret bootstrap-token-simtok", "ClusterRoleBinding system-bootstrap-approve-node-client-csr", "ServiceAccount kube-system/kube-proxy", "DaemonSet kube-system/kube-proxy", "Deployment kube-system/coredns"]) {
        out(` > processing manifest ${m}`);
        out(dry ? " > apply skipped in dry run" : ` < update applied, diff:`);
    }
    if (!dry) run.c.emit("sim", "k8s-upgraded", undefined, { from, to });
}
