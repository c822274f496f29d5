import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { TALOS_RELEASES } from "../model";
import { CHARTS, crdBundles, FLUX_VERSION, GATEWAY_API_VERSION, resolveCharts } from "../planners/charts";

/**
 * renovate.json against the repository. Renovate needs Node.js 24 and the network, so it is not
 * run here: its regex-manager extraction is re-implemented below (as lib/modules/manager/custom/regex
 * does it: every matchString with the "g" flag over the whole file, named groups, registryUrl
 * normalised through URL, deps without a name, value or datasource dropped) and applied to the
 * files Renovate would scan. The expected pins come from the program's own data, so a new chart,
 * Talos minor or stack file without an annotation fails here.
 */

const ROOT = path.join(__dirname, "..");
const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as RenovateConfig;

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
interface Dep {
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
function filePattern(p: string): RegExp {
    const m = /^\/(.*)\/(i?)$/.exec(p);
    if (!m) throw new Error(`managerFilePatterns entry ${p} is a glob; this test re-implements only the /regex/ form`);
    return new RegExp(m[1], m[2]);
}

/** The files Renovate sees: committed (and about-to-be-committed) files, minus ignorePaths. */
const FILES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && !/^node_modules(\/|$)/.test(f) && fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile() && !ignored(f));

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

// ---- Renovate's regex manager ----------------------------------------------------------------

const MATCH_FIELDS = ["depName", "packageName", "currentValue", "datasource", "versioning", "extractVersion", "registryUrl", "depType"] as const;

/** Handlebars as far as this config could use it: `{{name}}` / `{{{name}}}` of a group. */
function template(tmpl: string, groups: Record<string, string | undefined>): string {
    const out = tmpl.replace(/\{\{\{?\s*(\w+)\s*\}?\}\}/g, (_m, name: string) => groups[name] ?? "");
    if (out.includes("{{")) throw new Error(`template ${tmpl}: only {{name}} substitution is re-implemented here`);
    return out;
}

/** The matchStrings compiled as Renovate does ("g"), and under "u" as RE2 always is. */
function compile(matchString: string): RegExp {
    new RegExp(matchString, "gu"); // throws for what RE2's unicode mode rejects too
    return new RegExp(matchString, "g");
}

