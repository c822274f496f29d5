import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, CRD_BUNDLE_SHA256, crdBundles } from "../planners/charts";
import { fetchCrdBundles, unpinnedWarning } from "../stacks/crd-bundles";
import { evaluate } from "../tools/engine/engine";
import { offlineNetwork } from "../tools/engine/network";
import { Recording } from "../tools/engine/recording";
import { renderStack } from "../tools/render/cli";
import { pinCrdBundles, readPins, writePins } from "../tools/pin-crd-bundles";
import { PROJECT, ROOT, runStack, stackConfig, withPlainStackTraces } from "./harness";
import { readStackFile } from "../tools/engine/stack-file";
import { main } from "../stacks";

/**
 * sha256 pins of the CRD bundles: checked after every download (a mismatch stops the run before
 * anything is registered), a preview warning while a bundle is unpinned, the render's summary, and
 * tools/pin-crd-bundles.ts writing the pins. Downloads go to a real HTTP server on 127.0.0.1.
 */

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const crd = (name: string) => `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\nspec:\n  group: example.io\n`;
/** With a UTF-8 byte order mark and CRLF line ends: a pin is over the exact bytes, as sha256sum prints it. */
const ALPHA = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crd("alphas.example.io").replace(/\n/g, "\r\n"))]);
const BETA = Buffer.from(`${crd("betas.example.io")}---\n${crd("gammas.example.io")}`);

