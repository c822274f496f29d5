import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { UserPatches } from "../planners/talos-patches";
import { closest, ConfigError, Problems, type PlatformConfig } from "../model";
import { checkPatchDocuments } from "./config/patch-rules";
import { entries, type PlatformParts } from "./config/parts";

/** Folder holding `<cluster>/{all,controlplane,worker,nodes}/` patch files (see talos/README.md). */
export const TALOS_PATCH_ROOT = path.join(__dirname, "..", "talos");

const ROLE_DIRS = ["all", "controlplane", "worker"] as const;
const CLUSTER_DIRS = [...ROLE_DIRS, "nodes"];
/** Folders under talos/ that are not clusters. */
const OWN_DIRS = ["provider"];

export const NO_USER_PATCHES: UserPatches = Object.freeze({ all: [], controlplane: [], worker: [], nodes: {} }) as UserPatches;

/** What reading the patch files needs from the stack config (whatever of it parsed). */
export interface PatchFacts {
    /** The `talos/` folder. */
    root: string;
    /** This stack's cluster name; unknown when platform:cluster did not parse (then nothing is read). */
    cluster?: string;
    /** Every cluster a folder under talos/ may be named after: this one, its mesh peers, the other stack files'. */
    clusters: string[];
    /** The nodes whose hostname parsed, with their bond member links (none when those did not parse). */
    nodes?: { hostname: string; links: { name: string; mac: string }[] }[];
    /** False when some node is missing from `nodes`: a node file may then be its, so names are not checked. */
    allNodes?: boolean;
}

/** The facts from whatever of the configuration parsed. */
export function patchFacts(cfg: PlatformParts, root: string): PatchFacts {
    const own = cfg.cluster?.name;
    const peers = entries(cfg.clustermesh?.peers, "name").map(([p]) => p.name);
    const clusters = [...(own ? [own] : []), ...peers, ...stackFileClusters(path.dirname(root))];
    const named = entries(cfg.nodes, "hostname");
    const nodes = cfg.nodes && named.map(([n]) => ({ hostname: n.hostname, links: n.links ?? [] }));
    return { root, cluster: own, clusters: [...new Set(clusters)], nodes, allNodes: named.length === cfg.nodes?.length };
}

/**
 * Reads a cluster's optional machine-config patch files, in file-name order, and checks them:
 * every file valid YAML holding strategic-merge patches, no credentials, nothing the platform
 * owns (stacks/config/patch-rules.ts); node files naming a configured host; no other file or
 * folder in the cluster's folder, and no folder under talos/ that names no cluster. A misplaced
 * patch never silently goes unapplied. Problems are added to `problems`.
 */
export function collectUserPatches(facts: PatchFacts, problems: Problems): UserPatches {
    const out: UserPatches = { all: [], controlplane: [], worker: [], nodes: {} };
    const rel = (p: string) => path.relative(path.dirname(facts.root), p);
    if (facts.cluster === undefined || !fs.existsSync(facts.root)) return out;
    checkRoot(facts, problems, rel);

    const dir = path.join(facts.root, facts.cluster);
    if (!fs.existsSync(dir)) return out;
    if (!fs.statSync(dir).isDirectory()) {
        problems.add(rel(dir), undefined, `is a file; talos/${facts.cluster}/ must be a folder holding ${CLUSTER_DIRS.join("/, ")}/; see talos/README.md`);
        return out;
    }
    for (const entry of listed(dir)) {
        const full = path.join(dir, entry);
        if (entry === "README.md") continue;
        if (!fs.statSync(full).isDirectory() && CLUSTER_DIRS.includes(entry)) {
            problems.add(rel(full), undefined, `is a file; ${entry}/ must be a folder holding .yaml patch files; see talos/README.md`);
        } else if (!fs.statSync(full).isDirectory() || !CLUSTER_DIRS.includes(entry)) {
            const guess = closest(entry, CLUSTER_DIRS);
            problems.add(rel(full), undefined, `is not one of ${CLUSTER_DIRS.join("/, ")}/${guess ? ` (did you mean ${guess}/?)` : ""}; see talos/README.md`);
        }
    }
    const links = (facts.nodes ?? []).flatMap((n) => n.links);
    for (const role of ROLE_DIRS) {
        for (const file of yamlFiles(path.join(dir, role), problems, rel)) {
            const text = readPatch(file, { links }, problems, rel);
            if (text !== undefined) out[role].push(text);
        }
    }
    const hostnames = facts.nodes && facts.allNodes !== false ? [...new Set(facts.nodes.map((n) => n.hostname))] : undefined;
    for (const file of yamlFiles(path.join(dir, "nodes"), problems, rel)) {
        const host = path.basename(file).replace(/\.ya?ml$/, "");
        const node = facts.nodes?.find((n) => n.hostname === host);
        if (hostnames && !node) {
            const guess = closest(host, hostnames);
            problems.add(rel(file), undefined, `names no node of platform:nodes (known: ${hostnames.join(", ")}${guess ? `; did you mean ${guess}.yaml?` : ""}); rename it to <hostname>.yaml`);
            continue;
        }
        const text = readPatch(file, { links: node?.links ?? links }, problems, rel);
        if (text !== undefined) out.nodes[host] = [text];
    }
    return out;
}

