import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
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
 * Set (to true) by the offline engine on a Response whose body is a stand-in for a bundle it
 * cannot download: a pin cannot be checked against it. A JavaScript symbol, so only code running
 * in this process can set it, never a server.
 */
export const OFFLINE_STAND_IN = Symbol.for("platform.offline/stand-in");

/** A downloaded document: its exact bytes, and whether the offline engine made it up. */
export interface Download {
    bytes: Buffer;
    standIn: boolean;
}

/**
 * Downloads and checks the pinned upstream CRD bundles, all of them before any resource is
 * registered (a preview or up that cannot get them stops with the URL and the reason). Runs on
 * every preview and up, like any data source. A bundle with a sha256 pin must match it, or the
 * run stops naming the URL and both digests; a preview warns once for each bundle without one.
 */
export async function fetchCrdBundles(bundles: CrdBundle[], policy: FetchPolicy = DEFAULT_POLICY): Promise<Map<string, CrdObject[]>> {
    const malformed = bundles.filter((b) => b.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(b.sha256));
    if (malformed.length > 0) {
        throw new Error(malformed.map((b) => `planners/charts.ts pins CRD bundle ${b.name} to "${b.sha256}", which is not a sha256 (64 lowercase hex digits); run npm run pin-crd-bundles`).join("\n"));
    }
    const downloads = await Promise.all(bundles.map((b) => download(b.url, policy)));
    const mismatches = bundles.flatMap((b, i) => {
        const problem = pinMismatch(b, downloads[i]);
        return problem ? [problem] : [];
    });
    if (mismatches.length > 0) throw new Error(mismatches.join("\n"));
    if (pulumi.runtime.isDryRun()) {
        for (const b of bundles) if (b.sha256 === undefined) void pulumi.log.warn(unpinnedWarning(b));
    }
    return new Map(bundles.map((b, i) => [b.name, parseCrdBundle(b, decode(downloads[i].bytes))]));
}

/** Hex sha256 of a document's bytes, as `sha256sum` prints it. */
export function sha256Hex(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Why a downloaded bundle fails its pin, or undefined when it has none or matches. An offline
 * stand-in is not checked (it is never the upstream content; the render says so).
 */
export function pinMismatch(bundle: CrdBundle, got: Download): string | undefined {
    if (bundle.sha256 === undefined || got.standIn) return undefined;
    const actual = sha256Hex(got.bytes);
    if (actual === bundle.sha256) return undefined;
    return (
        `CRD bundle ${bundle.name} from ${bundle.url} has sha256 ${actual}, but planners/charts.ts pins ${bundle.sha256}: ` +
        `the content behind that URL changed since it was pinned, and nothing was created. Find out why before re-pinning (npm run pin-crd-bundles).`
    );
}

/** The preview's warning for a bundle without a sha256 pin. */
export function unpinnedWarning(bundle: CrdBundle): string {
    return (
        `CRD bundle ${bundle.name} (${bundle.url}) has no sha256 pin in planners/charts.ts, so it is applied unverified; ` +
        `run npm run pin-crd-bundles where GitHub is reachable and commit the pins`
    );
}

/** GET a URL with retries on network errors and 5xx; 4xx fails at once. */
export async function fetchText(url: string, policy: FetchPolicy = DEFAULT_POLICY): Promise<string> {
    return decode((await download(url, policy)).bytes);
}

/** Like fetchText, but keeps the exact bytes (what a pin is taken over). */
export async function download(url: string, policy: FetchPolicy = DEFAULT_POLICY): Promise<Download> {
    let last = "";
    for (let attempt = 1; attempt <= policy.attempts; attempt++) {
        try {
            const res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(policy.timeoutMs) });
            if (res.ok) return { bytes: Buffer.from(await res.arrayBuffer()), standIn: (res as unknown as Record<symbol, unknown>)[OFFLINE_STAND_IN] === true };
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

function decode(bytes: Uint8Array): string {
    return new TextDecoder().decode(bytes);
}