const served = new Map<string, Buffer>([
    ["/alpha.yaml", ALPHA],
    ["/beta.yaml", BETA],
    ["/deployment.yaml", Buffer.from("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: sneaky}\n")],
]);
const hits: string[] = [];
let server: http.Server;
let base: string;
beforeAll(async () => {
    server = http.createServer((req, res) => {
        hits.push(req.url!);
        const body = served.get(req.url!);
        if (body) res.end(body);
        else res.writeHead(404, "Not Found").end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
    server.closeAllConnections();
    server.close();
});
const policy = { attempts: 1, timeoutMs: 2000, backoffMs: 10 };
const bundle = (name: string, file: string, pin?: string) => ({ name, url: `${base}/${file}`, ...(pin !== undefined ? { sha256: pin } : {}) });

async function asPreview(preview: boolean): Promise<void> {
    await pulumi.runtime.setMocks({ newResource: () => ({ id: undefined, state: {} }), call: () => ({}) }, PROJECT, "infra", preview);
}

describe("checking the pins after download", () => {
    let warn: jest.SpyInstance;
    beforeEach(async () => {
        await asPreview(true);
        warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    });
    afterEach(() => warn.mockRestore());

    test("a bundle matching its pin is parsed and used, without a warning", async () => {
        const bundles = await fetchCrdBundles([bundle("alpha", "alpha.yaml", sha256(ALPHA)), bundle("beta", "beta.yaml", sha256(BETA))], policy);
        expect(bundles.get("alpha")!.map((c) => c.metadata.name)).toEqual(["alphas.example.io"]);
        expect(bundles.get("beta")!.map((c) => c.metadata.name)).toEqual(["betas.example.io", "gammas.example.io"]);
        expect(warn).not.toHaveBeenCalled();
    });

    test("a mismatch fails naming the URL and both digests, for every bundle that mismatches", async () => {
        const wrong = "0".repeat(64);
        const err = await fetchCrdBundles([bundle("alpha", "alpha.yaml", wrong), bundle("beta", "beta.yaml", sha256(BETA)), bundle("gamma", "beta.yaml", sha256(ALPHA))], policy).catch((e: Error) => e);
        expect((err as Error).message.split("\n")).toEqual([
            expect.stringMatching(new RegExp(`^CRD bundle alpha from ${base}/alpha\\.yaml has sha256 ${sha256(ALPHA)}, but planners/charts\\.ts pins ${wrong}: .*nothing was created`)),
            expect.stringMatching(new RegExp(`^CRD bundle gamma from ${base}/beta\\.yaml has sha256 ${sha256(BETA)}, but planners/charts\\.ts pins ${sha256(ALPHA)}: `)),
        ]);
    });

    test("an unpinned bundle is used, and the preview warns once for it", async () => {
        const b = bundle("alpha", "alpha.yaml");
        await expect(fetchCrdBundles([b, bundle("beta", "beta.yaml", sha256(BETA))], policy)).resolves.toBeInstanceOf(Map);
        expect(warn.mock.calls).toEqual([[`warning: [runtime] ${unpinnedWarning(b)}`]]);
        expect(unpinnedWarning(b)).toBe(`CRD bundle alpha (${base}/alpha.yaml) has no sha256 pin in planners/charts.ts, so it is applied unverified; run npm run pin-crd-bundles where GitHub is reachable and commit the pins`);
    });

    test("an up does not repeat the preview's warning", async () => {
        await asPreview(false);
        await fetchCrdBundles([bundle("alpha", "alpha.yaml")], policy);
        expect(warn).not.toHaveBeenCalled();
    });

    test("a malformed pin fails before anything is downloaded", async () => {
        const before = hits.length;
        await expect(fetchCrdBundles([bundle("alpha", "alpha.yaml", sha256(ALPHA).toUpperCase())], policy)).rejects.toThrow(
            `planners/charts.ts pins CRD bundle alpha to "${sha256(ALPHA).toUpperCase()}", which is not a sha256 (64 lowercase hex digits)`,
        );
        expect(hits.length).toBe(before);
    });
});

describe("through the program", () => {
    const gatewayUrl = crdBundles(CHARTS)[0].url;
    const real = `${crd("gateways.gateway.networking.k8s.io").replace("example.io", "gateway.networking.k8s.io")}`;
    /** Serves a "real" (not stand-in) Gateway API bundle; the other bundles are the offline stand-ins. */
    const network = (url: string) => (url === gatewayUrl ? { status: 200, body: real } : offlineNetwork(url));
    const saved = { ...CRD_BUNDLE_SHA256["gateway-api"] };
    afterEach(() => Object.assign(CRD_BUNDLE_SHA256["gateway-api"], saved));
    const pin = (sha: string) => Object.assign(CRD_BUNDLE_SHA256["gateway-api"], { url: gatewayUrl, sha256: sha });

    test("the committed pins name every bundle of the catalog", () => {
        expect(Object.keys(CRD_BUNDLE_SHA256).sort()).toEqual(crdBundles(CHARTS).map((b) => b.name).sort());
    });

    test("a pin that does not match stops the run before anything is registered", async () => {
        pin("f".repeat(64));
        const recording = new Recording();
        await expect(evaluate(main, { project: PROJECT, stack: "infra", config: stackConfig("infra"), recording, network })).rejects.toThrow(
            `CRD bundle gateway-api from ${gatewayUrl} has sha256 ${sha256(real)}, but planners/charts.ts pins ${"f".repeat(64)}`,
        );
        expect(recording.resources).toEqual([]);
    });

    test("a pin that matches lets the run go on with the downloaded CRDs", async () => {
        pin(sha256(real));
        const rec = (await runStack("infra", { network })).recording;
        const gateway = rec.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").filter((r) => (r.inputs.spec as { group: string }).group === "gateway.networking.k8s.io");
        expect(gateway.map((r) => (r.inputs.metadata as { name: string }).name)).toEqual(["gateways.gateway.networking.k8s.io"]);
    });

    test("a version moved away from its pin (a Renovate update, a stack override) makes the bundle unpinned, not a mismatch", () => {
        pin(sha256(real));
        const moved = crdBundles({ ...CHARTS, certManager: { ...CHARTS.certManager, version: "v9.9.9" } });
        expect(moved.map((b) => [b.name, b.sha256])).toEqual([
            ["gateway-api", sha256(real)],
            ["cert-manager", undefined],
            ["external-secrets", undefined],
        ]);
    });

    test("a preview warns once for each unpinned bundle", async () => {
        const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
        try {
            await runStack("infra", { preview: true });
            const warnings = warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes("has no sha256 pin"));
            expect(warnings.sort()).toEqual(crdBundles(CHARTS).map((b) => `warning: [runtime] ${unpinnedWarning(b)}`).sort());
        } finally {
            warn.mockRestore();
        }
    });

    test("offline, a pinned bundle's stand-in is not checked (it never matches) and the render says so; the unpinned ones are listed", async () => {
        pin("e".repeat(64));
        const config = readStackFile(path.join(ROOT, "Pulumi.infra.yaml"), PROJECT);
        const summary = (await withPlainStackTraces(() => renderStack({ stack: "infra", config, refs: {} }))).get("summary.md")!;
        const [, certManager, externalSecrets] = crdBundles(CHARTS);
        expect(summary).toContain(`- sha256 pins not checked offline (stand-ins); preview/up check them: ${gatewayUrl}\n`);
        expect(summary).toContain(
            `- CRD bundles without a sha256 pin in planners/charts.ts, applied unverified at preview/up (which warn) until \`npm run pin-crd-bundles\` is run where GitHub is reachable: ${certManager.url}, ${externalSecrets.url}\n`,
        );
    });
});

describe("tools/pin-crd-bundles.ts", () => {
    let dir: string;
    let file: string;
    const original = fs.readFileSync(path.join(ROOT, "planners", "charts.ts"), "utf8");
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pin-crd-bundles-"));
        file = path.join(dir, "charts.ts");
        fs.writeFileSync(file, original);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bundles = () => [
        { name: "gateway-api", url: `${base}/alpha.yaml` },
        { name: "cert-manager", url: `${base}/beta.yaml` },
        { name: "external-secrets", url: `${base}/beta.yaml` },
    ];
    /** The file outside CRD_BUNDLE_SHA256, which the script must never touch. */
    const outsidePins = (text: string) => text.replace(/^export const CRD_BUNDLE_SHA256[\s\S]*?^\};/m, "<pins>");

    test("the committed file is in the form the script writes (reading and writing it back changes nothing)", () => {
        expect(writePins(original, readPins(original))).toBe(original);
        expect([...readPins(original).keys()]).toEqual(crdBundles(CHARTS).map((b) => b.name));
    });

    test("downloads every bundle and writes its sha256 and URL; a second run changes nothing", async () => {
        const first = await pinCrdBundles({ file, bundles: bundles() });
        expect(first.written).toBe(true);
        expect(first.lines).toEqual([
            `gateway-api: pinned ${sha256(ALPHA)} (${base}/alpha.yaml)`,
            `cert-manager: pinned ${sha256(BETA)} (${base}/beta.yaml)`,
            `external-secrets: pinned ${sha256(BETA)} (${base}/beta.yaml)`,
        ]);
        const text = fs.readFileSync(file, "utf8");
        expect(Object.fromEntries(readPins(text))).toEqual({
            "gateway-api": { url: `${base}/alpha.yaml`, sha256: sha256(ALPHA) },
            "cert-manager": { url: `${base}/beta.yaml`, sha256: sha256(BETA) },
            "external-secrets": { url: `${base}/beta.yaml`, sha256: sha256(BETA) },
        });
        expect(outsidePins(text)).toBe(outsidePins(original));

        const second = await pinCrdBundles({ file, bundles: bundles() });
        expect(second).toEqual({ written: false, lines: [`gateway-api: unchanged, ${sha256(ALPHA)} (${base}/alpha.yaml)`, `cert-manager: unchanged, ${sha256(BETA)} (${base}/beta.yaml)`, `external-secrets: unchanged, ${sha256(BETA)} (${base}/beta.yaml)`] });
        expect(fs.readFileSync(file, "utf8")).toBe(text);
    });

    test("a moved version is re-pinned, saying what it was", async () => {
        await pinCrdBundles({ file, bundles: bundles() });
        const moved = bundles().map((b) => (b.name === "cert-manager" ? { ...b, url: `${base}/alpha.yaml` } : b));
        const report = await pinCrdBundles({ file, bundles: moved });
        expect(report.lines[1]).toBe(`cert-manager: pinned ${sha256(ALPHA)} (${base}/alpha.yaml); was ${sha256(BETA)} for ${base}/beta.yaml`);
        expect(readPins(fs.readFileSync(file, "utf8")).get("cert-manager")).toEqual({ url: `${base}/alpha.yaml`, sha256: sha256(ALPHA) });
    });

    test("new content behind a pinned URL is refused, leaving the file as it was, unless accepted", async () => {
        fs.writeFileSync(file, writePins(original, new Map(bundles().map((b) => [b.name, { url: b.url, sha256: "1".repeat(64) }]))));
        const before = fs.readFileSync(file, "utf8");
        await expect(pinCrdBundles({ file, bundles: bundles() })).rejects.toThrow(`gateway-api: ${base}/alpha.yaml is pinned to ${"1".repeat(64)} but now has ${sha256(ALPHA)}`);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
        const accepted = await pinCrdBundles({ file, bundles: bundles(), acceptChanged: true });
        expect(accepted.lines[0]).toBe(`gateway-api: re-pinned from ${"1".repeat(64)} to ${sha256(ALPHA)}, same URL (${base}/alpha.yaml)`);
    });

    test("a bundle that is not only CRDs, or cannot be downloaded, is not pinned, and nothing is written", async () => {
        await expect(pinCrdBundles({ file, bundles: [...bundles().slice(0, 2), { name: "external-secrets", url: `${base}/deployment.yaml` }] })).rejects.toThrow("is refused: document 1 is a Deployment");
        await expect(pinCrdBundles({ file, bundles: [...bundles().slice(0, 2), { name: "external-secrets", url: `${base}/missing.yaml` }], get: undefined })).rejects.toThrow(
            `could not download ${base}/missing.yaml: HTTP 404 Not Found`,
        );
        expect(fs.readFileSync(file, "utf8")).toBe(original);
    });

    test("takes an injected fetch (the default downloads with retries)", async () => {
        const asked: string[] = [];
        const report = await pinCrdBundles({ file, bundles: [{ name: "gateway-api", url: "https://example.test/x.yaml" }], get: async (url) => (asked.push(url), BETA) });
        expect(asked).toEqual(["https://example.test/x.yaml"]);
        expect(report.lines).toEqual([`gateway-api: pinned ${sha256(BETA)} (https://example.test/x.yaml)`, "cert-manager: pin removed (no such bundle any more)", "external-secrets: pin removed (no such bundle any more)"]);
    });
});
