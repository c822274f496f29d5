import * as tls from "tls";
import { parse } from "yaml";

/**
 * Whether a node already runs a cluster, without talosctl (the first bring-up needs none). Talos
 * serves its API on port 50000 in both states, with different certificates: in maintenance mode a
 * self-signed one, once configured one issued by the cluster's OS CA (the mutual TLS that
 * talosctl's --insecure skips; docs: "The insecure flag"). A TLS handshake that verifies the
 * server against the talosconfig's CA therefore tells the states apart.
 */

export type ApiState = "configured" | "not-ours" | "unreachable";

/** The Talos API port (apid, and the maintenance service before a config is applied). */
export const TALOS_API_PORT = 50000;

export interface ApiCredentials {
    ca: string;
    cert: string;
    key: string;
}

/** The current context's CA, client certificate and key from a talosconfig (PEM). */
export function credentialsFromTalosconfig(text: string): ApiCredentials {
    const doc = parse(text) as { context?: string; contexts?: Record<string, { ca?: string; crt?: string; key?: string }> };
    const ctx = doc.contexts?.[doc.context ?? ""];
    if (!ctx?.ca || !ctx.crt || !ctx.key) throw new Error("the talosconfig has no current context with a CA, certificate and key");
    const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    return { ca: pem(ctx.ca), cert: pem(ctx.crt), key: pem(ctx.key) };
}

/**
 * "configured" when the node's API certificate is issued by `creds.ca` (the node runs this
 * cluster), "not-ours" when the handshake works but the certificate is not (maintenance mode, or
 * another cluster), "unreachable" when no handshake happens within `timeoutMs`.
 */
export function probeTalosApi(host: string, creds: ApiCredentials, opts: { port?: number; timeoutMs: number }): Promise<ApiState> {
    return new Promise((resolve) => {
        let settled = false;
        const done = (state: ApiState) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            resolve(state);
        };
        // The client certificate is offered so a configured node completes the handshake; the
        // server is verified by hand (socket.authorized): a self-signed one is an answer, not an error.
        const socket = tls.connect({
            host,
            port: opts.port ?? TALOS_API_PORT,
            ca: creds.ca,
            cert: creds.cert,
            key: creds.key,
            ALPNProtocols: ["h2"], // gRPC servers refuse a handshake without it
            rejectUnauthorized: false,
            checkServerIdentity: () => undefined, // the issuer decides, not the name
        });
        const timer = setTimeout(() => done("unreachable"), opts.timeoutMs);
        socket.once("secureConnect", () => done(socket.authorized ? "configured" : "not-ours"));
        socket.once("error", () => done("unreachable"));
    });
}
