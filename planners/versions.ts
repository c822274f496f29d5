import { TALOS_RELEASES, type TalosMinor } from "../model";

/** Version arithmetic and the upgrade-path rules for Talos and Kubernetes. */

export interface Semver {
    major: number;
    minor: number;
    patch: number;
}

/** Parses 1.2.3 or v1.2.3 (a pre-release suffix is ignored). */
export function parseVersion(version: string): Semver {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
    if (!m) throw new Error(`not a version: ${version}`);
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** -1, 0 or 1, like a comparator. */
export function compareVersions(a: string, b: string): number {
    const x = parseVersion(a);
    const y = parseVersion(b);
    return Math.sign(x.major - y.major || x.minor - y.minor || x.patch - y.patch);
}

/** "v1.11.6" → "1.11". */
export function minorOf(version: string): string {
    const v = parseVersion(version);
    return `${v.major}.${v.minor}`;
}

/** The release facts of a Talos version's minor, or undefined for a minor this program does not run. */
export function talosRelease(version: string): (typeof TALOS_RELEASES)[TalosMinor] | undefined {
    const minor = minorOf(version);
    return Object.prototype.hasOwnProperty.call(TALOS_RELEASES, minor) ? TALOS_RELEASES[minor as TalosMinor] : undefined;
}

/** The Talos minors this program runs, for messages. */
export const SUPPORTED_TALOS_MINORS = Object.keys(TALOS_RELEASES);

/** Why Kubernetes `kubernetes` cannot run on Talos `talos`, or undefined when it can. */
export function kubernetesSupportProblem(talos: string, kubernetes: string): string | undefined {
    const release = talosRelease(talos);
    if (!release) return undefined; // reported on the Talos version itself
    const k = parseVersion(kubernetes);
    const { min, max } = release.kubernetes;
    if (k.major === 1 && k.minor >= min && k.minor <= max) return undefined;
    return `Talos ${minorOf(talos)} supports Kubernetes 1.${min} to 1.${max}`;
}

/**
 * Why going from Talos `from` to `to` is not one allowed step, or undefined. Talos is upgraded one
 * minor at a time (latest patch of each), and never downgraded.
 */
export function talosStepProblem(from: string, to: string): string | undefined {
    const a = parseVersion(from);
    const b = parseVersion(to);
    if (compareVersions(to, from) < 0) return `${to} is older than ${from}, which the cluster runs; Talos is never downgraded by this program`;
    if (b.major !== a.major || b.minor > a.minor + 1) {
        const next = `${a.major}.${a.minor + 1}`;
        return `${from} → ${to} skips a Talos minor; upgrade one minor at a time: first to the latest ${next}.x release, then to ${b.major}.${b.minor}`;
    }
    return undefined;
}

/** Why going from Kubernetes `from` to `to` is not one allowed step, or undefined (one minor at a time, no downgrades). */
export function kubernetesStepProblem(from: string, to: string): string | undefined {
    const a = parseVersion(from);
    const b = parseVersion(to);
    if (compareVersions(to, from) < 0) return `${to} is older than ${from}, which the cluster runs; Kubernetes is never downgraded`;
    if (b.major !== a.major || b.minor > a.minor + 1) {
        return `${from} → ${to} skips a Kubernetes minor; upgrade one minor at a time: first to 1.${a.minor + 1}.x`;
    }
    return undefined;
}
