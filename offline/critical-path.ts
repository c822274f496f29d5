import type { RecordedResource, Recording } from "./recording";

/**
 * A duration model of `pulumi up` on fresh hardware, and the critical path through the program's
 * real dependency graph. The numbers are estimates, each with its assumption and source; what is
 * computed from them (the path, the serial sum, the ratio) follows from the graph alone.
 */

/** An estimate for one kind of step. */
export interface DurationEstimate {
    seconds: number;
    assumption: string;
    source: string;
}

const NONE: DurationEstimate = { seconds: 0, assumption: "no work of its own", source: "a component, provider or read" };
const API_CALL: DurationEstimate = { seconds: 1, assumption: "one server-side apply against a ready API server", source: "Kubernetes API round trip on a LAN" };

/** Estimates by resource (Helm releases by release name). */
export function estimate(r: RecordedResource): DurationEstimate {
    if (!r.custom || r.read || r.type.startsWith("pulumi:providers:")) return NONE;
    switch (r.type) {
        case "talos:machine/secrets:Secrets":
            return { seconds: 1, assumption: "PKI generated locally by the provider", source: "terraform-provider-talos: no network call" };
        case "talos:imageFactory/schematic:Schematic":
            return { seconds: 2, assumption: "one POST to factory.talos.dev", source: "Image Factory API" };
        case "talos:machine/configurationApply:ConfigurationApply":
            return { seconds: 10, assumption: "maintenance-mode apply RPC; the node then installs and reboots on its own", source: "terraform-provider-talos apply: returns once the config is accepted" };
        case "talos:machine/bootstrap:Bootstrap":
            return {
                seconds: 240,
                assumption: "retries until the first control plane has installed the Factory image (~100 MB), rebooted and started etcd",
                source: "Talos bare-metal installs: 2-5 minutes per node; provider retries every error until its timeout",
            };
        case "talos:cluster/kubeconfig:Kubeconfig":
            return { seconds: 60, assumption: "kube-apiserver starts once etcd is up", source: "Talos boot sequence: control-plane static pods follow etcd" };
        case "tls:index/privateKey:PrivateKey":
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { seconds: 1, assumption: "generated locally", source: "terraform-provider-tls: no network call" };
        case "pulumi-nodejs:dynamic:Resource":
            return r.name.endsWith("-nodes-ready")
                ? { seconds: 120, assumption: "Cilium agent and Envoy images pulled and started on every node", source: "Cilium agent startup; images ~300 MB per node" }
                : { seconds: 20, assumption: "three consecutive /readyz successes, 5 s apart, once the API serves", source: "readiness/api.ts DEFAULT_TIMING" };
        case "kubernetes:helm.sh/v3:Release":
            return RELEASES[String(r.inputs.name)] ?? { seconds: 30, assumption: "chart download and apply", source: "Helm install without slow hooks" };
        default:
            return API_CALL;
    }
}

const RELEASES: Record<string, DurationEstimate> = {
    cilium: { seconds: 15, assumption: "chart download and apply, no wait (the nodes gate waits)", source: "components/cilium.ts: skipAwait" },
    coredns: { seconds: 45, assumption: "image pull plus the 30 s readiness probe delay", source: "coredns chart 1.38.0 readinessProbe.initialDelaySeconds: 30" },
    spegel: { seconds: 40, assumption: "DaemonSet image pull and start", source: "Helm wait on a DaemonSet" },
    "cert-manager": { seconds: 90, assumption: "three deployments plus the startupapicheck hook", source: "cert-manager chart: startupapicheck Job (1m timeout)" },
    "external-secrets": { seconds: 60, assumption: "controller, webhook and cert-controller Ready", source: "Helm wait on three deployments" },
    "flux-operator": { seconds: 45, assumption: "operator deployment Ready", source: "Helm wait on one deployment" },
    flux: { seconds: 120, assumption: "FluxInstance Ready: controllers, first Git fetch, root apply", source: "flux-operator docs: 'Reconciliation finished in 52s', plus fetch and apply" },
    "prometheus-operator-crds": { seconds: 10, assumption: "CRDs only", source: "Helm install of a CRD-only chart" },
    "victoria-metrics-operator-crds": { seconds: 10, assumption: "CRDs only", source: "Helm install of a CRD-only chart" },
};

export interface CriticalPath {
    /** The steps on the longest weighted path, first to last. */
    path: { name: string; type: string; seconds: number; startsAt: number }[];
    /** Modelled wall time of `pulumi up`: the length of the critical path. */
    criticalPathSeconds: number;
    /** Time if every step ran one after another. */
    serialSeconds: number;
    /** criticalPathSeconds / serialSeconds: how much of the serial time parallelism leaves. */
    ratio: number;
    /** The estimate behind every step, by resource name. */
    model: { name: string; type: string; seconds: number; assumption: string; source: string }[];
}

/** Longest weighted path through the recorded graph (a resource starts when all it waits for are done). */
export function criticalPath(recording: Recording): CriticalPath {
    const resources = [...recording.resources].sort((a, b) => a.urn.localeCompare(b.urn));
    const finish = new Map<string, number>();
    const via = new Map<string, string | undefined>();
    const visit = (r: RecordedResource): number => {
        const known = finish.get(r.urn);
        if (known !== undefined) return known;
        let start = 0;
        let from: string | undefined;
        for (const p of recording.directPredecessors(r.urn).sort()) {
            const f = visit(recording.resource(p));
            if (from === undefined || f > start) {
                start = f;
                from = p;
            }
        }
        const end = start + estimate(r).seconds;
        finish.set(r.urn, end);
        via.set(r.urn, from);
        return end;
    };
    resources.forEach(visit);
    let last = resources[0];
    for (const r of resources) if (finish.get(r.urn)! > finish.get(last.urn)!) last = r;
    const path: CriticalPath["path"] = [];
    for (let cur: string | undefined = last?.urn; cur; cur = via.get(cur)) {
        const r = recording.resource(cur);
        const seconds = estimate(r).seconds;
        if (seconds > 0) path.unshift({ name: r.name, type: r.type, seconds, startsAt: finish.get(cur)! - seconds });
    }
    const serialSeconds = resources.reduce((sum, r) => sum + estimate(r).seconds, 0);
    const criticalPathSeconds = last ? finish.get(last.urn)! : 0;
    return {
        path,
        criticalPathSeconds,
        serialSeconds,
        ratio: serialSeconds === 0 ? 0 : Math.round((criticalPathSeconds / serialSeconds) * 1000) / 1000,
        model: resources.filter((r) => estimate(r).seconds > 0).map((r) => ({ name: r.name, type: r.type, ...estimate(r) })),
    };
}