/** As `collectUserPatches`, for a parsed configuration; throws a `ConfigError` listing every problem. */
export function readUserPatches(cfg: PlatformConfig, root = TALOS_PATCH_ROOT): UserPatches {
    const problems = new Problems();
    const facts: PatchFacts = {
        root,
        cluster: cfg.cluster.name,
        clusters: [...new Set([cfg.cluster.name, ...cfg.clustermesh.peers.map((p) => p.name), ...stackFileClusters(path.dirname(root))])],
        nodes: cfg.nodes,
    };
    const out = collectUserPatches(facts, problems);
    if (!problems.empty) throw new ConfigError(cfg.stack.stack, problems.list);
    return out;
}

/** talos/ itself: cluster folders, provider/, README.md. A stray folder or patch file there applies to nothing. */
function checkRoot(facts: PatchFacts, problems: Problems, rel: (p: string) => string): void {
    for (const entry of listed(facts.root)) {
        const full = path.join(facts.root, entry);
        if (fs.statSync(full).isDirectory()) {
            if (facts.clusters.includes(entry) || OWN_DIRS.includes(entry)) continue;
            const guess = closest(entry, facts.clusters);
            problems.add(
                rel(full),
                undefined,
                `is not a configured cluster (known: ${facts.clusters.join(", ")}${guess ? `; did you mean talos/${guess}/?` : ""}) nor ${OWN_DIRS.join(", ")}/, so no patch in it would ever be applied; rename it to a platform:cluster.name`,
            );
        } else if (/\.ya?ml$/.test(entry)) {
            problems.add(rel(full), undefined, "applies to no cluster; patch files go in talos/<cluster>/{all,controlplane,worker,nodes}/ (see talos/README.md)");
        }
    }
}

/** The cluster names the project's other stack files declare (`platform:cluster.name`), best effort. */
function stackFileClusters(projectDir: string): string[] {
    if (!fs.existsSync(projectDir)) return [];
    return fs
        .readdirSync(projectDir)
        .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
        .flatMap((f) => {
            try {
                const doc = YAML.parse(fs.readFileSync(path.join(projectDir, f), "utf8")) as { config?: Record<string, { name?: unknown }> } | null;
                const name = (doc?.config?.["platform:cluster"] ?? doc?.config?.cluster)?.name;
                return typeof name === "string" ? [name] : [];
            } catch {
                return [];
            }
        });
}

/**
 * A folder's entries in name order, without dotfiles: a `.gitkeep` keeping an empty folder in Git,
 * macOS Finder's `.DS_Store`, an editor's lock or swap file are not patches, wherever they are.
 */
function listed(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .filter((entry) => !entry.startsWith("."))
        .sort();
}

function yamlFiles(dir: string, problems: Problems, rel: (p: string) => string): string[] {
    // A file where the folder belongs is reported by the cluster folder's check.
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
    return listed(dir)
        .filter((f) => {
            if (fs.statSync(path.join(dir, f)).isDirectory()) {
                problems.add(rel(path.join(dir, f)), undefined, "is a folder; patch files sit directly in all/, controlplane/, worker/ and nodes/");
                return false;
            }
            if (/\.ya?ml$/.test(f)) return true;
            problems.add(rel(path.join(dir, f)), undefined, "is not a .yaml patch file; remove or rename it");
            return false;
        })
        .map((f) => path.join(dir, f));
}

function readPatch(file: string, scope: { links: { name: string; mac: string }[] }, problems: Problems, rel: (p: string) => string): string | undefined {
    const text = fs.readFileSync(file, "utf8");
    const docs = YAML.parseAllDocuments(text);
    const error = docs.flatMap((d) => d.errors)[0];
    if (error) {
        const [at] = error.linePos ?? [];
        const lines = text.replace(/\n+$/, "").split("\n").length;
        const where = at ? `at line ${at.line}, column ${at.col}${at.line > lines ? " (the end of the file)" : ""}` : "";
        problems.add(rel(file), undefined, `is not valid YAML ${where}: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        return undefined;
    }
    if (docs.every((d) => d.contents === null)) {
        problems.add(rel(file), undefined, "is empty; delete it or add a patch");
        return undefined;
    }
    const before = problems.list.length;
    checkPatchDocuments(
        docs.map((d) => d.toJS() as unknown),
        rel(file),
        scope,
        problems,
    );
    return problems.list.length === before ? text.trim() + "\n" : undefined;
}
