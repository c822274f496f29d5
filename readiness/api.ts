import { apiGet } from "./https";
import { credentialsFromKubeconfig } from "./kubeconfig";
import { pollUntil, type Attempt } from "./poll";

export interface GateTiming {
    timeoutMs: number;
    intervalMs: number;
    /** Per-request timeout. */
    requestTimeoutMs: number;
    successThreshold: number;
}

/** Defaults for a fresh bare-metal control plane. */
export const DEFAULT_TIMING: Omit<GateTiming, "timeoutMs"> = { intervalMs: 5000, requestTimeoutMs: 10_000, successThreshold: 3 };

/**
 * Waits until the API server behind a kubeconfig answers `/readyz` with 200, authenticated with
 * the kubeconfig's client certificate, `successThreshold` times in a row. Returns the server URL.
 */
export async function waitForApiReady(kubeconfig: string, timing: GateTiming, onRetry?: (reason: string) => void): Promise<string> {
    const creds = credentialsFromKubeconfig(kubeconfig);
    const what = `Kubernetes API ${creds.server}/readyz`;
    await pollUntil(
        what,
        async (): Promise<Attempt<true>> => {
            const res = await apiGet(creds, "/readyz", timing.requestTimeoutMs);
            if (!res.ok) return res;
            if (res.status === 200) return { ok: true, value: true };
            return { ok: false, reason: `HTTP ${res.status}: ${summarize(res.body)}` };
        },
        { timeoutMs: timing.timeoutMs, intervalMs: timing.intervalMs, successThreshold: timing.successThreshold, onRetry },
    );
    return creds.server;
}

/** The failing checks of a /readyz report (lines starting "[-]"), or the first line. */
function summarize(body: string): string {
    const failing = body
        .split("\n")
        .filter((l) => l.startsWith("[-]"))
        .map((l) => l.slice(3).trim());
    const text = failing.length > 0 ? `failing checks: ${failing.join(", ")}` : body.trim().split("\n")[0] ?? "";
    return text.length > 300 ? `${text.slice(0, 297)}...` : text || "(empty body)";
}