function extract(manager: CustomManager, file: string, content: string): Dep[] {
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
function extractAll(files: string[] = FILES, contentOf: (file: string) => string = read): (Dep & { manager: number })[] {
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

const STACK_FILES = FILES.filter((f) => /^Pulumi\.[^/.]+\.yaml$/.test(f));

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

const deps = extractAll();
const byWhere = new Map(deps.map((d) => [d.where, d]));
const pins = expectedPins();

// ---- The configuration itself ----------------------------------------------------------------

describe("renovate.json", () => {
    test("is Renovate's current form: schema, config:recommended, regex custom managers with managerFilePatterns", () => {
        expect(config.$schema).toBe("https://docs.renovatebot.com/renovate-schema.json");
        expect(config.extends).toContain("config:recommended");
        expect(config.customManagers.length).toBeGreaterThan(0);
        for (const m of config.customManagers) {
            expect(m.customType).toBe("regex");
            expect(m).not.toHaveProperty("fileMatch"); // renamed in Renovate 40 (auto-migrated, but deprecated)
            for (const p of m.managerFilePatterns) expect(p).toMatch(/^\/.+\/i?$/);
        }
    });

    test("its package rules pass Renovate's own validation rules: a selector and a setting each, no pre-lookup option beside matchUpdateTypes", () => {
        // lib/config/validation.ts: these are decided before update types exist.
        const preLookup = ["allowedVersions", "extractVersion", "followTag", "ignoreDeps", "ignoreUnstable", "rangeStrategy", "registryUrls", "respectLatest", "rollbackPrs", "separateMajorMinor", "separateMinorPatch", "separateMultipleMajor", "separateMultipleMinor", "versioning"];
        for (const rule of config.packageRules) {
            const keys = Object.keys(rule).filter((k) => k !== "description");
            expect(keys.some((k) => k.startsWith("match"))).toBe(true);
            expect(keys.some((k) => !k.startsWith("match"))).toBe(true);
            if (rule.matchUpdateTypes) expect(keys.filter((k) => preLookup.includes(k))).toEqual([]);
        }
    });

    test("its matchStrings stay within what RE2 (Renovate's regex engine) supports: no lookaround, no backreferences", () => {
        for (const s of config.customManagers.flatMap((m) => m.matchStrings)) {
            expect(s).not.toMatch(/\(\?<?[=!]|\\[1-9]|\\k</);
            expect(() => compile(s)).not.toThrow();
        }
    });
});

// ---- Extraction against the repository ----------------------------------------------------

describe("the custom managers, applied to the repository", () => {
    test("extract exactly the pins the program uses: every chart, Gateway API, Flux, each provider release, each stack's Talos, Kubernetes and Flux", () => {
        expect(deps.map((d) => d.where).sort()).toEqual(pins.map((p) => p.where).sort());
        expect(new Set(deps.map((d) => d.where)).size).toBe(deps.length);
    });

    test.each(pins.map((p) => [p.where, p] as const))("%s: right datasource, package, registry and the value the program uses", (where, pin) => {
        const dep = byWhere.get(where);
        expect(dep).toBeDefined();
        const { datasource, packageName, currentValue, registryUrl, extractVersion } = dep!;
        expect({ datasource, packageName, currentValue, registryUrl, extractVersion }).toEqual({ registryUrl: undefined, extractVersion: undefined, ...pin, where: undefined });
    });

    test("the stack files' other values (cluster settings such as CNPG_OPERATOR_VERSION, IPs, sizes) are not picked up", () => {
        for (const file of STACK_FILES) {
            expect(deps.filter((d) => d.file === file).map((d) => d.where.split(":config.")[1]).sort()).toEqual(
                ["platform:versions.flux", "platform:versions.kubernetes", "platform:versions.talos"].filter((k) => pins.some((p) => p.where === `${file}:config.${k}`)),
            );
            expect(deps.some((d) => d.file === file && d.currentValue === "0.25.0")).toBe(false);
        }
    });

    test("every `renovate:` annotation in the repository is consumed by a manager (a typo or an unknown key would silently drop a pin)", () => {
        const starts = new Set(deps.map((d) => `${d.file}@${d.index}`));
        const orphans: string[] = [];
        for (const file of FILES) {
            const content = read(file);
            for (const m of content.matchAll(/^[ \t]*((?:#|\/\/)[ \t]*renovate:.*)$/gm)) {
                const offset = m.index! + m[0].indexOf(m[1]);
                if (!starts.has(`${file}@${offset}`)) orphans.push(`${file}: ${m[1]}`);
            }
        }
        expect(orphans).toEqual([]);
    });

    test("the CRD bundles need no pin of their own: Gateway API's is GATEWAY_API_VERSION, cert-manager's and external-secrets' are their charts'", () => {
        const [gateway, certManager, externalSecrets] = crdBundles(CHARTS);
        expect(gateway.url).toContain(`/${byWhere.get("planners/charts.ts:GATEWAY_API_VERSION")!.currentValue}/`);
        expect(certManager.url).toContain(`/${byWhere.get("planners/charts.ts:certManager")!.currentValue}/`);
        expect(externalSecrets.url).toContain(`/v${byWhere.get("planners/charts.ts:externalSecrets")!.currentValue}/`);
    });

    test("an update rewrites only the pin: the value occurs once in what Renovate replaces, and re-extracting finds the new value", () => {
        for (const dep of deps) {
            expect({ where: dep.where, occurrences: dep.replaceString.split(dep.currentValue).length - 1 }).toEqual({ where: dep.where, occurrences: 1 });
            // What Renovate's auto-replace does: the value replaced inside the matched text, then the file re-extracted.
            const content = read(dep.file);
            const updated = content.slice(0, dep.index) + dep.replaceString.replace(dep.currentValue, "9.99.0") + content.slice(dep.index + dep.replaceString.length);
            const again = extractAll([dep.file], () => updated).find((d) => d.where === dep.where);
            expect({ where: dep.where, value: again?.currentValue }).toEqual({ where: dep.where, value: "9.99.0" });
        }
    });
});

describe("the managers do not over-match", () => {
    const yamlManager = config.customManagers.find((m) => m.managerFilePatterns.some((p) => filePattern(p).test("Pulumi.x.yaml")))!;
    const tsManager = config.customManagers.find((m) => m.managerFilePatterns.some((p) => filePattern(p).test("planners/charts.ts")))!;
    const annotation = "# renovate: datasource=docker depName=talos packageName=ghcr.io/siderolabs/installer";

    test.each([
        ["an unannotated version", "    CNPG_OPERATOR_VERSION: 0.25.0\n"],
        ["an annotation separated from its value by a blank line", `    ${annotation}\n\n    talos: v1.11.6\n`],
        ["an annotation with a key the managers do not know", `    ${annotation} versioning=semver\n    talos: v1.11.6\n`],
        ["an annotation with its keys out of order", "    # renovate: depName=talos datasource=docker\n    talos: v1.11.6\n"],
    ])("YAML: %s is not a pin", (_what, text) => {
        expect(extract(yamlManager, "Pulumi.x.yaml", text)).toEqual([]);
    });

    test("YAML: the annotated line is the pin, whatever follows", () => {
        const text = `    ${annotation}\n    talos: v1.11.6\n    kubernetes: 1.34.1\n`;
        expect(extract(yamlManager, "Pulumi.x.yaml", text).map((d) => d.currentValue)).toEqual(["v1.11.6"]);
    });

    test.each([
        ["a line without version, provider or a *_VERSION constant", '    // renovate: datasource=helm depName=x registryUrl=https://x.test/\n    x: { chart: "x", repo: "https://x.test/" },\n'],
        ["a value on the line after next", '    // renovate: datasource=helm depName=x registryUrl=https://x.test/\n    x: {\n        version: "1.0.0",\n'],
    ])("TypeScript: %s is not a pin", (_what, text) => {
        expect(extract(tsManager, "x.ts", text)).toEqual([]);
    });
});

// ---- Package rules --------------------------------------------------------------------------

const UPDATE_TYPES = ["patch", "minor", "major"] as const;
type UpdateType = (typeof UPDATE_TYPES)[number];

function matchesName(name: string | undefined, patterns: unknown): boolean {
    return (
        name !== undefined &&
        (patterns as string[]).some((p) => {
            const re = /^\/(.*)\/(i?)$/.exec(p);
            if (re) return new RegExp(re[1], re[2]).test(name);
            if (/[*?{!]/.test(p)) throw new Error(`package rule pattern ${p}: globs and negations are not re-implemented here`);
            return p === name;
        })
    );
}

/** The merged rule settings for a dependency and update type: later rules win, as in Renovate. */
function effective(dep: Dep, updateType: UpdateType): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const rule of config.packageRules) {
        const conditions = Object.entries(rule).filter(([k]) => k.startsWith("match"));
        const applies = conditions.every(([key, value]) => {
            switch (key) {
                case "matchPackageNames":
                    return matchesName(dep.packageName, value);
                case "matchDepNames":
                    return matchesName(dep.depName, value);
                case "matchDatasources":
                    return (value as string[]).includes(dep.datasource);
                case "matchManagers":
                    return (value as string[]).includes("custom.regex");
                case "matchUpdateTypes":
                    return (value as string[]).includes(updateType);
                default:
                    throw new Error(`package rule matcher ${key} is not re-implemented here`);
            }
        });
        if (!applies) continue;
        for (const [k, v] of Object.entries(rule)) if (!k.startsWith("match") && k !== "description") out[k] = v;
    }
    return out;
}

const depsOf = (...packageNames: string[]) => deps.filter((d) => packageNames.includes(d.packageName));
const TALOS = depsOf("ghcr.io/siderolabs/installer", "pulumiverse/pulumi-talos");
const KUBERNETES = depsOf("ghcr.io/siderolabs/kubelet");

function allowedVersions(dep: Dep): RegExp {
    const value = effective(dep, "patch").allowedVersions as string;
    const re = /^\/(.*)\/$/.exec(value);
    if (!re) throw new Error(`allowedVersions ${value} for ${dep.where} is not in the /regex/ form this test reads`);
    return new RegExp(re[1]);
}

describe("package rules", () => {
    test("nothing the program pins automerges, for any update type", () => {
        for (const dep of deps) for (const t of UPDATE_TYPES) expect({ where: dep.where, t, automerge: effective(dep, t).automerge }).toEqual({ where: dep.where, t, automerge: false });
    });

    test("Talos and its provider releases: one group, one PR per Talos minor, never automerged; minors only on request from the Dependency Dashboard", () => {
        expect(TALOS.length).toBe(STACK_FILES.length + Object.keys(TALOS_RELEASES).length);
        for (const dep of TALOS) {
            expect(effective(dep, "patch")).toMatchObject({ groupName: "Talos", automerge: false, separateMultipleMinor: true });
        }
        for (const dep of TALOS.filter((d) => d.packageName === "ghcr.io/siderolabs/installer")) {
            expect(effective(dep, "minor")).toMatchObject({ groupName: "Talos", automerge: false, dependencyDashboardApproval: true });
            expect(effective(dep, "patch").dependencyDashboardApproval).toBeUndefined();
        }
    });

    test("a provider release moves within its own line only (it belongs to one Talos minor)", () => {
        for (const dep of TALOS.filter((d) => d.packageName === "pulumiverse/pulumi-talos")) {
            expect(effective(dep, "minor").enabled).toBe(false);
            expect(effective(dep, "major").enabled).toBe(false);
            expect(effective(dep, "patch").enabled).toBeUndefined();
        }
    });

    test("Talos is offered only in the minors TALOS_RELEASES supports", () => {
        const minors = Object.keys(TALOS_RELEASES).map((m) => Number(m.split(".")[1]));
        const next = Math.max(...minors) + 1;
        for (const dep of TALOS.filter((d) => d.packageName === "ghcr.io/siderolabs/installer")) {
            const allowed = allowedVersions(dep);
            expect(allowed.test(dep.currentValue)).toBe(true);
            for (const m of minors) expect([`v1.${m}.0`, `v1.${m}.17`].map((v) => allowed.test(v))).toEqual([true, true]);
            expect([`v1.${next}.0`, `v1.${minors[0]}.0-beta.1`].map((v) => allowed.test(v))).toEqual([false, false]);
        }
    });

    test("Kubernetes: one group, one PR per minor, never automerged, minors on request, only minors some supported Talos runs", () => {
        expect(KUBERNETES.length).toBe(STACK_FILES.length);
        const supported = Object.values(TALOS_RELEASES).flatMap((r) => Array.from({ length: r.kubernetes.max - r.kubernetes.min + 1 }, (_, i) => r.kubernetes.min + i));
        const next = Math.max(...supported) + 1;
        for (const dep of KUBERNETES) {
            expect(effective(dep, "patch")).toMatchObject({ groupName: "Kubernetes", automerge: false, separateMultipleMinor: true });
            expect(effective(dep, "minor")).toMatchObject({ groupName: "Kubernetes", automerge: false, dependencyDashboardApproval: true });
            // allowedVersions sees the versions after extractVersion (tags without their "v").
            const allowed = allowedVersions(dep);
            expect(allowed.test(dep.currentValue)).toBe(true);
            for (const minor of supported) expect({ minor, allowed: allowed.test(`1.${minor}.3`) }).toEqual({ minor, allowed: true });
            expect(allowed.test(`1.${next}.0`)).toBe(false);
        }
    });

    test("flux-operator, flux-instance and every Flux version pin move as one group, with nothing else in it", () => {
        const isFlux = (where: string) => /:(fluxOperator|fluxInstance|FLUX_VERSION|config\.platform:versions\.flux)$/.test(where);
        const flux = deps.filter((d) => isFlux(d.where));
        expect(flux.length).toBe(pins.filter((p) => isFlux(p.where)).length);
        const groups = new Set(flux.flatMap((d) => UPDATE_TYPES.map((t) => effective(d, t).groupName)));
        expect([...groups]).toEqual(["Flux"]);
        expect(deps.filter((d) => !flux.includes(d) && effective(d, "patch").groupName === "Flux")).toEqual([]);
    });

    test("Gateway API is reviewed with Cilium, which implements it", () => {
        expect(effective(byWhere.get("planners/charts.ts:GATEWAY_API_VERSION")!, "minor").groupName).toBe(effective(byWhere.get("planners/charts.ts:cilium")!, "minor").groupName);
    });
});
