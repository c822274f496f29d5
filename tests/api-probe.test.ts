import * as net from "net";
import * as tls from "tls";
import { credentialsFromTalosconfig, probeTalosApi, type ApiCredentials } from "../lifecycle/api-probe";
import { talosconfigText } from "../planners/certificates";
import { makePki, type TestPki } from "./support/tls";

/**
 * Telling a configured node from one in maintenance mode without talosctl, against TLS servers on
 * 127.0.0.1: one whose certificate the cluster's CA issued and that requires a client certificate
 * from it (a configured apid), one with a certificate of another CA (maintenance mode presents a
 * self-signed one), a closed port, and a port that never completes a handshake.
 */

let cluster: TestPki;
let other: TestPki;
let creds: ApiCredentials;
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

function listen(server: net.Server): Promise<number> {
    servers.push(server);
    // close() waits for open connections: the silent server's would keep it (and the test) open.
    server.on("connection", (socket: net.Socket) => sockets.push(socket));
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

beforeAll(() => {
    cluster = makePki("cluster");
    other = makePki("maintenance");
    creds = credentialsFromTalosconfig(
        talosconfigText({ cluster: "c", endpoints: ["127.0.0.1"], nodes: ["127.0.0.1"], caCertificate: cluster.caCert, certificate: cluster.clientCert, key: cluster.clientKey }),
    );
});
afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

test("the talosconfig's CA, client certificate and key come back as PEM", () => {
    const lf = (pem: string) => pem.replace(/\r\n/g, "\n").trim();
    expect([creds.ca, creds.cert, creds.key].map(lf)).toEqual([cluster.caCert, cluster.clientCert, cluster.clientKey].map(lf));
});

test("a node whose API certificate the cluster's CA issued (mutual TLS, gRPC's h2) is configured", async () => {
    const port = await listen(
        tls.createServer({ cert: cluster.serverCert, key: cluster.serverKey, ca: cluster.caCert, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["h2"] }, (s) => s.end()),
    );
    expect(await probeTalosApi("127.0.0.1", creds, { port, timeoutMs: 5000 })).toBe("configured");
});

test("a node presenting another certificate (maintenance mode's self-signed one, another cluster's) is not ours", async () => {
    const port = await listen(tls.createServer({ cert: other.serverCert, key: other.serverKey, ALPNProtocols: ["h2"] }, (s) => s.end()));
    expect(await probeTalosApi("127.0.0.1", creds, { port, timeoutMs: 5000 })).toBe("not-ours");
});

test("a closed port, or one that never completes a handshake, is unreachable", async () => {
    const closed = await listen(net.createServer());
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probeTalosApi("127.0.0.1", creds, { port: closed, timeoutMs: 5000 })).toBe("unreachable");
    const silent = await listen(net.createServer(() => undefined));
    const started = Date.now();
    expect(await probeTalosApi("127.0.0.1", creds, { port: silent, timeoutMs: 300 })).toBe("unreachable");
    expect(Date.now() - started).toBeLessThan(3000);
});
