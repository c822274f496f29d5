/**
 * Small ports of the Go formatting helpers talosctl's output depends on:
 * text/tabwriter (as talosctl configures it), go-humanize Bytes/RelTime, time.Duration
 * parsing/printing, and encoding/json's indented output. Pure functions, no state.
 */

/**
 * Go's text/tabwriter with the settings talosctl uses everywhere:
 * `tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)` (minwidth 0, tabwidth 0, padding 3, padchar ' ', no flags).
 *
 * Semantics ported from `(*Writer).format`: a cell is text terminated by a tab; the text after the
 * last tab of a line is not a cell of any column and is never padded. A column block is a run of
 * consecutive lines that all have a tab-terminated cell in that column; the block's width is its
 * widest cell plus the padding, and every tab-terminated cell in the block is padded to it (so a
 * line ending in "\t" gets trailing spaces). Widths count runes.
 */
export function tabwrite(text: string, padding = 3, minwidth = 0): string {
    const trailingNewline = text.endsWith("\n");
    const rawLines = (trailingNewline ? text.slice(0, -1) : text).split("\n");
    const lines = rawLines.map((l) => l.split("\t"));
    const widths: number[] = [];
    const out: string[] = [];
    const runeLen = (s: string) => Array.from(s).length;

    const writeLines = (line0: number, line1: number) => {
        for (let i = line0; i < line1; i++) {
            const cells = lines[i]!;
            let s = "";
            for (let j = 0; j < cells.length; j++) {
                const c = cells[j]!;
                s += c;
                if (j < widths.length && j < cells.length - 1) s += " ".repeat(Math.max(0, widths[j]! - runeLen(c)));
            }
            out.push(s);
        }
    };

    const format = (line0: number, line1: number) => {
        const column = widths.length;
        for (let th = line0; th < line1; th++) {
            if (column >= lines[th]!.length - 1) continue;
            writeLines(line0, th);
            line0 = th;
            let width = minwidth;
            for (; th < line1; th++) {
                const cells = lines[th]!;
                if (column >= cells.length - 1) break;
                const w = runeLen(cells[column]!) + padding;
                if (w > width) width = w;
            }
            widths.push(width);
            format(line0, th);
            widths.pop();
            line0 = th;
        }
        writeLines(line0, line1);
    };

    format(0, lines.length);
    return out.join("\n") + (trailingNewline ? "\n" : "");
}

/** go-humanize `Bytes` (SI units, base 1000): "30 MB", "9.5 MB", "812 B". */
export function humanizeBytes(s: number): string {
    const sizes = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if (s < 10) return `${s} B`;
    const e = Math.floor(Math.log(s) / Math.log(1000));
    const suffix = sizes[e]!;
    const val = Math.floor((s / Math.pow(1000, e)) * 10 + 0.5) / 10;
    return val < 10 ? `${val.toFixed(1)} ${suffix}` : `${val.toFixed(0)} ${suffix}`;
}

