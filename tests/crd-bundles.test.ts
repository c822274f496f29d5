import * as http from "http";
import type { AddressInfo } from "net";
import { parseCrdBundle } from "../planners/crd-bundle";
import { fetchText } from "../stacks/crd-bundles";

/** Downloading and checking upstream CRD bundles, against a real HTTP server on 127.0.0.1. */

const bundle = { name: "example", url: "https://example.test/crds.yaml" };
const crd = (name: string) => `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\n  creationTimestamp: null\nspec:\n  group: example.io\nstatus: {}\n`;

describe("parsing a bundle", () => {
    test("keeps every CRD, without server-side fields", () => {
        expect(parseCrdBundle(bundle, `---\n${crd("a.example.io")}---\n${crd("b.example.io")}\n---\n`)).toEqual([
            { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "a.example.io" }, spec: { group: "example.io" } },
            { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "b.example.io" }, spec: { group: "example.io" } },
        ]);
    });

    test("refuses anything that is not a CRD, naming the document", () => {
        const text = `${crd("a.example.io")}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: sneaky}\n`;
        expect(() => parseCrdBundle(bundle, text)).toThrow(
            "CRD bundle example (https://example.test/crds.yaml) is refused: document 2 is a Deployment (apps/v1), not an apiextensions.k8s.io/v1 CustomResourceDefinition",
        );
    });

    test("refuses an empty bundle or an HTML error page", () => {
        expect(() => parseCrdBundle(bundle, "")).toThrow("is refused: it contains no CustomResourceDefinition");
        expect(() => parseCrdBundle(bundle, "<html><body>rate limited</body></html>")).toThrow("is refused: document 1 is a document without kind");
    });
});

describe("downloading", () => {
    let server: http.Server;
    let base: string;
    const hits = new Map<string, number>();
    beforeAll(async () => {
        server = http.createServer((req, res) => {
            const n = (hits.get(req.url!) ?? 0) + 1;
            hits.set(req.url!, n);
            if (req.url === "/ok") return void res.end("payload");
            if (req.url === "/missing") return void res.writeHead(404, "Not Found").end();
            if (req.url === "/flaky") return void (n < 3 ? res.writeHead(503, "Service Unavailable").end() : res.end("finally"));
            if (req.url === "/down") return void res.writeHead(502, "Bad Gateway").end();
            // "/slow" never answers; afterAll closes the connection.
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => {
        server.closeAllConnections();
        server.close();
    });
    const policy = { attempts: 3, timeoutMs: 500, backoffMs: 10 };

    test("returns the body", async () => {
        await expect(fetchText(`${base}/ok`, policy)).resolves.toBe("payload");
    });
    test("fails at once on a client error", async () => {
        await expect(fetchText(`${base}/missing`, policy)).rejects.toThrow(`could not download ${base}/missing: HTTP 404 Not Found`);
        expect(hits.get("/missing")).toBe(1);
    });
    test("retries server errors", async () => {
        await expect(fetchText(`${base}/flaky`, policy)).resolves.toBe("finally");
        expect(hits.get("/flaky")).toBe(3);
    });
    test("gives up after the last attempt with the last failure", async () => {
        await expect(fetchText(`${base}/down`, policy)).rejects.toThrow(`could not download ${base}/down: HTTP 502 Bad Gateway`);
        expect(hits.get("/down")).toBe(3);
    });
    test("times out a request that does not answer", async () => {
        await expect(fetchText(`${base}/slow`, { ...policy, attempts: 1 })).rejects.toThrow(/could not download .*\/slow: .*(timeout|aborted)/i);
    });
    test("reports a refused connection", async () => {
        // A port that was just free: nothing listens there.
        const probe = http.createServer();
        await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
        const { port } = probe.address() as AddressInfo;
        await new Promise((resolve) => probe.close(resolve));
        await expect(fetchText(`http://127.0.0.1:${port}/x`, { ...policy, attempts: 1 })).rejects.toThrow(`could not download http://127.0.0.1:${port}/x: ECONNREFUSED`);
    });
});
