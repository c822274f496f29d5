import * as fs from "fs";
import * as path from "path";
import { ROOT, stackConfig } from "./harness";

/**
 * What the committed stack files say next to the settings they document must be what the program
 * and the charts really do: the schematic names the extensions Image Factory installs, and the
 * SPIRE comment describes where the server's data lives without a StorageClass.
 */

/** The comment lines directly above `key:` (at any indentation) in a stack file. */
function commentAbove(text: string, key: string): string {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.trim().startsWith(`${key}:`));
    if (at < 0) throw new Error(`no ${key} in the stack file`);
    const comment: string[] = [];
    for (let i = at - 1; i >= 0 && lines[i].trim().startsWith("#"); i--) comment.unshift(lines[i].trim().replace(/^#\s?/, ""));
    return comment.join(" ");
}

describe.each(["infra", "apps"])("Pulumi.%s.yaml", (stack) => {
    const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");

    test("names the Intel GPU extension as Image Factory installs it on Talos 1.9 and later (siderolabs/i915)", () => {
        const extensions = (JSON.parse(stackConfig(stack).values["platform:talos"]) as { schematic: { extensions: string[] } }).schematic.extensions;
        expect(extensions).toEqual(["siderolabs/intel-ucode", "siderolabs/i915", "siderolabs/iscsi-tools", "siderolabs/nfsrahead"]);
        // The comment says why the name differs from the design's "i915 (ucode)".
        expect(commentAbove(text, "extensions")).toMatch(/i915-ucode/);
    });

    test("describes the SPIRE server's data without a StorageClass as the chart has it: no volume, lost on restart", () => {
        const comment = commentAbove(text, "mutualAuth");
        expect(comment).not.toMatch(/emptyDir on|on an emptyDir/);
        expect(comment).toMatch(/container/);
        expect(comment).toMatch(/restart/);
    });
});
