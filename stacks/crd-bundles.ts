import type { CrdBundle } from "../model";
import { parseCrdBundle, type CrdObject } from "../planners/crd-bundle";

/** How hard to try to download a bundle. */
export interface FetchPolicy {
    attempts: number;
    timeoutMs: number;
    backoffMs: number;
}

const DEFAULT_POLICY: FetchPolicy = { attempts: 3, timeoutMs: 30_000, backoffMs: 2000 };

/**
 * Downloads and checks the pinned upstream CRD bundles, all of them before any resource is
 * registered (a preview or up that cannot get them stops with the URL and the reason). Runs on
 * every preview and up, like any data source.
 */
export async function fetchCrdBundles(bundles: CrdBundle[], policy: FetchPolicy = DEFAULT_POLICY): Promise<Map<string, CrdObject[]>> {
    const texts = await Promise.all(bundles.map((b) => fetchText(b.url, policy)));
    return new Map(bundles.map((b, i) => [b.name, parseCrdBundle(b, texts[i])]));
}

/** GET a URL with retries on network errors and 5xx; 4xx fails at once. */
export async function fetchText(url: string, policy: FetchPolicy = DEFAULT_POLICY): Promise<string> {
    let last = "";
    for (let attempt = 1; attempt <= policy.attempts; attempt++) {
        try {
            const res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(policy.timeoutMs) });
            if (res.ok) return await res.text();
            last = `HTTP ${res.status} ${res.statusText}`.trim();
            if (res.status < 500 && res.status !== 429) break;
        } catch (err) {
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            last = cause?.code ? `${cause.code}${cause.message ? `: ${cause.message}` : ""}` : (err as Error).message;
        }
        if (attempt < policy.attempts) await new Promise((resolve) => setTimeout(resolve, policy.backoffMs * attempt));
    }
    throw new Error(`could not download ${url}: ${last}`);
}
