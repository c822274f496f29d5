import * as https from "https";
import type { AddressInfo } from "net";
import type { TestPki } from "./tls";

/** What the fake API server answers for the n-th request to a path (1-based). */
export type Responder = (path: string, n: number) => { status: number; body: string };

/** A real HTTPS server on 127.0.0.1 that requires a client certificate from the test CA. */
export interface TestApiServer {
    url: string;
    /** Requests seen, with whether the client presented a certificate the server trusted. */
    requests: { path: string; authorized: boolean }[];
    close(): Promise<void>;
}

export async function startApiServer(pki: TestPki, respond: Responder): Promise<TestApiServer> {
    const counts = new Map<string, number>();
    const requests: TestApiServer["requests"] = [];
    const server = https.createServer(
        { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false },
        (req, res) => {
            const path = req.url ?? "/";
            const authorized = (req.socket as import("tls").TLSSocket).authorized;
            requests.push({ path, authorized });
            if (!authorized) {
                res.writeHead(401).end("Unauthorized");
                return;
            }
            const n = (counts.get(path) ?? 0) + 1;
            counts.set(path, n);
            const { status, body } = respond(path, n);
            res.writeHead(status, { "content-type": body.startsWith("{") ? "application/json" : "text/plain" }).end(body);
        },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `https://127.0.0.1:${port}`,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A /api/v1/nodes body with the given nodes and Ready statuses. */
export function nodeList(nodes: Record<string, "True" | "False" | "Unknown">): string {
    return JSON.stringify({
        kind: "NodeList",
        items: Object.entries(nodes).map(([name, status]) => ({
            metadata: { name },
            status: { conditions: [{ type: "Ready", status, reason: status === "True" ? "KubeletReady" : "KubeletNotReady", message: status === "True" ? "kubelet is posting ready status" : "container runtime network not ready: cni plugin not initialized" }] },
        })),
    });
}
