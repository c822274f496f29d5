import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./harness";

/**
 * What the committed stack files say next to the settings they document must be what the program
 * and the charts really do: the SPIRE comment describes where the server's data lives without a
 * StorageClass.
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

    test("describes the SPIRE server's data without a StorageClass as the chart has it: no volume, lost on restart", () => {
        const comment = commentAbove(text, "mutualAuth");
        expect(comment).not.toMatch(/emptyDir on|on an emptyDir/);
        expect(comment).toMatch(/container/);
        expect(comment).toMatch(/restart/);
    });
});
