import { apiRequest, type HttpResult } from "../readiness/https";
import type { ApiCredentials } from "../readiness/kubeconfig";

/**
 * The few Kubernetes API calls a rollout needs, as raw REST with the admin client certificate (no
 * kubectl, no client library): nodes, cordon, the pods on a node, evictions, node deletion.
 * Requests and answers as kubectl and the API server have them: tests/support/sim/SOURCES.md K1-K5.
 */

/** Annotation the rollout sets when it cordons a node, so a resumed run knows to uncordon it. */
export const CORDON_ANNOTATION = "platform.monosense.io/cordoned-by";

export interface KubeNode {
    name: string;
    ready: boolean;
    /** Reason and message of a Ready condition that is not True. */
    notReadyWhy: string;
    unschedulable: boolean;
    cordonedByRollout: boolean;
    kubeletVersion: string;
}

export interface KubePod {
    namespace: string;
    name: string;
    uid: string;
    phase: string;
    /** Kind of the controlling owner (DaemonSet, ReplicaSet, ...), "" without one. */
    controller: string;
    mirror: boolean;
    terminating: boolean;
}

/** An eviction attempt: done, refused by a PodDisruptionBudget (with why), or another failure. */
export type EvictionResult = { ok: true } | { ok: false; blocked: boolean; message: string };

interface RawNode {
    metadata?: { name?: string; annotations?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

interface RawPod {
    metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; controller?: boolean }[] };
    status?: { phase?: string };
}

function node(raw: RawNode): KubeNode {
    const ready = raw.status?.conditions?.find((c) => c.type === "Ready");
    return {
        name: raw.metadata?.name ?? "",
        ready: ready?.status === "True",
        notReadyWhy: ready?.status === "True" ? "" : [`Ready=${ready?.status ?? "Unknown"}`, ready?.reason, ready?.message].filter(Boolean).join(": "),
        unschedulable: raw.spec?.unschedulable === true,
        cordonedByRollout: raw.metadata?.annotations?.[CORDON_ANNOTATION] !== undefined,
        kubeletVersion: raw.status?.nodeInfo?.kubeletVersion ?? "",
    };
}

function pod(raw: RawPod): KubePod {
    return {
        namespace: raw.metadata?.namespace ?? "",
        name: raw.metadata?.name ?? "",
        uid: raw.metadata?.uid ?? "",
        phase: raw.status?.phase ?? "",
        controller: raw.metadata?.ownerReferences?.find((o) => o.controller)?.kind ?? "",
        mirror: raw.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined,
        terminating: raw.metadata?.deletionTimestamp !== undefined,
    };
}

export class Kube {
    constructor(
        private readonly creds: ApiCredentials,
        private readonly timeoutMs = 15_000,
    ) {}

    private async json<T>(method: string, path: string, body?: { json: unknown; contentType?: string }, accept: number[] = [200]): Promise<{ status: number; body: T }> {
        const res: HttpResult = await apiRequest(this.creds, method, path, this.timeoutMs, body);
        if (!res.ok) throw new Error(`Kubernetes API ${method} ${path}: ${res.reason}`);
        if (!accept.includes(res.status)) throw new Error(`Kubernetes API ${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
        return { status: res.status, body: (res.body ? JSON.parse(res.body) : {}) as T };
    }

    async version(): Promise<string> {
        return (await this.json<{ gitVersion?: string }>("GET", "/version")).body.gitVersion ?? "";
    }

    async nodes(): Promise<KubeNode[]> {
        return ((await this.json<{ items?: RawNode[] }>("GET", "/api/v1/nodes")).body.items ?? []).map(node);
    }

    /** Cordons (or uncordons) a node; cordoning marks it as the rollout's so a resumed run uncordons it. */
    async setCordon(name: string, cordon: boolean): Promise<void> {
        const patch = { metadata: { annotations: { [CORDON_ANNOTATION]: cordon ? "rollout" : null } }, spec: { unschedulable: cordon } };
        // A PATCH answers 200, or 201 where the server reports the object as created (SOURCES.md K1).
        await this.json("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, { json: patch, contentType: "application/strategic-merge-patch+json" }, [200, 201]);
    }

    /** Deletes a Node object; true if it existed. */
    async deleteNode(name: string): Promise<boolean> {
        const res = await this.json("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`, undefined, [200, 202, 404]);
        return res.status !== 404;
    }

    /** Every pod scheduled on a node, all namespaces (paginated like kubectl). */
    async podsOn(nodeName: string): Promise<KubePod[]> {
        const out: KubePod[] = [];
        let token = "";
        do {
            const q = new URLSearchParams({ fieldSelector: `spec.nodeName=${nodeName}`, limit: "500", ...(token ? { continue: token } : {}) });
            const page = (await this.json<{ items?: RawPod[]; metadata?: { continue?: string } }>("GET", `/api/v1/pods?${q}`)).body;
            out.push(...(page.items ?? []).map(pod));
            token = page.metadata?.continue ?? "";
        } while (token);
        return out;
    }

    /** The pod's uid, or undefined once it is gone. */
    async podUid(namespace: string, name: string): Promise<string | undefined> {
        const res = await this.json<RawPod>("GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`, undefined, [200, 404]);
        return res.status === 404 ? undefined : (res.body.metadata?.uid ?? "");
    }

    /** Asks the API to evict a pod (policy/v1), which honours PodDisruptionBudgets. */
    async evict(p: KubePod): Promise<EvictionResult> {
        const path = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}/eviction`;
        const body = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: p.name, namespace: p.namespace }, deleteOptions: {} };
        const res = await apiRequest(this.creds, "POST", path, this.timeoutMs, { json: body });
        if (!res.ok) return { ok: false, blocked: false, message: res.reason };
        let status: { status?: string; message?: string; code?: number; details?: { causes?: { reason?: string; message?: string }[] } } = {};
        try {
            status = res.body ? JSON.parse(res.body) : {};
        } catch {
            // not JSON: judged by the HTTP status alone
        }
        // A pod matching several PDBs comes back as a Failure body (code 500) whatever the status line says.
        if ((res.status === 200 || res.status === 201) && status.status !== "Failure") return { ok: true };
        if (res.status === 404) return { ok: true };
        const cause = status.details?.causes?.find((c) => c.reason === "DisruptionBudget")?.message;
        const message = [status.message, cause].filter(Boolean).join(" ") || `HTTP ${res.status}`;
        return { ok: false, blocked: res.status === 429, message };
    }
}
