/** Parses a Go-style duration ("10m", "1h30m", "45s", "500ms") into milliseconds. */
export function durationMs(text: string): number {
    const units: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
    let total = 0;
    let consumed = 0;
    for (const m of text.matchAll(re)) {
        total += Number(m[1]) * units[m[2]];
        consumed += m[0].length;
    }
    if (consumed === 0 || consumed !== text.length) throw new Error(`not a duration: "${text}" (use e.g. 10m, 1h30m, 45s)`);
    return total;
}
