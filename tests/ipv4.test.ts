import fc from "fast-check";
import { canonicalCidr, cidrContains, cidrCovers, cidrRange, nthIp, rangesOverlap } from "../planners/ipv4";

/**
 * The IPv4 arithmetic against a brute-force oracle: CIDRs of /20 to /32 inside one random /20, so
 * every set of addresses is small enough to list. The oracle works on bit strings, not masks: an
 * address is in "x/len" when its first `len` bits are those of x.
 */

const BLOCK = 4096; // addresses in a /20

/** A CIDR drawn inside a /20: its address (host bits possibly set) and prefix length. */
interface Drawn {
    addr: number;
    len: number;
    text: string;
}

const bits = (n: number) => n.toString(2).padStart(32, "0");
/** Dotted quad via the bytes of a big-endian buffer (independent of the module's formatter). */
const dotted = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return [...b].join(".");
};

/** The low 12 bits of each address of a /20, as bit strings. */
const LOW_BITS = Array.from({ length: BLOCK }, (_, i) => i.toString(2).padStart(12, "0"));
/** The bit strings of the /20 starting at `base` (the last one asked for is kept). */
let cached: { base: number; strings: string[] } | undefined;
function blockBits(base: number): string[] {
    const high = bits(base).slice(0, 20);
    if (cached?.base !== base) cached = { base, strings: LOW_BITS.map((low) => high + low) };
    return cached.strings;
}

/** Every address of the /20 that starts at `base` and lies in `cidr`, in ascending order. */
function members(base: number, cidr: Drawn): number[] {
    const prefix = bits(cidr.addr).slice(0, cidr.len);
    const out: number[] = [];
    blockBits(base).forEach((b, i) => {
        if (b.startsWith(prefix)) out.push(base + i);
    });
    return out;
}

/** The first address of a random /20 anywhere in the IPv4 space. */
const block = fc.integer({ min: 0, max: 2 ** 20 - 1 }).map((n) => n * BLOCK);
const cidrIn = (base: number, minLen = 20) =>
    fc.record({ offset: fc.integer({ min: 0, max: BLOCK - 1 }), len: fc.integer({ min: minLen, max: 32 }) }).map(({ offset, len }) => drawnAt(base + offset, len));
const drawnAt = (addr: number, len: number): Drawn => ({ addr, len, text: `${dotted(addr)}/${len}` });
/**
 * Two CIDRs in one /20; the second is often placed at, or next to, an edge of the first (where
 * off-by-one mistakes live), and is often a single address.
 */
const twoCidrs = block.chain((base) =>
    cidrIn(base).chain((a) => {
        const list = members(base, a);
        const nearEdge = fc
            .record({ edge: fc.constantFrom(list[0], list[list.length - 1]), delta: fc.integer({ min: -1, max: 1 }), len: fc.oneof(fc.constant(32), fc.integer({ min: 20, max: 32 })) })
            .map(({ edge, delta, len }) => drawnAt(Math.min(Math.max(edge + delta, base), base + BLOCK - 1), len));
        return fc.tuple(fc.constant(base), fc.constant(a), fc.oneof(cidrIn(base), nearEdge));
    }),
);

test("two CIDRs overlap exactly when they share an address", () => {
    fc.assert(
        fc.property(twoCidrs, ([base, a, b]) => {
            const inA = new Set(members(base, a));
            expect(rangesOverlap(cidrRange(a.text), cidrRange(b.text))).toBe(members(base, b).some((x) => inA.has(x)));
        }),
    );
});

test("a CIDR covers another exactly when it holds every one of its addresses", () => {
    fc.assert(
        fc.property(twoCidrs, ([base, outer, inner]) => {
            const inOuter = new Set(members(base, outer));
            expect(cidrCovers(outer.text, inner.text)).toBe(members(base, inner).every((x) => inOuter.has(x)));
        }),
    );
});

test("a CIDR contains exactly its addresses", () => {
    const drawn = block.chain((base) => fc.tuple(fc.constant(base), cidrIn(base), fc.integer({ min: base, max: base + BLOCK - 1 })));
    fc.assert(
        fc.property(drawn, ([base, cidr, ip]) => {
            expect(cidrContains(cidr.text, dotted(ip))).toBe(members(base, cidr).includes(ip));
        }),
    );
});

test("the n-th address counts from the network address, and there is none past the last", () => {
    // n is often at the end of the network, where off-by-one mistakes live.
    const drawn = block.chain((base) =>
        cidrIn(base, 24).chain((cidr) => {
            const size = members(base, cidr).length;
            return fc.tuple(fc.constant(base), fc.constant(cidr), fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(size - 1, size, size + 1)));
        }),
    );
    fc.assert(
        fc.property(drawn, ([base, cidr, n]) => {
            const list = members(base, cidr);
            if (n < list.length) expect(nthIp(cidr.text, n)).toBe(dotted(list[n]));
            else expect(() => nthIp(cidr.text, n)).toThrow(`${cidr.text} has no address number ${n}`);
        }),
    );
});

test("the canonical spelling is the lowest address of the network, with the same prefix length", () => {
    fc.assert(
        fc.property(
            block.chain((base) => fc.tuple(fc.constant(base), cidrIn(base))),
            ([base, cidr]) => {
                const list = members(base, cidr);
                expect(canonicalCidr(cidr.text)).toBe(`${dotted(list[0])}/${cidr.len}`);
            },
        ),
    );
});
