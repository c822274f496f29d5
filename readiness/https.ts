import * as https from "https";
import type { ApiCredentials } from "./kubeconfig";

/** A response, or a transport failure described for humans (and whether retrying can help). */
export type HttpResult = { ok: true; status: number; body: string } | { ok: false; reason: string; permanent: boolean };

/**
 * TLS verification failures: the server or our CA is wrong; retrying will not change that.
 * (An array, not a Set: this code is serialized into the dynamic provider, and Pulumi's closure
 * serializer does not reproduce Sets.)
 */
const PERMANENT_TLS_CODES = [
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "CERT_SIGNATURE_FAILURE",
    "CERT_UNTRUSTED",
    "CERT_REJECTED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "ERR_OSSL_PEM_NO_START_LINE",
];

/** GET `path` on the API server, authenticating with the client certificate. */
export function apiGet(creds: ApiCredentials, path: string, timeoutMs: number): Promise<HttpResult> {
    return apiRequest(creds, "GET", path, timeoutMs);
}

/** A request to the API server with an optional JSON body (`contentType` says which patch flavour). */
export function apiRequest(
    creds: ApiCredentials,
    method: string,
    path: string,
    timeoutMs: number,
    body?: { json: unknown; contentType?: string },
): Promise<HttpResult> {
    return new Promise((resolve) => {
        let req: ReturnType<typeof https.request>;
        const payload = body === undefined ? undefined : JSON.stringify(body.json);
        try {
            req = https.request(`${creds.server}${path}`, {
                method,
                ca: creds.ca,
                cert: creds.cert,
                key: creds.key,
                agent: false,
                timeout: timeoutMs,
                headers: {
                    accept: "application/json, text/plain",
                    ...(payload === undefined ? {} : { "content-type": body!.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }),
                },
            });
        } catch (err) {
            resolve({ ok: false, reason: describe(err), permanent: true });
            return;
        }
        req.on("response", (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve({ ok: true, status: res.statusCode ?? 0, body }));
            res.on("error", (err) => resolve({ ok: false, reason: describe(err), permanent: false }));
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error(`no response within ${timeoutMs}ms`), { code: "ETIMEDOUT" })));
        req.on("error", (err) => {
            const code = (err as NodeJS.ErrnoException).code ?? "";
            resolve({ ok: false, reason: describe(err), permanent: PERMANENT_TLS_CODES.includes(code) });
        });
        req.end(payload);
    });
}

function describe(err: unknown): string {
    const e = err as NodeJS.ErrnoException;
    return e.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}
