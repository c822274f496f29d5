import * as crypto from "crypto";
import { certificateNotAfter, describeHours, pemText, renewalDue } from "../planners/certificates";
import { hasUnknown, UNKNOWN } from "./unknown";
import { caProblem, issueClientCertificate, KEY_TYPES, keyTypeOf, type KeyType, type Subject } from "./issue-certificate";

/**
 * The ClientCertificate resource's provider (check, diff, create, update, remove): an admin client
 * certificate issued from a cluster CA, renewed by any `pulumi up` that runs within the renewal
 * window. The engine stores only a small loader in state (components/client-certificate.ts), which
 * loads this module from the project folder at run time.
 *
 * `check` plans the certificate's validity and carries the plan in the inputs; create issues exactly
 * the planned validity. The plan is kept until the certificate is due (it expires within
 * renewBeforeHours), then `check` plans a new one and records the expiring notAfter as `expiring`.
 * Because a provider without preview support returns its checked inputs as the outputs of a
 * planned create, `expiring` and the new `notAfter` are known to the program during preview, so it
 * can warn there; an applied resource never has `expiring` in its outputs.
 */


/** notBefore is backdated this much, so a node whose clock runs a little behind accepts a new certificate. */
export const CLOCK_SKEW_MS = 5 * 60_000;

let clock: () => Date = () => new Date();

/** Replaces the clock (tests); without an argument, restores the real one. */
export function setClock(now?: () => Date): void {
    clock = now ?? (() => new Date());
}

export interface ClientCertificateInputs {
    /** Absolute path of the project checkout the program ran from. */
    projectDir: string;
    /** The issuing CA's certificate and key (secret), base64 of PEM (PEM is accepted too). */
    caCertificate: string;
    caKey: string;
    subject: Subject;
    /** The new key's type; `check` fills in the CA's key type when it is not set (what Talos does). */
    keyType?: KeyType;
    validityHours: number;
    renewBeforeHours: number;
    /** Planned by `check` (ISO): the validity the certificate is issued with. */
    notBefore?: string;
    notAfter?: string;
    /** Set by `check` only when it plans a renewal because the certificate is due: its notAfter. */
    expiring?: string;
}

export interface ClientCertificateOutputs extends Omit<ClientCertificateInputs, "caKey" | "expiring" | "keyType" | "notBefore" | "notAfter"> {
    keyType: KeyType;
    /** base64 of PEM. */
    certificate: string;
    /** base64 of PEM (secret): `ED25519 PRIVATE KEY` or `EC PRIVATE KEY`, as Talos writes them. */
    privateKey: string;
    notBefore: string;
    notAfter: string;
}

type Failure = { property: string; reason: string };

const known = (v: unknown): boolean => !hasUnknown(v);
const b64 = (pem: string) => Buffer.from(pem).toString("base64");

function fingerprint(certificate: string): string {
    try {
        return new crypto.X509Certificate(pemText(certificate)).fingerprint256;
    } catch {
        return certificate;
    }
}

function readableNotAfter(certificate: string | undefined): Date | undefined {
    try {
        return certificate ? certificateNotAfter(certificate) : undefined;
    } catch {
        return undefined;
    }
}

/** The key type of the CA's public key (base64 of PEM), or undefined when it is unsupported or unreadable. */
function caKeyType(caCertificate: string): KeyType | undefined {
    try {
        return keyTypeOf(new crypto.X509Certificate(pemText(caCertificate)).publicKey);
    } catch {
        return undefined;
    }
}

function validate(news: ClientCertificateInputs): Failure[] {
    const failures: Failure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const { validityHours: v, renewBeforeHours: r, subject, keyType } = news;
    if (known(v) && !(typeof v === "number" && Number.isFinite(v) && v > 0)) fail("validityHours", `validityHours is ${JSON.stringify(v)}: set a positive number of hours (Talos uses 8760, one year)`);
    if (known(r) && !(typeof r === "number" && Number.isFinite(r) && r >= 0)) fail("renewBeforeHours", `renewBeforeHours is ${JSON.stringify(r)}: set zero or a positive number of hours`);
    else if (known(r) && known(v) && typeof v === "number" && r >= v) {
        fail("renewBeforeHours", `renewBeforeHours (${describeHours(r)}) is not shorter than validityHours (${describeHours(v)}): every pulumi up would renew the certificate; choose a shorter window`);
    }
    if (known(subject)) {
        const orgs = subject?.organizations;
        if (!Array.isArray(orgs) || orgs.some((o) => typeof o !== "string" || o === "")) fail("subject", `subject.organizations is ${JSON.stringify(orgs)}: give a list of non-empty names (e.g. ["os:admin"])`);
        else if (subject.commonName !== undefined && (typeof subject.commonName !== "string" || subject.commonName === "")) fail("subject", `subject.commonName is ${JSON.stringify(subject.commonName)}: give a non-empty name or leave it out`);
        else if (orgs.length === 0 && !subject.commonName) fail("subject", "the subject is empty: give at least one organization or a common name");
    }
    if (keyType !== undefined && known(keyType) && !KEY_TYPES.includes(keyType)) fail("keyType", `keyType is ${JSON.stringify(keyType)}: use one of ${KEY_TYPES.join(", ")}`);
    if (known(news.caCertificate) && known(news.caKey)) {
        try {
            const problem = caProblem(pemText(news.caCertificate), pemText(news.caKey));
            if (problem) fail("caKey", `${problem}: pass the CA's own certificate and key (machine secrets certs.os or certs.k8s)`);
        } catch (e) {
            fail("caCertificate", `the CA certificate or key cannot be read (${(e as Error).message}): pass base64 of PEM, as the Talos provider's machine secrets hold them`);
        }
    }
    return failures;
}

