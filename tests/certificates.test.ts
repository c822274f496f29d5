import { parse } from "yaml";
import { create, check, setClock } from "../lifecycle/client-certificate";
import { base64Pem, certificateNotAfter, describeHours, kubeconfigText, pemText, renewalDue, renewalWarning, talosconfigText } from "../planners/certificates";
import { currentContext, mergeKubeconfigs } from "../planners/kubeconfig";
import { makeCa } from "./support/talos-ca";

/** The certificate planner: expiry, the renewal decision, the preview's warning, and the talosconfig and kubeconfig built from a certificate. */

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = new Date("2026-06-01T12:00:00.000Z");

const osCa = makeCa("ed25519");
const k8sCa = makeCa("ecdsa-p256");

/** A client certificate issued at NOW for a year, through the provider. */
async function issued(ca: ReturnType<typeof makeCa>, subject: { commonName?: string; organizations: string[] }) {
    setClock(() => NOW);
    try {
        const { inputs } = await check({}, { projectDir: "/p", caCertificate: ca.cert, caKey: ca.key, subject, validityHours: 8760, renewBeforeHours: 720 });
        return (await create(inputs)).outs;
    } finally {
        setClock();
    }
}

describe("certificateNotAfter and renewalDue", () => {
    test("reads the expiry from base64 of PEM and from PEM", async () => {
        const outs = await issued(osCa, { organizations: ["os:admin"] });
        expect(certificateNotAfter(outs.certificate).toISOString()).toBe("2027-06-01T12:00:00.000Z");
        expect(certificateNotAfter(pemText(outs.certificate)).toISOString()).toBe("2027-06-01T12:00:00.000Z");
        expect(() => certificateNotAfter("bm90IGEgY2VydA==")).toThrow("neither PEM nor base64 of PEM");
    });

    test("due when the expiry is before now + window (an expired certificate is due too)", () => {
        const notAfter = new Date(NOW.getTime() + 30 * DAY);
        expect(renewalDue(notAfter, 720, NOW)).toBe(false); // exactly the window: not yet
        expect(renewalDue(notAfter, 721, NOW)).toBe(true);
        expect(renewalDue(notAfter.toISOString(), 720, new Date(NOW.getTime() + 1000))).toBe(true);
        expect(renewalDue(new Date(NOW.getTime() - DAY), 0, NOW)).toBe(true);
        expect(renewalDue(notAfter, 0, NOW)).toBe(false);
    });
});

describe("renewalWarning", () => {
    const warn = (notAfter: Date, renewBeforeHours = 720) => renewalWarning({ name: "talosconfig", notAfter, renewBeforeHours, now: NOW });

    test("within the window: the date, how long is left, the window and what to do", () => {
        expect(warn(new Date(NOW.getTime() + 12 * DAY + 5 * HOUR))).toBe(
            "the talosconfig client certificate expires on 2026-06-13 (in 12 days), within the renewal window of 30 days: run pulumi up to renew it",
        );
        expect(warn(new Date(NOW.getTime() + 30 * HOUR), 36)).toBe(
            "the talosconfig client certificate expires on 2026-06-02 (in 30 hours), within the renewal window of 36 hours: run pulumi up to renew it",
        );
        expect(renewalWarning({ name: "kubeconfig", notAfter: new Date(NOW.getTime() + 90 * 60_000), renewBeforeHours: 24, now: NOW })).toBe(
            "the kubeconfig client certificate expires on 2026-06-01 (in 1 hour), within the renewal window of 1 day: run pulumi up to renew it",
        );
    });

    test("expired: says so, and that pulumi up still renews it", () => {
        expect(warn(new Date(NOW.getTime() - 3 * DAY))).toBe("the talosconfig client certificate expired on 2026-05-29 (3 days ago): run pulumi up to renew it");
    });

    test("outside the window: no warning", () => {
        expect(warn(new Date(NOW.getTime() + 31 * DAY))).toBeUndefined();
    });

    test("windows in words", () => {
        expect([describeHours(720), describeHours(24), describeHours(36), describeHours(1), describeHours(0)]).toEqual(["30 days", "1 day", "36 hours", "1 hour", "0 hours"]);
    });
});

describe("talosconfigText", () => {
    test("one context named after the cluster, current, holding endpoints, nodes and the credentials as base64 of PEM", async () => {
        const outs = await issued(osCa, { organizations: ["os:admin"] });
        const text = talosconfigText({
            cluster: "infra",
            endpoints: ["10.25.11.11", "10.25.11.12", "10.25.11.13"],
            nodes: ["10.25.11.11", "10.25.11.12", "10.25.11.13"],
            caCertificate: osCa.cert,
            certificate: outs.certificate,
            key: pemText(outs.privateKey), // PEM is accepted and written as base64 of PEM
        });
        const config = parse(text);
        expect(config).toEqual({
            context: "infra",
            contexts: {
                infra: {
                    endpoints: ["10.25.11.11", "10.25.11.12", "10.25.11.13"],
                    nodes: ["10.25.11.11", "10.25.11.12", "10.25.11.13"],
                    ca: osCa.cert,
                    crt: outs.certificate,
                    key: outs.privateKey,
                },
            },
        });
        expect(pemText(config.contexts.infra.key)).toMatch(/^-----BEGIN ED25519 PRIVATE KEY-----/);
        // Talos' own layout: 4-space indentation, no folded base64.
        expect(text).toContain("\n    infra:\n        endpoints:\n");
        expect(text.split("\n").every((l) => l.length < 200 || /^ {8}(ca|crt|key): \S+$/.test(l))).toBe(true);
    });
});

describe("kubeconfigText", () => {
    test("shaped like Talos' admin kubeconfig, and readable by the kubeconfig merge", async () => {
        const outs = await issued(k8sCa, { commonName: "admin", organizations: ["system:masters"] });
        const text = kubeconfigText({ cluster: "apps", server: "https://apps-k8s.monosense.io:6443", caCertificate: k8sCa.cert, certificate: outs.certificate, key: outs.privateKey });
        expect(parse(text)).toEqual({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "apps", cluster: { server: "https://apps-k8s.monosense.io:6443", "certificate-authority-data": k8sCa.cert } }],
            users: [{ name: "admin@apps", user: { "client-certificate-data": outs.certificate, "client-key-data": outs.privateKey } }],
            contexts: [{ name: "admin@apps", context: { cluster: "apps", namespace: "default", user: "admin@apps" } }],
            "current-context": "admin@apps",
        });
        const ctx = currentContext(text);
        expect(ctx).toMatchObject({ name: "admin@apps", namespace: "default", cluster: { server: "https://apps-k8s.monosense.io:6443" } });
        expect(pemText(ctx.user["client-key-data"]!)).toMatch(/^-----BEGIN (EC) PRIVATE KEY-----/);
        expect(currentContext(mergeKubeconfigs([{ name: "apps", kubeconfig: text }], "apps")).user["client-certificate-data"]).toBe(outs.certificate);
    });

    test("base64Pem leaves base64 of PEM alone and encodes PEM", () => {
        expect(base64Pem(k8sCa.cert)).toBe(k8sCa.cert);
        expect(base64Pem(k8sCa.certPem)).toBe(k8sCa.cert);
    });
});
