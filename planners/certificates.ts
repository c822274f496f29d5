import { X509Certificate } from "crypto";
import { stringify } from "yaml";

/**
 * The admin client certificates of a cluster (talosconfig and kubeconfig): when they expire,
 * whether they are due for renewal, the preview's warning, and the two client configuration files
 * built from them. Certificates and keys are base64 of PEM, as the Talos provider hands them out.
 */

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/** The text of a certificate or key given either as PEM or as base64 of PEM (the Talos provider's form). */
export function pemText(value: string): string {
    const trimmed = value.trim();
    if (trimmed.startsWith("-----BEGIN ")) return trimmed + "\n";
    const decoded = Buffer.from(trimmed, "base64").toString("utf8");
    if (!decoded.trimStart().startsWith("-----BEGIN ")) throw new Error("is neither PEM nor base64 of PEM");
    return decoded.trim() + "\n";
}

/** base64 of PEM, from either PEM or base64 of PEM. */
export function base64Pem(value: string): string {
    return Buffer.from(pemText(value)).toString("base64");
}

/** When a certificate (base64 of PEM, or PEM) stops being valid. */
export function certificateNotAfter(certificate: string): Date {
    return new Date(new X509Certificate(pemText(certificate)).validTo);
}

/**
 * Whether a certificate valid until `notAfter` is due for renewal at `now`: it expires within
 * `renewBeforeHours` (or has expired). Like the Talos provider's own check, a certificate is due
 * when notAfter is before now + window.
 */
export function renewalDue(notAfter: Date | string, renewBeforeHours: number, now: Date): boolean {
    return new Date(notAfter).getTime() < now.getTime() + renewBeforeHours * HOUR_MS;
}

/** "30 days", "1 day", "36 hours". */
export function describeHours(hours: number): string {
    if (hours >= 24 && hours % 24 === 0) return hours === 24 ? "1 day" : `${hours / 24} days`;
    return hours === 1 ? "1 hour" : `${hours} hours`;
}

/** "in 12 days", "in 5 hours", "in 1 hour" (whole units, rounded down; under an hour counts as 0 hours). */
function describeSpan(ms: number): string {
    if (ms >= 2 * DAY_MS) return `${Math.floor(ms / DAY_MS)} days`;
    const hours = Math.floor(ms / HOUR_MS);
    return hours === 1 ? "1 hour" : `${hours} hours`;
}

export interface RenewalWarningArgs {
    /** What the certificate is for, e.g. "talosconfig" or "kubeconfig". */
    name: string;
    notAfter: Date | string;
    renewBeforeHours: number;
    now: Date;
}

/**
 * The preview's warning for a client certificate due for renewal, or undefined when it is not due:
 * "the talosconfig client certificate expires on 2026-11-20 (in 12 days), within the renewal window
 * of 30 days: run pulumi up to renew it".
 */
export function renewalWarning(args: RenewalWarningArgs): string | undefined {
    if (!renewalDue(args.notAfter, args.renewBeforeHours, args.now)) return undefined;
    const notAfter = new Date(args.notAfter);
    const date = notAfter.toISOString().slice(0, 10);
    const left = notAfter.getTime() - args.now.getTime();
    const what = `the ${args.name} client certificate`;
    if (left <= 0) return `${what} expired on ${date} (${describeSpan(-left)} ago): run pulumi up to renew it`;
    return `${what} expires on ${date} (in ${describeSpan(left)}), within the renewal window of ${describeHours(args.renewBeforeHours)}: run pulumi up to renew it`;
}

export interface TalosconfigArgs {
    /** The context name: the cluster name, like the Talos provider's talosconfig. */
    cluster: string;
    /** Talos API endpoints: the control-plane IPs. */
    endpoints: string[];
    /** Default target nodes. */
    nodes: string[];
    /** The OS CA certificate, the client certificate and its key (base64 of PEM, or PEM). */
    caCertificate: string;
    certificate: string;
    key: string;
}

/** A talosconfig with one context (named after the cluster) that is also the current one. */
export function talosconfigText(args: TalosconfigArgs): string {
    return stringify(
        {
            context: args.cluster,
            contexts: {
                [args.cluster]: {
                    endpoints: args.endpoints,
                    nodes: args.nodes,
                    ca: base64Pem(args.caCertificate),
                    crt: base64Pem(args.certificate),
                    key: base64Pem(args.key),
                },
            },
        },
        { indent: 4, lineWidth: 0 },
    );
}

export interface KubeconfigArgs {
    cluster: string;
    /** The Kubernetes API URL, e.g. https://infra-k8s.monosense.io:6443. */
    server: string;
    /** The Kubernetes CA certificate, the client certificate and its key (base64 of PEM, or PEM). */
    caCertificate: string;
    certificate: string;
    key: string;
}

/**
 * An admin kubeconfig shaped like the one Talos issues: cluster `<cluster>`, user and context
 * `admin@<cluster>` (namespace default), inline base64 data.
 */
export function kubeconfigText(args: KubeconfigArgs): string {
    const user = `admin@${args.cluster}`;
    return stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: args.cluster, cluster: { server: args.server, "certificate-authority-data": base64Pem(args.caCertificate) } }],
            users: [{ name: user, user: { "client-certificate-data": base64Pem(args.certificate), "client-key-data": base64Pem(args.key) } }],
            contexts: [{ name: user, context: { cluster: args.cluster, namespace: "default", user } }],
            "current-context": user,
        },
        { lineWidth: 0 },
    );
}
