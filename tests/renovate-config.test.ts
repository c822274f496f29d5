import { TALOS_RELEASES } from "../model";
import { byWhere, compile, config, deps, pins, STACK_FILES, type Dep } from "./support/renovate";

/**
 * renovate.json itself: Renovate's current form, what its validation requires, and its package
 * rules (groups, automerge, allowed versions) as they apply to the pins the custom managers
 * extract (tests/support/renovate.ts).
 */

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
