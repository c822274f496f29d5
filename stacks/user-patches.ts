import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { UserPatches } from "../planners/talos-patches";
import { ConfigError, Problems, type PlatformConfig } from "../model";

/** Folder holding `<cluster>/{all,controlplane,worker,nodes}/` patch files (see talos/README.md). */
export const TALOS_PATCH_ROOT = path.join(__dirname, "..", "talos");

const ROLE_DIRS = ["all", "controlplane", "worker"] as const;

/**
 * Reads a cluster's optional machine-config patch files, in file-name order. Every file must be
 * valid YAML; node files must name a configured host; anything else in the folder is an error,
 * so a misplaced patch never silently goes unapplied.
 */
export function readUserPatches(cfg: PlatformConfig, root = TALOS_PATCH_ROOT): UserPatches {
    const dir = path.join(root, cfg.cluster.name);
    const problems = new Problems();
    const out: UserPatches = { all: [], controlplane: [], worker: [], nodes: {} };
    const rel = (p: string) => path.relative(path.dirname(root), p);
    if (!fs.existsSync(dir)) return out;

    for (const entry of fs.readdirSync(dir).sort()) {
        const full = path.join(dir, entry);
        if (entry === "README.md") continue;
        if (!fs.statSync(full).isDirectory() || ![...ROLE_DIRS, "nodes"].includes(entry)) {
            problems.add(rel(full), undefined, `is not one of ${[...ROLE_DIRS, "nodes"].join("/, ")}/; see talos/README.md`);
        }
    }
    for (const role of ROLE_DIRS) {
        for (const file of yamlFiles(path.join(dir, role), problems, rel)) {
            const text = readPatch(file, problems, rel);
            if (text !== undefined) out[role].push(text);
        }
    }
    const hostnames = new Set(cfg.nodes.map((n) => n.hostname));
    for (const file of yamlFiles(path.join(dir, "nodes"), problems, rel)) {
        const host = path.basename(file).replace(/\.ya?ml$/, "");
        if (!hostnames.has(host)) {
            problems.add(rel(file), undefined, `names no node of platform:nodes (known: ${[...hostnames].join(", ")}); rename it to <hostname>.yaml`);
            continue;
        }
        const text = readPatch(file, problems, rel);
        if (text !== undefined) out.nodes[host] = [text];
    }
    if (!problems.empty) throw new ConfigError(cfg.stack.stack, problems.list);
    return out;
}

function yamlFiles(dir: string, problems: Problems, rel: (p: string) => string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .sort()
        .filter((f) => {
            if (/\.ya?ml$/.test(f)) return true;
            if (f !== ".gitkeep") problems.add(rel(path.join(dir, f)), undefined, "is not a .yaml patch file; remove or rename it");
            return false;
        })
        .map((f) => path.join(dir, f));
}

function readPatch(file: string, problems: Problems, rel: (p: string) => string): string | undefined {
    const text = fs.readFileSync(file, "utf8");
    const docs = YAML.parseAllDocuments(text);
    const errors = docs.flatMap((d) => d.errors.map((e) => e.message.split("\n")[0].replace(/:$/, "")));
    if (errors.length > 0) {
        problems.add(rel(file), undefined, `is not valid YAML: ${errors[0]}`);
        return undefined;
    }
    if (docs.every((d) => d.contents === null)) {
        problems.add(rel(file), undefined, "is empty; delete it or add a patch");
        return undefined;
    }
    return text.trim() + "\n";
}
