import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { TALOS_RELEASES } from "../../model";
import { CHARTS, FLUX_VERSION, GATEWAY_API_VERSION, resolveCharts } from "../../planners/charts";

/**
 * renovate.json against the repository, for tests/renovate*.test.ts. Renovate needs Node.js 24 and
 * the network, so it is not run here: its regex-manager extraction is re-implemented below (as
 * lib/modules/manager/custom/regex does it: every matchString with the "g" flag over the whole
 * file, named groups, registryUrl normalised through URL, deps without a name, value or datasource
 * dropped) and applied to the files Renovate would scan. The expected pins come from the program's
 * own data, so a new chart, Talos minor or stack file without an annotation fails there.
 */

const ROOT = path.join(__dirname, "..", "..");
export const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as RenovateConfig;

interface CustomManager {
    customType: string;
    managerFilePatterns: string[];
    matchStrings: string[];
    matchStringsStrategy?: string;
    [key: string]: unknown;
}
interface PackageRule {
    description?: string;
    [key: string]: unknown;
}
interface RenovateConfig {
    $schema: string;
    extends: string[];
    ignorePaths?: string[];
    customManagers: CustomManager[];
    packageRules: PackageRule[];
    [key: string]: unknown;
}

/** A dependency as the regex manager extracts it (after templates and normalisation). */
export interface Dep {
    file: string;
    /** Where the pin is: file and key path, e.g. `Pulumi.infra.yaml:config.platform:versions.talos`. */
    where: string;
    depName?: string;
    packageName: string;
    datasource: string;
    currentValue: string;
    registryUrl?: string;
    extractVersion?: string;
    /** Offset of the match (the annotation's comment marker) and the matched text. */
    index: number;
    replaceString: string;
}

// ---- Renovate's file selection -------------------------------------------------------------

/** `:ignoreModulesAndTests` (extended by config:recommended); a config's own ignorePaths replaces it. */
const PRESET_IGNORE_PATHS = ["**/node_modules/**", "**/bower_components/**", "**/vendor/**", "**/examples/**", "**/__tests__/**", "**/test/**", "**/tests/**", "**/__fixtures__/**"];

function ignored(file: string): boolean {
    return (config.ignorePaths ?? PRESET_IGNORE_PATHS).some((p) => {
        const m = /^\*\*\/([^*/]+)\/\*\*$/.exec(p);
        if (!m) throw new Error(`ignorePaths entry ${p}: only **/<dir>/** is re-implemented here`);
        return new RegExp(`(^|/)${m[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/`).test(file);
    });
}

/** A managerFilePatterns entry: Renovate reads `/.../` (or `/.../i`) as a regex and anything else as a glob. */
export function filePattern(p: string): RegExp {
    const m = /^\/(.*)\/(i?)$/.exec(p);
    if (!m) throw new Error(`managerFilePatterns entry ${p} is a glob; this test re-implements only the /regex/ form`);
    return new RegExp(m[1], m[2]);
}

/** The files Renovate sees: committed (and about-to-be-committed) files, minus ignorePaths. */
export const FILES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && !/^node_modules(\/|$)/.test(f) && fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile() && !ignored(f));

export const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

// ---- Renovate's regex manager ----------------------------------------------------------------

const MATCH_FIELDS = ["depName", "packageName", "currentValue", "datasource", "versioning", "extractVersion", "registryUrl", "depType"] as const;

/** Handlebars as far as this config could use it: `{{name}}` / `{{{name}}}` of a group. */
function template(tmpl: string, groups: Record<string, string | undefined>): string {
    const out = tmpl.replace(/\{\{\{?\s*(\w+)\s*\}?\}\}/g, (_m, name: string) => groups[name] ?? "");
    if (out.includes("{{")) throw new Error(`template ${tmpl}: only {{name}} substitution is re-implemented here`);
    return out;
}

/** The matchStrings compiled as Renovate does ("g"), and under "u" as RE2 always is. */
export function compile(matchString: string): RegExp {
    new RegExp(matchString, "gu"); // throws for what RE2's unicode mode rejects too
    return new RegExp(matchString, "g");
}

export function extract(manager: CustomManager, file: string, content: string): Dep[] {
    if ((manager.matchStringsStrategy ?? "any") !== "any") throw new Error("only matchStringsStrategy any is re-implemented here");
    const deps: Dep[] = [];
    for (const regex of manager.matchStrings.map(compile)) {
        for (const m of content.matchAll(regex)) {
            const groups = { ...(m.groups ?? {}) } as Record<string, string | undefined>;
            const dep: Record<string, string | undefined> = {};
            for (const field of MATCH_FIELDS) {
                const tmpl = manager[`${field}Template`];
                const value = typeof tmpl === "string" ? template(tmpl, groups) : groups[field];
                if (value) dep[field] = field === "registryUrl" ? new URL(value).toString() : value;
            }
            if (!(dep.depName || dep.packageName) || !dep.currentValue || !dep.datasource) continue; // isValidDependency
            deps.push({
                file,
                where: `${file}:${locate(file, content, m.index! + m[0].length)}`,
                ...(dep.depName ? { depName: dep.depName } : {}),
                // Renovate's lookup sets packageName ??= depName before package rules and datasources run.
                packageName: dep.packageName ?? dep.depName!,
                datasource: dep.datasource,
                currentValue: dep.currentValue,
                ...(dep.registryUrl ? { registryUrl: dep.registryUrl } : {}),
                ...(dep.extractVersion ? { extractVersion: dep.extractVersion } : {}),
                index: m.index!,
                replaceString: m[0],
            });
        }
    }
    return deps;
}

