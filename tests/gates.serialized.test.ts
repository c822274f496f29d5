import { callProvider, serializedBy, type HostAnswer } from "./support/provider-host";
import { nodeList, startApiServer, type TestApiServer } from "./support/api-server";
import { kubeconfigFor, makePki, type TestPki } from "./support/tls";

/**
 * The gates run inside Pulumi's dynamic-provider host, from code the SDK serialized at `pulumi up`.
 * This test takes that path for real: serialize the providers in a plain Node process (as the
 * language host does), then load the text in another process the way the host does
 * (require-from-string, resolving modules from @pulumi/pulumi's dynamic-provider folder) and run
 * `create` against a local HTTPS API server.
 */

let providers: Record<string, string>;
let pki: TestPki;
let server: TestApiServer;

beforeAll(async () => {
    providers = serializedBy<Record<string, string>>("serialize-gates.ts");
    pki = makePki("serialized");
    server = await startApiServer(pki, (p) => (p === "/readyz" ? { status: 200, body: "ok" } : { status: 200, body: nodeList({ n1: "True", n2: "True" }) }));
}, 90_000);

afterAll(async () => {
    await server?.close();
});

/**
 * Loads a serialized provider the way the dynamic-provider host does and calls one of its methods
 * with the arguments the engine would pass (support/provider-host.ts), with only PATH in its environment.
 */
function call(providerText: string, method: "create" | "diff" | "update", args: unknown[]): Promise<HostAnswer> {
    return callProvider(providerText, method, args, { env: { PATH: process.env.PATH }, timeoutMs: 30_000 });
}

test("both gates serialize to self-contained code", () => {
    expect(Object.keys(providers).sort()).toEqual(["api", "nodes"]);
    // Third-party modules are loaded by name, never inlined by value.
    expect(providers.api).toContain('require("yaml")');
    expect(providers.api).not.toContain("kubeconfig: \"unused\"");
});

test("the serialized API gate waits for /readyz on the kubeconfig's server", async () => {
    const res = await call(providers.api, "create", [{ kubeconfig: kubeconfigFor(server.url, pki.caCert, pki), timeout: "30s", interval: "20ms" }]);
    expect(res).toEqual({ ok: true, result: { id: server.url, outs: { server: server.url, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    // Its outputs hold a digest, never the kubeconfig (a credential).
    expect(JSON.stringify(res.result.outs)).not.toContain("client-key-data");
});

test("the serialized nodes gate waits for the listed nodes", async () => {
    const res = await call(providers.nodes, "create", [{ kubeconfig: kubeconfigFor(server.url, pki.caCert, pki), timeout: "30s", interval: "20ms", nodes: ["n1", "n2"] }]);
    expect(res).toEqual({ ok: true, result: { id: "n1,n2", outs: { nodes: ["n1", "n2"], fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
});

test("a gate shows no change when re-previewed with the same inputs, and a change when they differ", async () => {
    const inputs = { kubeconfig: kubeconfigFor(server.url, pki.caCert, pki), timeout: "30s", interval: "20ms", nodes: ["n1", "n2"] };
    const created = await call(providers.nodes, "create", [inputs]);
    // The engine passes diff the old OUTPUTS and the new inputs.
    const diff = (news: object) => call(providers.nodes, "diff", [created.result.id, created.result.outs, news]);
    expect((await diff(inputs)).result).toEqual({ changes: false });
    expect((await diff({ ...inputs, nodes: ["n1", "n2", "n3"] })).result).toEqual({ changes: true });
    expect((await diff({ ...inputs, timeout: "1m" })).result).toEqual({ changes: true });
});

test("the serialized gate fails `pulumi up` with the gate's message", async () => {
    const res = await call(providers.nodes, "create", [{ kubeconfig: kubeconfigFor(server.url, pki.caCert, pki), timeout: "1s", interval: "20ms", nodes: ["n1", "n3"] }]);
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/^nodes Ready at https:\/\/127\.0\.0\.1:\d+: not ready after 1s \(\d+ attempts\); last failure: waiting for n3 \(not registered\)$/);
});

describe("a renewed kubeconfig (here for a second API server, so the test sees which kubeconfig a gate used)", () => {
    let renewed: TestApiServer;
    beforeAll(async () => {
        renewed = await startApiServer(pki, (p) => (p === "/readyz" ? { status: 200, body: "ok" } : { status: 200, body: nodeList({ n1: "True", n2: "True" }) }));
    });
    afterAll(async () => {
        await renewed?.close();
    });

    const gates = {
        api: { inputs: (kubeconfig: string) => ({ kubeconfig, timeout: "30s", interval: "20ms" }), path: "/readyz" },
        nodes: { inputs: (kubeconfig: string) => ({ kubeconfig, timeout: "30s", interval: "20ms", nodes: ["n1", "n2"] }), path: "/api/v1/nodes" },
    };

    test.each(Object.entries(gates))("the %s gate shows a change, and its update waits again against the new kubeconfig", async (gate, { inputs, path: probe }) => {
        const created = await call(providers[gate], "create", [inputs(kubeconfigFor(server.url, pki.caCert, pki))]);
        const news = inputs(kubeconfigFor(renewed.url, pki.caCert, pki));
        // The engine hands diff and update the old OUTPUTS (no kubeconfig among them) and the new inputs.
        expect((await call(providers[gate], "diff", [created.result.id, created.result.outs, news])).result).toEqual({ changes: true });
        const before = renewed.requests.length;
        const updated = await call(providers[gate], "update", [created.result.id, created.result.outs, news]);
        expect(updated.ok).toBe(true);
        expect(renewed.requests.slice(before).map((r) => r.path)).toContain(probe);
        // What update stored matches the new inputs: the next preview shows no change.
        expect((await call(providers[gate], "diff", [created.result.id, updated.result.outs, news])).result).toEqual({ changes: false });
    });
});
