import * as crypto from "crypto";
import * as path from "path";
import { create, check, setClock, type ClientCertificateInputs } from "../lifecycle/client-certificate";
import { pemText } from "../planners/certificates";
import { callProvider, serializedBy, type HostAnswer } from "./support/provider-host";
import { makeCa } from "./support/talos-ca";

/**
 * The ClientCertificate resource through Pulumi's dynamic-provider host, for real: its provider
 * serialized by the SDK in a plain Node process (as the language host does at `pulumi up`), then
 * loaded by text in another process the way the host loads it, and called with what the engine
 * passes: check then create on the first `up`; check then diff on later previews, with the real clock.
 */

const ROOT = path.resolve(__dirname, "..");
const HOUR = 3600_000;

let provider: string;
const osCa = makeCa("ed25519");

beforeAll(() => {
    provider = serializedBy<{ provider: string }>("serialize-client-certificate.ts").provider;
}, 90_000);

/** Loads the serialized provider like the host and calls a method (support/provider-host.ts). */
function call(method: string, args: unknown[]): Promise<HostAnswer> {
    return callProvider(provider, method, args);
}

function inputs(overrides: Partial<ClientCertificateInputs> = {}): ClientCertificateInputs {
    return { projectDir: ROOT, caCertificate: osCa.cert, caKey: osCa.key, subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720, ...overrides };
}

test("first up: check plans, create issues a certificate the CA verifies; the next preview diffs to no change, a new CA to a replacement", async () => {
    const checked = await call("check", [{}, inputs()]);
    expect(checked.ok).toBe(true);
    expect(checked.result.inputs.keyType).toBe("ed25519");
    const created = await call("create", [checked.result.inputs]);
    expect(created.error).toBeUndefined();
    const outs = created.result.outs;
    const cert = new crypto.X509Certificate(pemText(outs.certificate));
    expect(cert.verify(osCa.publicKey)).toBe(true);
    expect(cert.subject).toBe("O=os:admin");
    expect(created.result.id).toBe(cert.serialNumber);

    // State written from a checkout that has since moved; the program now runs from ROOT.
    const stateInputs = { ...checked.result.inputs, projectDir: "/old/checkout" };
    const again = await call("check", [stateInputs, inputs()]);
    expect(await call("diff", [created.result.id, { ...outs, projectDir: "/old/checkout" }, again.result.inputs])).toEqual({ ok: true, result: { changes: false } });

    const other = makeCa("ed25519");
    const moved = await call("check", [stateInputs, inputs({ caCertificate: other.cert, caKey: other.key })]);
    expect((await call("diff", [created.result.id, outs, moved.result.inputs])).result).toMatchObject({ changes: true, replaces: expect.arrayContaining(["caCertificate"]) });
}, 90_000);

test("a certificate issued 340 days ago, within the 30-day window now: the preview notes it as expiring, diff replaces, and create renews it", async () => {
    // State from an `up` 340 days ago (issued in-process with the clock turned back).
    const then = new Date(Date.now() - 340 * 24 * HOUR);
    setClock(() => then);
    const old = await check({}, inputs());
    const outs = (await create(old.inputs)).outs;
    setClock();

    const checked = await call("check", [old.inputs, inputs()]);
    expect(checked.result.inputs.expiring).toBe(outs.notAfter);
    expect((await call("diff", ["id", outs, checked.result.inputs])).result).toEqual({ changes: true, replaces: ["notAfter"], deleteBeforeReplace: false });
    const renewed = await call("create", [checked.result.inputs]);
    const cert = new crypto.X509Certificate(pemText(renewed.result.outs.certificate));
    expect(cert.verify(osCa.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 364 * 24 * HOUR);
    expect(renewed.result.outs).not.toHaveProperty("expiring");
}, 90_000);
