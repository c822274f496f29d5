/**
 * Tests of the simulated cluster's command-line layer (tests/support/sim): the Go formatting ports
 * and talosctl's command line per emulated client version (pflag parsing, cobra validation).
 */
import { tabwrite } from "./support/sim";
import { commandTree, parseCommandLine } from "./support/sim/cli";

describe("Go formatting ports", () => {
    it("tabwriter: columns are widest cell + 3, the last cell of a line is not padded, tab-terminated cells are", () => {
        expect(tabwrite("NODE\tID\tLEARNER\n10.25.11.11\tabc\tfalse\n")).toBe("NODE          ID    LEARNER\n10.25.11.11   abc   false\n");
        // "%s\t%s\t%s\t\n" rows (NODE ACK STARTED): the header's last cell is not in the column, the row's is padded.
        expect(tabwrite("NODE\tACK\tSTARTED\nn1\tok\tT\t\n")).toBe("NODE   ACK   STARTED\nn1     ok    T   \n");
        // a line with fewer cells ends the column block
        expect(tabwrite("a\tb\tc\nxxxxxx\n1\t2\t3\n")).toBe("a   b   c\nxxxxxx\n1   2   3\n");
        expect(tabwrite("NODE\tx\nID\tetcd\nEVENTS\te1\n\te2\n")).toBe("NODE     x\nID       etcd\nEVENTS   e1\n         e2\n");
    });
});

describe("talosctl command line per client version", () => {
    const parse = (minor: number, argv: string[]) => parseCommandLine(commandTree(minor, `v1.${minor}.0`), argv);

    it("rejects flags the emulated version does not have", () => {
        expect(parse(11, ["-n", "x", "upgrade", "--drain"])).toMatchObject({ kind: "error", message: "unknown flag: --drain" });
        expect(parse(13, ["-n", "x", "upgrade", "--drain=false"])).toMatchObject({ kind: "run", cmd: { path: ["upgrade"], flags: { drain: false } } });
        expect(parse(11, ["-c", "x", "version"])).toMatchObject({ kind: "error", message: "unknown shorthand flag: 'c' in -c" });
        expect(parse(12, ["-c", "x", "version"])).toMatchObject({ kind: "run", cmd: { flags: { cluster: "x" } } });
        expect(parse(11, ["reboot", "--drain"])).toMatchObject({ kind: "error", message: "unknown flag: --drain" });
        expect(parse(13, ["reboot", "--drain"])).toMatchObject({ kind: "run" });
        expect(parse(11, ["upgrade-k8s", "--manifests-force"])).toMatchObject({ kind: "error" });
        expect(parse(13, ["upgrade-k8s", "--manifests-force"])).toMatchObject({ kind: "run" });
    });

    it("parses like pflag: interspersed flags, slices, shorthand forms, bool and duration validation", () => {
        expect(parse(11, ["etcd", "-n", "a,b", "members", "-n", "c"])).toMatchObject({ kind: "run", cmd: { path: ["etcd", "members"], flags: { nodes: ["a", "b", "c"] } } });
        expect(parse(11, ["-n10.0.0.1", "upgrade", "-i=img:v1", "-fs", "--wait=false"])).toMatchObject({ kind: "run", cmd: { flags: { nodes: ["10.0.0.1"], image: "img:v1", force: true, stage: true, wait: false } } });
        expect(parse(11, ["upgrade", "--wait=yes"])).toMatchObject({ kind: "error", message: 'invalid argument "yes" for "--wait" flag: strconv.ParseBool: parsing "yes": invalid syntax' });
        expect(parse(11, ["upgrade", "--timeout", "5x"])).toMatchObject({ kind: "error", message: 'invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"' });
        expect(parse(11, ["upgrade", "--image"])).toMatchObject({ kind: "error", message: "flag needs an argument: --image" });
        expect(parse(11, ["upgrade", "-i"])).toMatchObject({ kind: "error", message: "flag needs an argument: 'i' in -i" });
        // `--wait false` is not a value for a bool flag: "false" becomes an argument
        expect(parse(11, ["upgrade", "--wait", "false"])).toMatchObject({ kind: "error", message: 'unknown command "false" for "talosctl upgrade"' });
    });

    it("validates arguments and commands like cobra", () => {
        expect(parse(11, ["etcd", "remove-member"])).toMatchObject({ kind: "error", message: "accepts 1 arg(s), received 0" });
        expect(parse(11, ["get"])).toMatchObject({ kind: "error", message: "accepts between 1 and 2 arg(s), received 0" });
        expect(parse(11, ["frobnicate"])).toMatchObject({ kind: "error", message: 'unknown command "frobnicate" for "talosctl"' });
        expect(parse(11, ["verison"])).toMatchObject({ kind: "error", message: 'unknown command "verison" for "talosctl"\n\nDid you mean this?\n\tversion\n' });
        // v1.11 etcd subcommands take any args (no Args validator); v1.12+ are NoArgs
        expect(parse(11, ["etcd", "leave", "x"])).toMatchObject({ kind: "run" });
        expect(parse(12, ["etcd", "leave", "x"])).toMatchObject({ kind: "error", message: 'unknown command "x" for "talosctl etcd leave"' });
        // a group without a subcommand prints help (exit 0)
        expect(parse(11, ["etcd"])).toMatchObject({ kind: "help" });
        // apply-config modes: interactive exists only on v1.11
        expect(parse(11, ["apply-config", "-m", "interactive", "-f", "x"])).toMatchObject({ kind: "run" });
        // v1.13 deprecated upgrade flags are accepted with cobra's deprecation notice
        expect(parse(13, ["upgrade", "--stage"])).toMatchObject({ kind: "run", cmd: { notices: ["Flag --stage has been deprecated, legacy flag for MachineService.Upgrade fallback, to be removed in Talos 1.18"] } });
        expect(parse(11, ["upgrade", "--legacy"])).toMatchObject({ kind: "error", message: "unknown flag: --legacy" });
    });
});