/** Why a certificate issued under `olds` cannot serve `news`: the changed properties. */
function reissueReasons(olds: Partial<ClientCertificateInputs>, news: ClientCertificateInputs): string[] {
    const reasons: string[] = [];
    if (!known(news.caCertificate) || olds.caCertificate === undefined || fingerprint(olds.caCertificate) !== fingerprint(news.caCertificate)) reasons.push("caCertificate");
    const subject = (s?: Subject) => JSON.stringify({ commonName: s?.commonName ?? "", organizations: s?.organizations ?? [] });
    if (!known(news.subject) || subject(olds.subject) !== subject(news.subject)) reasons.push("subject");
    if (!known(news.keyType) || olds.keyType !== news.keyType) reasons.push("keyType");
    if (!known(news.validityHours) || olds.validityHours !== news.validityHours) reasons.push("validityHours");
    return reasons;
}

/** A validity starting now (whole seconds, as X.509 stores them). */
function plan(validityHours: number, now: Date): { notBefore: string; notAfter: string } {
    const issued = Math.floor(now.getTime() / 1000) * 1000;
    return {
        notBefore: new Date(issued - CLOCK_SKEW_MS).toISOString(),
        notAfter: new Date(issued + Math.round(validityHours * 3600) * 1000).toISOString(),
    };
}

export async function check(olds: Partial<ClientCertificateInputs>, news: ClientCertificateInputs) {
    const { notBefore: _b, notAfter: _a, expiring: _e, ...given } = news;
    const failures = validate(given);
    if (failures.length > 0) return { inputs: news, failures };
    const keyType = given.keyType ?? (known(given.caCertificate) ? caKeyType(given.caCertificate) : UNKNOWN as KeyType);
    const inputs: ClientCertificateInputs = { ...given, ...(keyType ? { keyType } : {}) };
    if (!known(inputs.validityHours)) return { inputs };
    const now = clock();
    if (olds.notBefore && olds.notAfter && reissueReasons(olds, inputs).length === 0) {
        if (!known(inputs.renewBeforeHours) || !renewalDue(olds.notAfter, inputs.renewBeforeHours, now)) return { inputs: { ...inputs, notBefore: olds.notBefore, notAfter: olds.notAfter } };
        return { inputs: { ...inputs, ...plan(inputs.validityHours, now), expiring: olds.notAfter } };
    }
    return { inputs: { ...inputs, ...plan(inputs.validityHours, now) } };
}

export async function diff(_id: string, olds: ClientCertificateOutputs, news: ClientCertificateInputs) {
    // The checkout's location and the `expiring` note change nothing.
    const reasons = reissueReasons(olds, news);
    const issued = readableNotAfter(olds.certificate);
    // check plans a new validity when the certificate is due; the clock is consulted here as well so
    // that a due certificate is replaced even if check did not run. An unreadable one is replaced.
    if (!issued) reasons.push("certificate");
    else if (news.notAfter !== issued.toISOString() || (known(news.renewBeforeHours) && renewalDue(issued, news.renewBeforeHours, clock()))) reasons.push("notAfter");
    if (reasons.length > 0) return { changes: true, replaces: reasons, deleteBeforeReplace: false };
    return { changes: olds.renewBeforeHours !== news.renewBeforeHours };
}

type Issued = Pick<ClientCertificateOutputs, "keyType" | "certificate" | "privateKey" | "notBefore" | "notAfter">;

/** The outputs: the non-secret inputs echoed (never caKey, never `expiring`) and the certificate. */
function outputs(inputs: ClientCertificateInputs, issued: Issued): ClientCertificateOutputs {
    const { projectDir, caCertificate, subject, validityHours, renewBeforeHours } = inputs;
    return { projectDir, caCertificate, subject, validityHours, renewBeforeHours, ...issued };
}

function issue(inputs: ClientCertificateInputs): Issued {
    const now = clock();
    const keyType = inputs.keyType ?? caKeyType(inputs.caCertificate) ?? "ed25519";
    // Issue the planned validity; plan anew if there is none or it is itself already due.
    const planned = inputs.notBefore && inputs.notAfter && !renewalDue(inputs.notAfter, inputs.renewBeforeHours, now) ? { notBefore: inputs.notBefore, notAfter: inputs.notAfter } : plan(inputs.validityHours, now);
    const issued = issueClientCertificate({
        caCertificate: pemText(inputs.caCertificate),
        caKey: pemText(inputs.caKey),
        subject: inputs.subject,
        keyType,
        notBefore: new Date(planned.notBefore),
        notAfter: new Date(planned.notAfter),
    });
    return { keyType, certificate: b64(issued.certificate), privateKey: b64(issued.privateKey), ...planned };
}

export async function create(inputs: ClientCertificateInputs) {
    const outs = outputs(inputs, issue(inputs));
    return { id: new crypto.X509Certificate(pemText(outs.certificate)).serialNumber, outs };
}

export async function update(_id: string, olds: ClientCertificateOutputs, news: ClientCertificateInputs) {
    // Only the window (or the checkout's location) changed: the certificate stays. Should anything
    // that needs a new certificate reach here, issue one rather than keep a certificate that no longer fits.
    const issued = readableNotAfter(olds.certificate);
    const stale = reissueReasons(olds, news).length > 0 || !issued || renewalDue(issued, news.renewBeforeHours, clock());
    const { keyType, certificate, privateKey, notBefore, notAfter } = olds;
    return { outs: outputs(news, stale ? issue(news) : { keyType, certificate, privateKey, notBefore, notAfter }) };
}

/** Nothing to undo: Talos and Kubernetes have no revocation for these certificates; an old one stays valid until it expires. */
export async function remove(_id: string, _olds: ClientCertificateOutputs): Promise<void> {}
