import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RUN_DIR_PREFIX, removeStaleRunDirs } from "../lifecycle/context";

/** A run killed outright leaves its private folder (admin talosconfig, CA keys); the next run removes it. */

test("folders of runs whose process is gone are removed; a live run's, and folders that are not a run's, stay", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "run-dirs-"));
    try {
        const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
        const make = (name: string, owner?: string) => {
            const dir = path.join(tmp, name);
            fs.mkdirSync(dir);
            fs.writeFileSync(path.join(dir, "talosconfig"), "secret");
            if (owner !== undefined) fs.writeFileSync(path.join(dir, "owner.pid"), owner);
            return dir;
        };
        const stale = make(`${RUN_DIR_PREFIX}stale`, dead.stdout);
        const live = make(`${RUN_DIR_PREFIX}live`, String(process.pid));
        const unowned = make(`${RUN_DIR_PREFIX}unowned`);
        const other = make("rollout-someone-else", dead.stdout);
        removeStaleRunDirs(tmp);
        expect([stale, live, unowned, other].map((d) => fs.existsSync(d))).toEqual([false, true, true, true]);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
});
