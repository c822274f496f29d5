/**
 * The simulated Kubernetes API: HTTPS on 127.0.0.1 with client-certificate auth (401 without the
 * sim's admin certificate), serving the Node/Pod/PDB/eviction subset a drain needs (facts:
 * SOURCES.md in this folder, K1 cordon, K2 pod listing, K3/K4 eviction, K5 node deletion). Raw
 * REST, JSON bodies, `Status` errors.
 */
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import type { AddressInfo } from "net";
import type { TLSSocket } from "tls";
import { Cluster, uuidFrom, type SimNode, type SimPod } from "./cluster";
import type { SimPki } from "./pki";

const GROUP_VERSION: Record<string, string> = { ReplicaSet: "apps/v1", StatefulSet: "apps/v1", DaemonSet: "apps/v1", Deployment: "apps/v1", Job: "batch/v1", Node: "v1", ReplicationController: "v1" };

type Obj = Record<string, unknown>;

function status(code: number, reason: string, message: string, details?: Obj): Obj {
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

function iso(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class KubeApi {
    private server: https.Server | undefined;
    url = "";

    constructor(
        private readonly c: Cluster,
        private readonly pki: SimPki,
    ) {}

    async start(): Promise<void> {
        const server = https.createServer({ key: this.pki.serverKey, cert: this.pki.serverCert, ca: this.pki.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
            void this.handle(req, res);
        });
        server.keepAliveTimeout = 1000;
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        this.server = server;
        this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    async close(): Promise<void> {
        const s = this.server;
        if (!s) return;
        this.server = undefined;
        await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
        });
    }

    private send(res: ServerResponse, code: number, body: Obj): void {
        const text = JSON.stringify(body);
        res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
    }

    private async body(req: IncomingMessage): Promise<string> {
        const chunks: Buffer[] = [];
        for await (const ch of req) chunks.push(ch as Buffer);
        return Buffer.concat(chunks).toString("utf8");
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        if (this.c.closed) {
            req.socket.destroy();
            return;
        }
        if (!this.c.kubeApiUp()) {
            // No control plane answering: what a client sees is a dead connection.
            this.c.emit("kube", "api-unavailable", undefined, { method: req.method, path: req.url });
            req.socket.destroy();
            return;
        }
        if (!(req.socket as TLSSocket).authorized) {
            this.send(res, 401, status(401, "Unauthorized", "Unauthorized"));
            return;
        }
        const url = new URL(req.url ?? "/", "https://sim");
        const method = req.method ?? "GET";
        const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
        const body = method === "GET" || method === "HEAD" ? "" : await this.body(req);
        try {
            const [code, out] = this.route(method, parts, url.searchParams, body, req.headers["content-type"] ?? "");
            this.send(res, code, out);
        } catch (e) {
            this.send(res, 500, status(500, "InternalError", `sim: ${(e as Error).message}`));
        }
    }

    private route(method: string, p: string[], q: URLSearchParams, body: string, contentType: string): [number, Obj] {
        const notFound: [number, Obj] = [404, status(404, "NotFound", "the server could not find the requested resource", {})];
        const notAllowed: [number, Obj] = [405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})];
        const path = p.join("/");
        if (path === "version") {
            if (method !== "GET") return notAllowed;
            const [major, minor] = this.c.kubernetesVersion.split(".");
            this.c.emit("kube", "version");
            return [200, { major, minor, emulationMajor: major, emulationMinor: minor, minCompatibilityMajor: major, minCompatibilityMinor: String(Number(minor) - 1), gitVersion: `v${this.c.kubernetesVersion}`, gitCommit: "0000000000000000000000000000000000000000", gitTreeState: "clean", buildDate: "2025-09-09T19:44:50Z", goVersion: "go1.24.6", compiler: "gc", platform: "linux/amd64" }];
        }
        if (path === "api") return [200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:6443" }] }];
        if (path === "api/v1") {
            return [200, {
                kind: "APIResourceList",
                groupVersion: "v1",
                resources: [
                    { name: "nodes", singularName: "node", namespaced: false, kind: "Node", verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames: ["no"] },
                    { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames: ["po"] },
                    { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
                ],
            }];
        }
        if (p[0] === "api" && p[1] === "v1" && p[2] === "nodes") {
            if (p.length === 3) {
                if (method !== "GET") return notAllowed;
                const sel = q.get("labelSelector");
                const items = [...this.c.nodes.values()].filter((n) => n.kube.exists && matchLabels(n.kube.labels, sel)).sort((a, b) => a.hostname.localeCompare(b.hostname));
                this.c.emit("kube", "nodes-listed");
                return [200, { kind: "NodeList", apiVersion: "v1", metadata: { resourceVersion: String(this.c.revision) }, items: items.map((n) => this.nodeJson(n)) }];
            }
            if (p.length !== 4) return notFound;
            const n = this.c.nodes.get(p[3]!);
            const missing: [number, Obj] = [404, status(404, "NotFound", `nodes "${p[3]}" not found`, { name: p[3], kind: "nodes" })];
            if (!n || !n.kube.exists) return missing;
            if (method === "GET") {
                this.c.emit("kube", "node-read", n.hostname);
                return [200, this.nodeJson(n)];
            }
            if (method === "PATCH") return this.patchNode(n, body, contentType);
            if (method === "DELETE") {
                const uid = n.kube.uid;
                this.c.deleteKubeNode(n);
                return [200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: n.hostname, kind: "nodes", uid } }];
            }
            return notAllowed;
        }
        if (p[0] === "api" && p[1] === "v1" && (path === "api/v1/pods" || (p[2] === "namespaces" && p[4] === "pods"))) {
            const ns = p[2] === "namespaces" ? p[3]! : undefined;
            const name = ns ? p[5] : undefined;
            if (!name) {
                if (p.length !== (ns ? 5 : 3)) return notFound;
                if (method !== "GET") return notAllowed;
                return this.listPods(ns, q);
            }
            const pod = this.c.pods.find((x) => x.namespace === ns && x.name === name);
            const missing: [number, Obj] = [404, status(404, "NotFound", `pods "${name}" not found`, { name, kind: "pods" })];
            if (p.length === 7 && p[6] === "eviction") {
                if (method !== "POST") return notAllowed;
                return this.evict(ns!, name, pod, body);
            }
            if (p.length !== 6) return notFound;
            if (!pod) return missing;
            if (method === "GET") {
                this.c.emit("kube", "pod-read", pod.node || undefined, { pod: `${ns}/${name}` });
                return [200, this.podJson(pod)];
            }
            if (method === "DELETE") {
                if (!pod.terminating) this.c.evict(pod, "delete", "kube");
                return [200, this.podJson(pod)];
            }
            return notAllowed;
        }
        if (p[0] === "apis" && p[1] === "policy" && p[2] === "v1") {
            const ns = p[3] === "namespaces" ? p[4] : undefined;
            const rest = ns ? p.slice(5) : p.slice(3);
            if (rest[0] !== "poddisruptionbudgets" || method !== "GET") return notFound;
            const pdbs = this.c.pdbs.filter((x) => ns === undefined || x.namespace === ns);
            if (rest.length === 1) {
                this.c.emit("kube", "pdbs-listed");
                return [200, { kind: "PodDisruptionBudgetList", apiVersion: "policy/v1", metadata: { resourceVersion: String(this.c.revision) }, items: pdbs.map((x) => this.pdbJson(x)) }];
            }
            const one = pdbs.find((x) => x.name === rest[1]);
            return one ? [200, this.pdbJson(one)] : [404, status(404, "NotFound", `poddisruptionbudgets.policy "${rest[1]}" not found`, { name: rest[1], group: "policy", kind: "poddisruptionbudgets" })];
        }
        return notFound;
    }

    private patchNode(n: SimNode, body: string, contentType: string): [number, Obj] {
        const ct = contentType.split(";")[0]!.trim();
        const accepted = ["application/strategic-merge-patch+json", "application/merge-patch+json", "application/json-patch+json"];
        if (!accepted.includes(ct)) {
            return [415, status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`)];
        }
        let patch: unknown;
        try {
            patch = JSON.parse(body);
        } catch (e) {
            return [400, status(400, "BadRequest", `error decoding patch: ${(e as Error).message}`)];
        }
        let unschedulable: boolean | undefined;
        const annotations: Record<string, string | null> = {};
        const labels: Record<string, string | null> = {};
        if (ct === "application/json-patch+json") {
            if (!Array.isArray(patch)) return [400, status(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")];
            for (const op of patch as { op: string; path: string; value?: unknown }[]) {
                const seg = op.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
                const remove = op.op === "remove";
                if (!["add", "replace", "remove", "test"].includes(op.op)) return [422, status(422, "Invalid", `Unexpected kind: ${op.op}`)];
                if (op.op === "test") continue;
                if (seg.join("/") === "spec/unschedulable") unschedulable = remove ? false : op.value === true;
                else if (seg[0] === "metadata" && seg[1] === "annotations" && seg[2]) annotations[seg[2]] = remove ? null : String(op.value);
                else if (seg[0] === "metadata" && seg[1] === "labels" && seg[2]) labels[seg[2]] = remove ? null : String(op.value);
                else if (seg[0] === "metadata" && seg[1] === "annotations" && !seg[2] && typeof op.value === "object" && op.value) Object.assign(annotations, op.value);
            }
        } else {
            const p = (patch ?? {}) as { spec?: { unschedulable?: boolean | null }; metadata?: { annotations?: Record<string, string | null>; labels?: Record<string, string | null> } };
            if (p.spec && "unschedulable" in p.spec) unschedulable = p.spec.unschedulable === true;
            Object.assign(annotations, p.metadata?.annotations ?? {});
            Object.assign(labels, p.metadata?.labels ?? {});
        }
        const changedAnn = Object.keys(annotations).length > 0 || Object.keys(labels).length > 0;
        for (const [k, v] of Object.entries(annotations)) {
            if (v === null) delete n.kube.annotations[k];
            else n.kube.annotations[k] = String(v);
        }
        for (const [k, v] of Object.entries(labels)) {
            if (v === null) delete n.kube.labels[k];
            else n.kube.labels[k] = String(v);
        }
        if (changedAnn) this.c.emit("kube", "node-patched", n.hostname, { annotations, labels });
        if (unschedulable !== undefined) this.c.setUnschedulable(n, unschedulable, "kube");
        if (unschedulable === undefined && !changedAnn) this.c.emit("kube", "node-patched", n.hostname, { patch: body });
        return [200, this.nodeJson(n)];
    }

    private listPods(ns: string | undefined, q: URLSearchParams): [number, Obj] {
        const terms: { key: string; op: "=" | "!="; value: string }[] = [];
        for (const t of (q.get("fieldSelector") ?? "").split(",").filter(Boolean)) {
            const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(t);
            if (!m) return [400, status(400, "BadRequest", `invalid selector: '${t}'; can't understand '${t}'`)];
            const key = m[1]!;
            if (!["spec.nodeName", "metadata.name", "metadata.namespace", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName", "spec.hostNetwork"].includes(key)) {
                return [400, status(400, "BadRequest", `field label not supported: ${key}`)];
            }
            terms.push({ key, op: m[2] === "!=" ? "!=" : "=", value: m[3]! });
        }
        const field = (pod: SimPod, key: string): string =>
            key === "spec.nodeName" ? pod.node : key === "metadata.name" ? pod.name : key === "metadata.namespace" ? pod.namespace : key === "status.phase" ? pod.phase : key === "spec.restartPolicy" ? "Always" : key === "spec.schedulerName" ? "default-scheduler" : "";
        const sel = q.get("labelSelector");
        const all = this.c.pods
            .filter((pod) => (ns === undefined || pod.namespace === ns) && terms.every((t) => (field(pod, t.key) === t.value) === (t.op === "=")) && matchLabels(pod.labels, sel))
            .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
        let offset = 0;
        const cont = q.get("continue");
        if (cont) {
            try {
                offset = (JSON.parse(Buffer.from(cont, "base64").toString("utf8")) as { offset: number }).offset;
            } catch {
                return [400, status(400, "BadRequest", "continue key is not valid: illegal base64 data at input byte 0")];
            }
        }
        const limit = Number(q.get("limit") ?? "0");
        const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
        const next = limit > 0 && offset + limit < all.length ? Buffer.from(JSON.stringify({ offset: offset + limit, rv: this.c.revision })).toString("base64") : undefined;
        const nodeTerm = terms.find((t) => t.key === "spec.nodeName" && t.op === "=");
        this.c.emit("kube", "pods-listed", nodeTerm ? this.c.nodes.get(nodeTerm.value)?.hostname : undefined, { fieldSelector: q.get("fieldSelector") ?? "", count: page.length });
        return [200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(this.c.revision), ...(next ? { continue: next, remainingItemCount: all.length - offset - limit } : {}) }, items: page.map((x) => this.podJson(x)) }];
    }

    private evict(ns: string, name: string, pod: SimPod | undefined, body: string): [number, Obj] {
        let ev: { metadata?: { name?: string; namespace?: string }; deleteOptions?: { dryRun?: string[] } } = {};
        if (body.trim() !== "") {
            try {
                ev = JSON.parse(body) as typeof ev;
            } catch (e) {
                return [400, status(400, "BadRequest", `couldn't get version/kind; json parse error: ${(e as Error).message}`)];
            }
        }
        if (ev.metadata?.name !== undefined && ev.metadata.name !== name) return [400, status(400, "BadRequest", "name in URL does not match name in Eviction object")];
        if (!pod) return [404, status(404, "NotFound", `pods "${name}" not found`, { name, kind: "pods" })];
        const dry = (ev.deleteOptions?.dryRun ?? []).includes("All");
        const blocked = this.c.evictionBlocked(pod);
        if (blocked) {
            const st = this.c.pdbStatus(blocked);
            this.c.emit("kube", "evict-blocked", pod.node || undefined, { pod: `${ns}/${name}`, pdb: blocked.name });
            return [429, {
                kind: "Status",
                apiVersion: "v1",
                status: "Failure",
                message: "Cannot evict pod as it would violate the pod's disruption budget.",
                reason: "TooManyRequests",
                code: 429,
                details: { causes: [{ reason: "DisruptionBudget", message: `The disruption budget ${blocked.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently` }] },
            }];
        }
        if (!dry && !pod.terminating) this.c.evict(pod, "kube", "kube");
        return [201, { kind: "Status", apiVersion: "v1", status: "Success", code: 201 }];
    }

    nodeJson(n: SimNode): Obj {
        const ready = this.c.kubeReady(n);
        const hb = iso(ready ? Date.now() : n.bootedAt);
        const taints: Obj[] = [];
        if (n.kube.unschedulable) taints.push({ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: hb });
        if (!ready) taints.push({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule", timeAdded: hb }, { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: hb });
        return {
            kind: "Node",
            apiVersion: "v1",
            metadata: {
                name: n.hostname,
                uid: n.kube.uid,
                resourceVersion: String(this.c.revision),
                creationTimestamp: iso(n.kube.createdAt),
                labels: { ...n.kube.labels },
                annotations: { "talos.dev/owned-labels": "[]", "node.alpha.kubernetes.io/ttl": "0", ...n.kube.annotations },
            },
            spec: { podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"], ...(n.kube.unschedulable ? { unschedulable: true } : {}), ...(taints.length ? { taints } : {}) },
            status: {
                conditions: [
                    { type: "MemoryPressure", status: ready ? "False" : "Unknown", lastHeartbeatTime: hb, lastTransitionTime: iso(n.bootedAt), reason: ready ? "KubeletHasSufficientMemory" : "NodeStatusUnknown", message: ready ? "kubelet has sufficient memory available" : "Kubelet stopped posting node status." },
                    ready
                        ? { type: "Ready", status: "True", lastHeartbeatTime: hb, lastTransitionTime: iso(n.bootedAt), reason: "KubeletReady", message: "kubelet is posting ready status" }
                        : { type: "Ready", status: "Unknown", lastHeartbeatTime: hb, lastTransitionTime: hb, reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." },
                ],
                addresses: [
                    { type: "InternalIP", address: n.ip },
                    { type: "Hostname", address: n.hostname },
                ],
                nodeInfo: {
                    machineID: uuidFrom(`machine:${n.hostname}`).replace(/-/g, ""),
                    systemUUID: uuidFrom(`system:${n.hostname}`),
                    bootID: n.bootId,
                    kernelVersion: "6.12.57-talos",
                    osImage: `Talos (${n.version})`,
                    containerRuntimeVersion: "containerd://2.1.5",
                    kubeletVersion: `v${n.kube.kubeletVersion}`,
                    kubeProxyVersion: "",
                    operatingSystem: "linux",
                    architecture: "amd64",
                },
            },
        };
    }

    podJson(p: SimPod): Obj {
        const owner = p.owner;
        return {
            kind: "Pod",
            apiVersion: "v1",
            metadata: {
                name: p.name,
                namespace: p.namespace,
                uid: p.uid,
                resourceVersion: String(this.c.revision),
                creationTimestamp: iso(p.createdAt),
                labels: { ...p.labels },
                annotations: p.mirror ? { "kubernetes.io/config.mirror": uuidFrom(`mirror:${p.name}`).replace(/-/g, ""), "kubernetes.io/config.source": "file" } : {},
                ...(owner ? { ownerReferences: [{ apiVersion: GROUP_VERSION[owner.kind] ?? "apps/v1", kind: owner.kind, name: owner.name, uid: uuidFrom(`owner:${p.namespace}/${owner.kind}/${owner.name}`), controller: true, blockOwnerDeletion: true }] } : {}),
                ...(p.deletionTimestamp ? { deletionTimestamp: iso(p.deletionTimestamp), deletionGracePeriodSeconds: 30 } : {}),
            },
            spec: {
                ...(p.node ? { nodeName: p.node } : {}),
                containers: [{ name: "main", image: "registry.k8s.io/pause:3.10" }],
                volumes: p.emptyDir ? [{ name: "scratch", emptyDir: {} }] : [],
                restartPolicy: "Always",
                terminationGracePeriodSeconds: 30,
                schedulerName: "default-scheduler",
            },
            status: {
                phase: p.phase,
                conditions: [{ type: "Ready", status: this.c.podHealthy(p) ? "True" : "False" }],
            },
        };
    }

    private pdbJson(x: { namespace: string; name: string; minAvailable?: number; maxUnavailable?: number }): Obj {
        const st = this.c.pdbStatus(x);
        return {
            kind: "PodDisruptionBudget",
            apiVersion: "policy/v1",
            metadata: { name: x.name, namespace: x.namespace, uid: uuidFrom(`pdb:${x.namespace}/${x.name}`), generation: 1 },
            spec: { ...(x.minAvailable !== undefined ? { minAvailable: x.minAvailable } : { maxUnavailable: x.maxUnavailable ?? 1 }), selector: { matchLabels: { "sim.pdb": x.name } } },
            status: { observedGeneration: 1, disruptionsAllowed: this.c.faultState.pdbBlocks.has(`${x.namespace}/${x.name}`) ? 0 : st.disruptionsAllowed, currentHealthy: st.currentHealthy, desiredHealthy: st.desiredHealthy, expectedPods: st.expectedPods },
        };
    }
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated. */
function matchLabels(labels: Record<string, string>, selector: string | null): boolean {
    if (!selector) return true;
    return selector.split(",").every((t) => {
        const s = t.trim();
        if (s === "") return true;
        if (s.startsWith("!")) return !(s.slice(1) in labels);
        const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(s);
        if (!m) return s in labels;
        const v = labels[m[1]!.trim()];
        return m[2] === "!=" ? v !== m[3]!.trim() : v === m[3]!.trim();
    });
}
