/**
 * Parsers for talosctl's output, as checked against talosctl v1.11.2 / v1.12.1 / v1.13.0 (generated
 * CLI references in siderolabs/docs and the cmd/talosctl sources; each fact with its source in
 * tests/support/sim/SOURCES.md):
 * `get -o json` is a stream of indented JSON objects (never an array); `etcd members|status` are
 * Go tabwriter tables (padding 3) with no JSON form; `apply-config --dry-run` prints its summary on
 * stderr (stdout on older clients).
 */

/** Splits a stream of concatenated JSON values (as `talosctl get -o json` prints them). */
export function parseJsonStream(text: string): unknown[] {
    const out: unknown[] = [];
    let depth = 0;
    let start = -1;
    let inString = false;
    let escaped = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (escaped) escaped = false;
            else if (c === "\\") escaped = true;
            else if (c === '"') inString = false;
            continue;
        }
        if (c === '"') inString = true;
        else if (c === "{" || c === "[") {
            if (depth === 0) start = i;
            depth++;
        } else if (c === "}" || c === "]") {
            depth--;
            if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
        }
    }
    if (depth !== 0) throw new Error("talosctl printed truncated JSON");
    return out;
}

/**
 * Parses a tabwriter table by the header's column positions (cells may contain single spaces, e.g.
 * `30 MB`; tabwriter separates columns by at least three). Returns one record per row, keyed by the
 * header text.
 */
export function parseTable(text: string): Record<string, string>[] {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0) return [];
    const header = lines[0];
    const columns: { name: string; start: number }[] = [];
    for (const m of header.matchAll(/\S+(?: \S+)*/g)) columns.push({ name: m[0], start: m.index ?? 0 });
    return lines.slice(1).map((line) =>
        Object.fromEntries(columns.map((c, i) => [c.name, line.slice(c.start, i + 1 < columns.length ? columns[i + 1].start : undefined).trim()])),
    );
}

/** An etcd member as `talosctl etcd members` lists it. */
export interface EtcdMember {
    /** 16 lowercase hex digits, the form `etcd remove-member` takes. */
    id: string;
    hostname: string;
    peerUrls: string[];
    learner: boolean;
}

export function parseEtcdMembers(text: string): EtcdMember[] {
    // With several -n nodes every node prints its own view; the first node's is enough.
    const rows = parseTable(text);
    const first = rows[0]?.NODE;
    return rows
        .filter((r) => r.NODE === first)
        .map((r) => ({ id: r.ID, hostname: r.HOSTNAME, peerUrls: r["PEER URLS"] ? r["PEER URLS"].split(",") : [], learner: r.LEARNER === "true" }));
}

/** One row of `talosctl etcd status`. */
export interface EtcdStatus {
    node: string;
    member: string;
    leader: string;
    learner: boolean;
    errors: string;
}

export function parseEtcdStatus(text: string): EtcdStatus[] {
    return parseTable(text).map((r) => ({ node: r.NODE, member: r.MEMBER, leader: r.LEADER, learner: r.LEARNER === "true", errors: r.ERRORS ?? "" }));
}

/** The server's Talos version from `talosctl version` (the `Tag:` line of the `Server:` block). */
export function parseServerVersion(text: string): string {
    const server = text.indexOf("Server:");
    const m = server < 0 ? null : /Tag:\s+(\S+)/.exec(text.slice(server));
    if (!m) throw new Error(`talosctl version printed no server version:\n${text.trim()}`);
    return m[1];
}

/** The client's version from `talosctl version --client --short` ("Client:\nTalos v1.11.5"). */
export function parseClientVersion(text: string): string {
    const m = /Talos (v\d+\.\d+\.\d+\S*)/.exec(text) ?? /Tag:\s+(v\S+)/.exec(text);
    if (!m) throw new Error(`talosctl version --client printed no version:\n${text.trim()}`);
    return m[1];
}

/** The Image Factory schematic id a node runs (the `schematic` virtual extension), or "" without one. */
export function parseSchematic(objects: unknown[]): string {
    for (const o of objects) {
        const meta = (o as { spec?: { metadata?: { name?: string; version?: string } } }).spec?.metadata;
        if (meta?.name === "schematic") return String(meta.version ?? "");
    }
    return "";
}

/** What `apply-config --dry-run --mode auto` says the configuration would do. */
export type DryRunOutcome = "unchanged" | "immediate" | "reboot";

export function parseDryRun(output: string): DryRunOutcome {
    // The output is not quoted: its configuration diff holds keys and tokens.
    if (!output.includes("Dry run summary:")) throw new Error(`talosctl apply-config --dry-run printed no summary (${lineCount(output)}; not shown, as it holds configuration values)`);
    const diff = output.slice(output.indexOf("Config diff:"));
    if (/Config diff:\s*No changes\./.test(diff)) return "unchanged";
    if (output.includes("Applied configuration without a reboot")) return "immediate";
    if (output.includes("Applied configuration with a reboot")) return "reboot";
    throw new Error(`talosctl apply-config --dry-run printed a summary this program does not know (${lineCount(output)}; not shown, as it holds configuration values)`);
}

/** True when talosctl failed because the node could not be reached at all (down, rebooting, off). */
export function isUnreachable(stderr: string): boolean {
    return /connection refused|connect: no route to host|i\/o timeout|code = Unavailable|context deadline exceeded|connection reset/.test(stderr);
}

/**
 * Whether `talosctl -n <node> upgrade --wait=false` started the upgrade of `node` (SOURCES.md §4):
 * the legacy MachineService call acks in its `NODE ACK STARTED` table (`Upgrade request received`;
 * a refusal is a WARNING with no row, exit 0); v1.13's LifecycleService reports
 * `<node>: upgrade completed` on stderr once the install is done (a failed install exits 1). A
 * version-skew WARNING says nothing either way.
 */
export function upgradeStarted(node: string, stdout: string, stderr: string): boolean {
    const acked = /\bUpgrade request received\b/.test(stdout);
    const escaped = node.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const installed = new RegExp(`^${escaped}: upgrade completed\\s*$`, "m").test(stderr);
    return acked || installed;
}

/** Major and minor of a talosctl/Talos version ("v1.13.0" → [1, 13]); undefined if unreadable. */
export function versionParts(version: string): [number, number] | undefined {
    const m = /^v?(\d+)\.(\d+)\./.exec(version.trim());
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function lineCount(text: string): string {
    const n = text.trim() === "" ? 0 : text.trim().split("\n").length;
    return `${n} line${n === 1 ? "" : "s"}`;
}
