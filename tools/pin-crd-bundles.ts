/**
 * `npm run pin-crd-bundles [-- --accept-changed]`
 *
 * Downloads every CRD bundle of the pinned catalog (planners/charts.ts `crdBundles(CHARTS)`),
 * checks that each holds only CRDs, and writes its sha256 and URL into CRD_BUNDLE_SHA256 in
 * planners/charts.ts. Needs to reach GitHub (our CI and dev machines cannot; run it where the
 * internet is reachable and commit the result). Running it again changes nothing unless a version
 * moved. A bundle whose URL is already pinned to a different digest is refused, not re-pinned:
 * the content behind a release URL changed, which is what the pin exists to catch. Pass
 * `--accept-changed` once you know why.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import type { CrdBundle } from "../model";
import { CHARTS, crdBundles } from "../planners/charts";
import { parseCrdBundle } from "../planners/crd-bundle";
import { download, sha256Hex } from "../stacks/crd-bundles";

/** One bundle's pin as CRD_BUNDLE_SHA256 holds it. */
export interface Pin {
    url: string;
    sha256: string;
}

export interface PinOptions {
    /** The file holding CRD_BUNDLE_SHA256 (default: planners/charts.ts). */
    file?: string;
    /** The bundles to pin (default: those of the pinned catalog). */
    bundles?: CrdBundle[];
    /** GET a URL's exact bytes (default: the program's own download, with retries). */
    get?: (url: string) => Promise<Uint8Array>;
    /** Re-pin a URL whose pinned digest no longer matches its content. */
    acceptChanged?: boolean;
}

export interface PinReport {
    /** One line per bundle: what happened to its pin. */
    lines: string[];
    /** Whether the file was rewritten. */
    written: boolean;
}

const BLOCK = /^(export const CRD_BUNDLE_SHA256\b[^\n]*=\s*\{\n)([\s\S]*?)^(\};)/m;
const ENTRY = /^\s*"([^"]+)":\s*\{\s*url:\s*"([^"]*)",\s*sha256:\s*"([^"]*)"\s*\},?\s*$/;

/** The pins CRD_BUNDLE_SHA256 holds in `source` (the text of planners/charts.ts). */
export function readPins(source: string): Map<string, Pin> {
    const block = BLOCK.exec(source);
    if (!block) throw new Error("no `export const CRD_BUNDLE_SHA256 = { ... };` block found");
    const pins = new Map<string, Pin>();
    for (const line of block[2].split("\n")) {
        if (line.trim() === "" || line.trim().startsWith("//")) continue;
        const m = ENTRY.exec(line);
        if (!m) throw new Error(`CRD_BUNDLE_SHA256 has a line this script cannot read: ${line.trim()}`);
        pins.set(m[1], { url: m[2], sha256: m[3] });
    }
    return pins;
}

/** `source` with CRD_BUNDLE_SHA256 holding exactly `pins`, in their order; the rest untouched. */
export function writePins(source: string, pins: Map<string, Pin>): string {
    if (!BLOCK.test(source)) throw new Error("no `export const CRD_BUNDLE_SHA256 = { ... };` block found");
    const body = [...pins].map(([name, p]) => `    ${JSON.stringify(name)}: { url: ${JSON.stringify(p.url)}, sha256: ${JSON.stringify(p.sha256)} },\n`).join("");
    return source.replace(BLOCK, (_all, head: string, _body: string, tail: string) => `${head}${body}${tail}`);
}

/**
 * Downloads every bundle first (nothing is written if one fails), then rewrites the pins. Returns
 * what changed; throws, writing nothing, for a download failure, a bundle that is not only CRDs,
 * or a pinned URL whose content changed (unless `acceptChanged`).
 */
export async function pinCrdBundles(options: PinOptions = {}): Promise<PinReport> {
    const file = options.file ?? path.join(__dirname, "..", "planners", "charts.ts");
    const bundles = options.bundles ?? crdBundles(CHARTS);
    const get = options.get ?? (async (url: string) => (await download(url)).bytes);
    const source = fs.readFileSync(file, "utf8");
    const before = readPins(source);

    const digests = await Promise.all(
        bundles.map(async (b) => {
            const bytes = await get(b.url);
            parseCrdBundle(b, new TextDecoder().decode(bytes)); // refuses anything but CRDs
            return sha256Hex(bytes);
        }),
    );

    const after = new Map<string, Pin>();
    const lines: string[] = [];
    const changed: string[] = [];
    bundles.forEach((b, i) => {
        const sha256 = digests[i];
        const old = before.get(b.name);
        after.set(b.name, { url: b.url, sha256 });
        if (old?.url === b.url && old.sha256 === sha256) lines.push(`${b.name}: unchanged, ${sha256} (${b.url})`);
        else if (old?.url === b.url && old.sha256 !== "") {
            changed.push(`${b.name}: ${b.url} is pinned to ${old.sha256} but now has ${sha256}`);
            lines.push(`${b.name}: re-pinned from ${old.sha256} to ${sha256}, same URL (${b.url})`);
        } else if (old && old.sha256 !== "") lines.push(`${b.name}: pinned ${sha256} (${b.url}); was ${old.sha256} for ${old.url}`);
        else lines.push(`${b.name}: pinned ${sha256} (${b.url})`);
    });
    for (const name of before.keys()) if (!after.has(name)) lines.push(`${name}: pin removed (no such bundle any more)`);
    if (changed.length > 0 && !options.acceptChanged) {
        throw new Error(
            `the content behind a pinned URL changed; planners/charts.ts is left as it was:\n${changed.map((c) => `  - ${c}`).join("\n")}\n` +
                `Find out why (a re-published release asset, or tampering) before accepting it with --accept-changed.`,
        );
    }
    const rewritten = writePins(source, after);
    if (rewritten !== source) fs.writeFileSync(file, rewritten);
    return { lines, written: rewritten !== source };
}

async function cli(argv: string[]): Promise<void> {
    const { values } = parseArgs({ args: argv, options: { "accept-changed": { type: "boolean" } }, strict: true });
    const report = await pinCrdBundles({ acceptChanged: values["accept-changed"] ?? false });
    for (const line of report.lines) process.stdout.write(`${line}\n`);
    process.stdout.write(report.written ? "planners/charts.ts updated: review and commit it\n" : "planners/charts.ts already up to date\n");
}

if (require.main === module) {
    cli(process.argv.slice(2)).then(
        () => process.exit(0),
        (err: unknown) => {
            process.stderr.write(`pin-crd-bundles failed: ${(err as Error).message}\n`);
            process.exit(1);
        },
    );
}
