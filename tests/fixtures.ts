import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { stackConfigFromYaml } from "../tools/engine/stack-file";
import type { RawConfig } from "../stacks/config/parse";
import { PROJECT } from "./harness";

/**
 * Config fixtures: stack files, optionally `extends:` another fixture (top-level config keys are
 * replaced whole; `null` removes a key), with the expected error lines under `expect:`.
 */
export const FIXTURES = path.join(__dirname, "fixtures", "config");

export interface Fixture {
    name: string;
    config: RawConfig;
    expect: string[];
}

function loadDoc(file: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { extends?: string; config?: Record<string, unknown> };
    const base = doc.extends ? loadDoc(path.resolve(path.dirname(file), doc.extends)) : {};
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        if (v === null) delete merged[k];
        else merged[k] = v;
    }
    return merged;
}

export function loadFixture(file: string): Fixture {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { expect?: string[] };
    return {
        name: path.basename(file, ".yaml"),
        config: stackConfigFromYaml(YAML.stringify({ config: loadDoc(file) }), PROJECT),
        expect: doc.expect ?? [],
    };
}

/** Every fixture in `valid/` or `invalid/`. */
export function fixtures(kind: "valid" | "invalid"): Fixture[] {
    const dir = path.join(FIXTURES, kind);
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => loadFixture(path.join(dir, f)));
}
