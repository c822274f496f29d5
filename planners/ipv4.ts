/**
 * Small IPv4 helpers for the config checks and derived values. Parsing and format validation is
 * zod's job (`z.ipv4()`, `z.cidrv4()`); this module only does the arithmetic zod cannot.
 */

/** An IPv4 network in numeric form. `first`/`last` are inclusive unsigned 32-bit addresses. */
export interface Ipv4Range {
    first: number;
    last: number;
}

/** Parses a dotted-quad address ("10.25.11.1") into an unsigned 32-bit number. */
export function ipToInt(ip: string): number {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
        throw new Error(`not an IPv4 address: ${ip}`);
    }
    return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Formats an unsigned 32-bit number as a dotted-quad address. */
export function intToIp(n: number): string {
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "a.b.c.d/len" into its address range. */
export function cidrRange(cidr: string): Ipv4Range {
    const [ip, lenText] = cidr.split("/");
    const len = Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const first = (ipToInt(ip) & mask) >>> 0;
    return { first, last: (first | (~mask >>> 0)) >>> 0 };
}

/** The canonical spelling of a CIDR (host bits cleared), e.g. "10.244.1.0/16" → "10.244.0.0/16". */
export function canonicalCidr(cidr: string): string {
    return `${intToIp(cidrRange(cidr).first)}/${cidr.split("/")[1]}`;
}

/** True if the address lies inside the CIDR. */
export function cidrContains(cidr: string, ip: string): boolean {
    return rangeContains(cidrRange(cidr), ipToInt(ip));
}

/** True if every address of `inner` lies inside `outer`. */
export function cidrCovers(outer: string, inner: string): boolean {
    const o = cidrRange(outer);
    const i = cidrRange(inner);
    return o.first <= i.first && i.last <= o.last;
}

/** True if the number lies inside the range. */
export function rangeContains(range: Ipv4Range, n: number): boolean {
    return range.first <= n && n <= range.last;
}

/** True if the two ranges share at least one address. */
export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
    return a.first <= b.last && b.first <= a.last;
}

/** The n-th address of a CIDR, counting the network address as 0 (Talos' `NthIPInNetwork`). */
export function nthIp(cidr: string, n: number): string {
    const r = cidrRange(cidr);
    if (r.first + n > r.last) throw new Error(`${cidr} has no address number ${n}`);
    return intToIp(r.first + n);
}