/** Every dependency the custom managers extract from the repository, with the manager's index. */
export function extractAll(files: string[] = FILES, contentOf: (file: string) => string = read): (Dep & { manager: number })[] {
    return config.customManagers.flatMap((manager, i) => {
        const patterns = manager.managerFilePatterns.map(filePattern);
        return files.filter((f) => patterns.some((p) => p.test(f))).flatMap((f) => extract(manager, f, contentOf(f)).map((d) => ({ ...d, manager: i })));
    });
}

/**
 * The key a pin belongs to, from the line holding its value: `CHARTS` entries and TALOS_RELEASES
 * minors by key (looking upward for a multi-line entry), constants by name, YAML by key path.
 */
function locate(file: string, content: string, end: number): string {
    const all = content.split("\n");
    const at = content.slice(0, end).split("\n").length - 1;
    const line = all[at];
    if (file.endsWith(".ts")) {
        const constant = /^export const (\w+)/.exec(line);
        if (constant) return constant[1];
        const own = /^\s*"?([\w.]+)"?:\s*\{/.exec(line);
        if (own) return own[1];
        for (let i = at - 1; i >= 0; i--) {
            const entry = /^\s*"?([\w.]+)"?:\s*\{\s*$/.exec(all[i]);
            if (entry) return entry[1];
        }
        throw new Error(`${file}:${at + 1}: cannot tell which entry this pin belongs to`);
    }
    const own = /^(\s*)([\w.:-]+):/.exec(line)!;
    const keys = [own[2]];
    let indent = own[1].length;
    for (let i = at - 1; i >= 0 && indent > 0; i--) {
        const parent = /^(\s*)([\w.:-]+):\s*$/.exec(all[i]);
        if (parent && parent[1].length < indent) {
            keys.unshift(parent[2]);
            indent = parent[1].length;
        }
    }
    return keys.join(".");
}

// ---- What the program pins -------------------------------------------------------------------

interface Pin {
    where: string;
    datasource: string;
    packageName: string;
    currentValue: string;
    registryUrl?: string;
    extractVersion?: string;
}

/** Upstream tags carry a "v" these pins leave out; extractVersion strips it from every release. */
const STRIP_V = "^v(?<version>.+)$";

/** A chart pin as the annotation must describe it: classic repos by helm, OCI charts by docker. */
function chartPin(where: string, source: { chart: string; repo?: string; version: string }): Pin {
    return source.chart.startsWith("oci://")
        ? { where, datasource: "docker", packageName: source.chart.slice("oci://".length), currentValue: source.version }
        : { where, datasource: "helm", packageName: source.chart, currentValue: source.version, registryUrl: new URL(source.repo!).toString() };
}

export const STACK_FILES = FILES.filter((f) => /^Pulumi\.[^/.]+\.yaml$/.test(f));

function expectedPins(): Pin[] {
    const pins: Pin[] = [];
    for (const [key, source] of Object.entries(CHARTS)) pins.push(chartPin(`planners/charts.ts:${key}`, source));
    pins.push({ where: "planners/charts.ts:GATEWAY_API_VERSION", datasource: "github-releases", packageName: "kubernetes-sigs/gateway-api", currentValue: GATEWAY_API_VERSION });
    pins.push({ where: "planners/charts.ts:FLUX_VERSION", datasource: "github-releases", packageName: "fluxcd/flux2", currentValue: FLUX_VERSION, extractVersion: STRIP_V });
    for (const [minor, release] of Object.entries(TALOS_RELEASES)) {
        pins.push({ where: `model/talos.ts:${minor}`, datasource: "github-releases", packageName: "pulumiverse/pulumi-talos", currentValue: release.provider, extractVersion: STRIP_V });
    }
    for (const file of STACK_FILES) {
        const cfg = (parse(read(file)) as { config: Record<string, any> }).config;
        const versions = cfg["platform:versions"] as { talos: string; kubernetes: string; flux?: string };
        const at = (key: string) => `${file}:config.platform:versions.${key}`;
        pins.push({ where: at("talos"), datasource: "docker", packageName: "ghcr.io/siderolabs/installer", currentValue: versions.talos });
        pins.push({ where: at("kubernetes"), datasource: "docker", packageName: "ghcr.io/siderolabs/kubelet", currentValue: versions.kubernetes, extractVersion: STRIP_V });
        if (versions.flux !== undefined) pins.push({ where: at("flux"), datasource: "github-releases", packageName: "fluxcd/flux2", currentValue: versions.flux, extractVersion: STRIP_V });
        // A stack's chart override is a pin too (annotate it in block style, on the line before version:).
        const overrides = (cfg["platform:charts"] ?? {}) as Record<string, { version?: string; repo?: string }>;
        const resolved = resolveCharts(overrides as never);
        for (const [key, o] of Object.entries(overrides)) {
            if (o.version !== undefined) pins.push(chartPin(`${file}:config.platform:charts.${key}.version`, resolved[key as keyof typeof resolved]));
        }
    }
    return pins;
}

export const deps = extractAll();
export const byWhere = new Map(deps.map((d) => [d.where, d]));
export const pins = expectedPins();
