import { waitForApiReady, type GateTiming } from "../readiness/api";
import { durationMs } from "../readiness/duration";
import { credentialsFromKubeconfig } from "../readiness/kubeconfig";
import { waitForNodesReady } from "../readiness/nodes";
import { isNotReadyError, type NotReadyError } from "../readiness/poll";
import { nodeList, startApiServer, type TestApiServer } from "./support/api-server";
import { kubeconfigFor, makePki, type TestPki } from "./support/tls";

// Real HTTPS servers on 127.0.0.1 with a test CA; short intervals keep the suite fast.
const fast: GateTiming = { timeoutMs: 3000, intervalMs: 20, requestTimeoutMs: 1000, successThreshold: 2 };

let pki: TestPki;
let otherPki: TestPki;
let server: TestApiServer | undefined;

beforeAll(() => {
    pki = makePki("cluster");
    otherPki = makePki("stranger");
});
afterEach(async () => {
    await server?.close();
    server = undefined;
});

const readyz = (path: string) => path === "/readyz";

describe("API readiness gate", () => {
    test("passes when the API answers /readyz at once, authenticated with the client certificate", async () => {
        server = await startApiServer(pki, () => ({ status: 200, body: "ok" }));
        await expect(waitForApiReady(kubeconfigFor(server.url, pki.caCert, pki), fast)).resolves.toBe(server.url);
        expect(server.requests.length).toBe(fast.successThreshold);
        expect(server.requests.every((r) => readyz(r.path) && r.authorized)).toBe(true);
    });

    test("keeps retrying through failures until the API is ready", async () => {
        server = await startApiServer(pki, (_p, n) => (n <= 4 ? { status: 500, body: "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed" } : { status: 200, body: "ok" }));
        await expect(waitForApiReady(kubeconfigFor(server.url, pki.caCert, pki), fast)).resolves.toBe(server.url);
        expect(server.requests.length).toBe(4 + fast.successThreshold);
    });

    test("gives up at the deadline, naming the endpoint and the last failure", async () => {
        server = await startApiServer(pki, () => ({ status: 500, body: "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed" }));
        const started = Date.now();
        const err = await waitForApiReady(kubeconfigFor(server.url, pki.caCert, pki), { ...fast, timeoutMs: 400 }).catch((e: unknown) => e);
        expect(isNotReadyError(err)).toBe(true);
        expect((err as Error).message).toBe(
            `Kubernetes API ${server.url}/readyz: not ready after 0.4s (${(err as NotReadyError).attempts} attempts); last failure: HTTP 500: failing checks: etcd failed: reason withheld`,
        );
        expect(Date.now() - started).toBeLessThan(2000);
    });

    test("does not take a flapping API for a ready one", async () => {
        // ready, down, ready, down, ... then steadily ready from the 7th request on.
        server = await startApiServer(pki, (_p, n) => (n < 7 && n % 2 === 0 ? { status: 503, body: "shutting down" } : { status: 200, body: "ok" }));
        await waitForApiReady(kubeconfigFor(server.url, pki.caCert, pki), { ...fast, successThreshold: 3 });
        expect(server.requests.length).toBe(9);
    });

    test("fails at once, not at the deadline, when the server's certificate is not from the kubeconfig's CA", async () => {
        server = await startApiServer(pki, () => ({ status: 200, body: "ok" }));
        const started = Date.now();
        const err = await waitForApiReady(kubeconfigFor(server.url, otherPki.caCert, pki), { ...fast, timeoutMs: 10_000 }).catch((e: unknown) => e);
        expect(isNotReadyError(err)).toBe(true);
        expect((err as Error).message).toMatch(new RegExp(`^Kubernetes API ${server.url}/readyz: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)`));
        expect(Date.now() - started).toBeLessThan(2000);
        expect(server.requests).toEqual([]);
    });

    test("reports a refused connection as the last failure", async () => {
        const err = await waitForApiReady(kubeconfigFor("https://127.0.0.1:1", pki.caCert, pki), { ...fast, timeoutMs: 200 }).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(/^Kubernetes API https:\/\/127\.0\.0\.1:1\/readyz: not ready after 0.2s \(\d+ attempts\); last failure: ECONNREFUSED/);
    });

    test("is not satisfied by an API that rejects the client certificate", async () => {
        server = await startApiServer(pki, () => ({ status: 200, body: "ok" }));
        const stranger = { ...otherPki, caCert: pki.caCert };
        const err = await waitForApiReady(kubeconfigFor(server.url, pki.caCert, stranger), { ...fast, timeoutMs: 300 }).catch((e: unknown) => e);
        expect((err as Error).message).toContain("last failure: HTTP 401: Unauthorized");
    });
});

describe("nodes Ready gate", () => {
    const expected = ["infra-01", "infra-02", "infra-03"];

    test("waits until every expected node is registered and Ready", async () => {
        server = await startApiServer(pki, (_p, n) =>
            n === 1
                ? { status: 200, body: nodeList({ "infra-01": "False" }) }
                : n === 2
                  ? { status: 200, body: nodeList({ "infra-01": "True", "infra-02": "False", "infra-03": "True" }) }
                  : { status: 200, body: nodeList({ "infra-01": "True", "infra-02": "True", "infra-03": "True" }) },
        );
        await expect(waitForNodesReady(kubeconfigFor(server.url, pki.caCert, pki), expected, fast)).resolves.toEqual(expected);
        expect(server.requests.map((r) => r.path)).toEqual(Array(2 + fast.successThreshold).fill("/api/v1/nodes"));
    });

    test("names the nodes it is still waiting for when the deadline passes", async () => {
        server = await startApiServer(pki, () => ({ status: 200, body: nodeList({ "infra-01": "True", "infra-02": "False" }) }));
        const err = await waitForNodesReady(kubeconfigFor(server.url, pki.caCert, pki), expected, { ...fast, timeoutMs: 200 }).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(
            /^nodes Ready at https:\/\/127\.0\.0\.1:\d+: not ready after 0.2s \(\d+ attempts\); last failure: waiting for infra-02 \(Ready=False, KubeletNotReady: container runtime network not ready: cni plugin not initialized\); infra-03 \(not registered\)$/,
        );
    });

    test("ignores extra nodes but not missing ones", async () => {
        server = await startApiServer(pki, () => ({ status: 200, body: nodeList({ "infra-01": "True", "infra-02": "True", "infra-03": "True", "spare-04": "False" }) }));
        await expect(waitForNodesReady(kubeconfigFor(server.url, pki.caCert, pki), expected, fast)).resolves.toEqual(expected);
    });
});

describe("readiness helpers", () => {
    test("durations parse like Go's", () => {
        expect(durationMs("10m")).toBe(600_000);
        expect(durationMs("1h30m")).toBe(5_400_000);
        expect(durationMs("45s")).toBe(45_000);
        expect(() => durationMs("10 minutes")).toThrow('not a duration: "10 minutes"');
    });

    test("the kubeconfig reader takes the current context's inline credentials", () => {
        const creds = credentialsFromKubeconfig(kubeconfigFor("https://example.test:6443/", pki.caCert, pki));
        expect(creds).toEqual({ server: "https://example.test:6443", ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });
        expect(() => credentialsFromKubeconfig("apiVersion: v1\nkind: Config\n")).toThrow('kubeconfig has no context ""');
    });
});