/** go-humanize `RelTime(a, b, albl, blbl)` with the default magnitudes. */
export function humanizeRelTime(a: Date, b: Date, albl: string, blbl: string): string {
    const second = 1000;
    const minute = 60 * second;
    const hour = 60 * minute;
    const day = 24 * hour;
    const week = 7 * day;
    const month = 30 * day;
    const year = 12 * month;
    const longTime = 37 * year;
    const mags: [number, string, number][] = [
        [second, "now", second],
        [2 * second, "1 second %s", 1],
        [minute, "%d seconds %s", second],
        [2 * minute, "1 minute %s", 1],
        [hour, "%d minutes %s", minute],
        [2 * hour, "1 hour %s", 1],
        [day, "%d hours %s", hour],
        [2 * day, "1 day %s", 1],
        [week, "%d days %s", day],
        [2 * week, "1 week %s", 1],
        [month, "%d weeks %s", week],
        [2 * month, "1 month %s", 1],
        [year, "%d months %s", month],
        [18 * month, "1 year %s", 1],
        [2 * year, "2 years %s", 1],
        [longTime, "%d years %s", year],
        [Number.MAX_SAFE_INTEGER, "a long while %s", 1],
    ];
    let lbl = albl;
    let diff = b.getTime() - a.getTime();
    if (a.getTime() > b.getTime()) {
        lbl = blbl;
        diff = a.getTime() - b.getTime();
    }
    let n = mags.findIndex((m) => m[0] > diff);
    if (n < 0) n = mags.length - 1;
    const [, fmt, divBy] = mags[n]!;
    let s = fmt;
    if (s.includes("%d")) s = s.replace("%d", String(Math.floor(diff / divBy)));
    return s.replace("%s", lbl).trim();
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go `time.ParseDuration`, returning milliseconds; throws with Go's error text. */
export function parseGoDuration(s: string): number {
    const orig = s;
    let neg = false;
    if (s.startsWith("-") || s.startsWith("+")) {
        neg = s.startsWith("-");
        s = s.slice(1);
    }
    if (s === "0") return 0;
    if (s === "") throw new Error(`time: invalid duration ${goQuote(orig)}`);
    let total = 0;
    while (s !== "") {
        const num = /^(\d*)(\.\d*)?/.exec(s)!;
        if (num[0] === "" || num[0] === ".") throw new Error(`time: invalid duration ${goQuote(orig)}`);
        s = s.slice(num[0].length);
        const unit = /^[^\d.]+/.exec(s)?.[0] ?? "";
        if (unit === "") throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
        const mul = unitMs[unit];
        if (mul === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`);
        s = s.slice(unit.length);
        total += parseFloat(num[0]) * mul;
    }
    return neg ? -total : total;
}

/** Go `time.Duration.String()` for a whole number of milliseconds ("1m0s", "500ms", "30m0s"). */
export function formatGoDuration(ms: number): string {
    if (ms === 0) return "0s";
    const neg = ms < 0;
    let rest = Math.abs(ms);
    if (rest < 1000) return `${neg ? "-" : ""}${rest}ms`;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const sec = rest / 1000;
    const secStr = Number.isInteger(sec) ? String(sec) : String(parseFloat(sec.toFixed(3)));
    let out = "";
    if (h > 0) out += `${h}h`;
    if (h > 0 || m > 0) out += `${m}m`;
    out += `${secStr}s`;
    return (neg ? "-" : "") + out;
}

/** Go's `%q` for the plain strings the sim formats (escapes backslash, quote and control chars). */
export function goQuote(s: string): string {
    return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
    throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

/** hashicorp/go-multierror's default format. */
export function multierror(errs: string[]): string {
    const points = errs.map((e) => `\t* ${e}`).join("\n");
    return errs.length === 1 ? `1 error occurred:\n${points}\n\n` : `${errs.length} errors occurred:\n${points}\n\n`;
}

/** A semantic version "v1.11.6" / "1.34.1" / "v1.13.0-alpha.2" as comparable parts. */
export interface SemVer {
    major: number;
    minor: number;
    patch: number;
    pre: string;
}

export function parseSemver(v: string): SemVer | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
    if (!m) return undefined;
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? "" };
}

export function compareSemver(a: SemVer, b: SemVer): number {
    if (a.major !== b.major) return a.major - b.major;
    if (a.minor !== b.minor) return a.minor - b.minor;
    if (a.patch !== b.patch) return a.patch - b.patch;
    if (a.pre === b.pre) return 0;
    if (a.pre === "") return 1;
    if (b.pre === "") return -1;
    const pa = a.pre.split(".");
    const pb = b.pre.split(".");
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const x = pa[i];
        const y = pb[i];
        if (x === undefined) return -1;
        if (y === undefined) return 1;
        const nx = /^\d+$/.test(x) ? Number(x) : NaN;
        const ny = /^\d+$/.test(y) ? Number(y) : NaN;
        if (!isNaN(nx) && !isNaN(ny)) {
            if (nx !== ny) return nx - ny;
        } else if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
}

export function semverString(v: SemVer): string {
    return `${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ""}`;
}

/** JSON like Go's encoding/json with SetIndent("", "    "): sorted keys (maps), HTML escaping. */
export function goJson(v: unknown): string {
    const sortKeys = (x: unknown): unknown => {
        if (Array.isArray(x)) return x.map(sortKeys);
        if (x && typeof x === "object") {
            const o: Record<string, unknown> = {};
            for (const k of Object.keys(x as object).sort()) o[k] = sortKeys((x as Record<string, unknown>)[k]);
            return o;
        }
        return x;
    };
    return JSON.stringify(sortKeys(v), null, 4).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}
