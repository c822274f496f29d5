import type { GateTiming } from "./api";
import { apiGet } from "./https";
import { credentialsFromKubeconfig } from "./kubeconfig";
import { pollUntil, type Attempt } from "./poll";

interface NodeList {
    items?: { metadata?: { name?: string }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }[];
}

/**
 * Waits until every expected node is registered and reports Ready=True, `successThreshold`
 * times in a row. Stricter than Helm's DaemonSet check, which tolerates `maxUnavailable` agents.
 */
export async function waitForNodesReady(
    kubeconfig: string,
    expected: readonly string[],
    timing: GateTiming,
    onRetry?: (reason: string) => void,
): Promise<string[]> {
    const creds = credentialsFromKubeconfig(kubeconfig);
    return pollUntil(
        `nodes Ready at ${creds.server}`,
        async (): Promise<Attempt<string[]>> => {
            const res = await apiGet(creds, "/api/v1/nodes", timing.requestTimeoutMs);
            if (!res.ok) return res;
            if (res.status !== 200) return { ok: false, reason: `HTTP ${res.status} listing nodes: ${res.body.slice(0, 200)}` };
            let list: NodeList;
            try {
                list = JSON.parse(res.body) as NodeList;
            } catch {
                return { ok: false, reason: "the node list is not JSON" };
            }
            const waiting = expected.map((name) => nodeProblem(list, name)).filter((p): p is string => p !== undefined);
            if (waiting.length > 0) return { ok: false, reason: `waiting for ${waiting.join("; ")}` };
            return { ok: true, value: [...expected] };
        },
        { timeoutMs: timing.timeoutMs, intervalMs: timing.intervalMs, successThreshold: timing.successThreshold, onRetry },
    );
}

function nodeProblem(list: NodeList, name: string): string | undefined {
    const node = list.items?.find((n) => n.metadata?.name === name);
    if (!node) return `${name} (not registered)`;
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.status === "True") return undefined;
    const why = [ready?.reason, ready?.message].filter(Boolean).join(": ");
    return `${name} (Ready=${ready?.status ?? "Unknown"}${why ? `, ${why}` : ""})`;
}
