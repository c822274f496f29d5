import { parseClientVersion, parseDryRun, parseEtcdMembers, parseEtcdStatus, parseJsonStream, parseSchematic, parseServerVersion } from "../lifecycle/talosctl-output";

/**
 * talosctl's output formats, as written by talosctl v1.11 (cmd/talosctl sources; texts from the
 * v1.11 docs): Go tabwriter tables with padding 3, JSON streams with 4-space indentation, dry-run
 * summaries on stderr.
 */

test("etcd members: a tabwriter table, one view per -n node; ids stay 16-hex strings", () => {
    const out = [
        "NODE          ID                 HOSTNAME   PEER URLS                  CLIENT URLS                LEARNER",
        "10.25.11.11   0e9ad1a9c0b1f23a   infra-01   https://10.25.11.11:2380   https://10.25.11.11:2379   false",
        "10.25.11.11   00f1b2c3d4e5f601   infra-02   https://10.25.11.12:2380   https://10.25.11.12:2379   false",
        "10.25.11.11   7a1b2c3d4e5f6071   infra-04   https://10.25.11.14:2380                              true",
        "10.25.11.12   0e9ad1a9c0b1f23a   infra-01   https://10.25.11.11:2380   https://10.25.11.11:2379   false",
        "",
    ].join("\n");
    expect(parseEtcdMembers(out)).toEqual([
        { id: "0e9ad1a9c0b1f23a", hostname: "infra-01", peerUrls: ["https://10.25.11.11:2380"], learner: false },
        { id: "00f1b2c3d4e5f601", hostname: "infra-02", peerUrls: ["https://10.25.11.12:2380"], learner: false },
        { id: "7a1b2c3d4e5f6071", hostname: "infra-04", peerUrls: ["https://10.25.11.14:2380"], learner: true },
    ]);
});

test("etcd status: columns whose cells hold spaces (DB SIZE, IN USE) and an empty ERRORS column", () => {
    const out = [
        "NODE          MEMBER             DB SIZE   IN USE            LEADER             RAFT INDEX   RAFT TERM   RAFT APPLIED INDEX   LEARNER   ERRORS",
        "10.25.11.11   0e9ad1a9c0b1f23a   30 MB     12 MB (40.00%)    0e9ad1a9c0b1f23a   1234         29          1234                 false     ",
        "10.25.11.12   00f1b2c3d4e5f601   30 MB     9.1 MB (30.33%)   0e9ad1a9c0b1f23a   1234         29          1234                 false     etcdserver: no leader",
    ].join("\n");
    expect(parseEtcdStatus(out)).toEqual([
        { node: "10.25.11.11", member: "0e9ad1a9c0b1f23a", leader: "0e9ad1a9c0b1f23a", learner: false, errors: "" },
        { node: "10.25.11.12", member: "00f1b2c3d4e5f601", leader: "0e9ad1a9c0b1f23a", learner: false, errors: "etcdserver: no leader" },
    ]);
});

test("versions: the client's from --client --short, the server's from the Server block", () => {
    expect(parseClientVersion("Client:\nTalos v1.12.1\n")).toBe("v1.12.1");
    const full = "Client:\n\tTag:         v1.12.1\n\tSHA:         abc\nServer:\n\tNODE:        10.25.11.11\n\tTag:         v1.11.6\n\tSHA:         def\n\tEnabled:     RBAC\n";
    expect(parseServerVersion(full)).toBe("v1.11.6");
    expect(() => parseServerVersion("Client:\n\tTag:         v1.12.1\n")).toThrow("printed no server version");
});

test("get -o json: a stream of indented objects (never an array); the schematic is the virtual extension's version", () => {
    const ext = (name: string, version: string) =>
        JSON.stringify({ metadata: { id: name === "schematic" ? "0" : "1", namespace: "runtime", type: "ExtensionStatuses.runtime.talos.dev", version: 1 }, node: "10.25.11.11", spec: { image: `${name}.sqsh`, metadata: { name, version } } }, null, 4);
    const stream = `${ext("iscsi-tools", "v0.2.0")}\n${ext("schematic", "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba")}\n`;
    expect(parseJsonStream(stream)).toHaveLength(2);
    expect(parseSchematic(parseJsonStream(stream))).toBe("376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba");
    expect(parseSchematic(parseJsonStream(ext("iscsi-tools", "v0.2.0")))).toBe("");
    expect(parseJsonStream('{"a": "brace } in \\" a string"}')).toEqual([{ a: 'brace } in " a string' }]);
});

test("apply-config --dry-run: unchanged, live, or reboot", () => {
    const summary = (details: string, diff: string) => `Dry run summary:\nApplied configuration ${details} (skipped in dry-run).\nConfig diff:\n\n${diff}\n`;
    expect(parseDryRun(summary("without a reboot", "No changes."))).toBe("unchanged");
    expect(parseDryRun(summary("without a reboot", "--- a\n+++ b\n-  hostname: a\n+  hostname: b"))).toBe("immediate");
    expect(parseDryRun(summary("with a reboot", "--- a\n+++ b\n+  files: []"))).toBe("reboot");
    expect(() => parseDryRun("error applying new configuration: rpc error")).toThrow("printed no summary");
});

test("a dry run this program cannot read fails without quoting its output (the diff holds keys and tokens)", () => {
    const secretDiff = "--- a\n+++ b\n-    token: abcdef.0123456789abcdef\n+    key: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t";
    for (const output of [secretDiff, `Dry run summary:\nApplied configuration somehow (skipped in dry-run).\nConfig diff:\n\n${secretDiff}`]) {
        const message = (() => {
            try {
                parseDryRun(output);
                return "parsed";
            } catch (err) {
                return (err as Error).message;
            }
        })();
        expect(message).toMatch(/^talosctl apply-config --dry-run printed (no summary|a summary this program does not know) \(\d+ lines; not shown, as it holds configuration values\)$/);
        expect(message).not.toContain("abcdef");
        expect(message).not.toContain("LS0tLS1CRUdJTi");
    }
});
