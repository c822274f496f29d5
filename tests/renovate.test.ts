import { CHARTS, crdBundles } from "../planners/charts";
import { byWhere, config, deps, extract, extractAll, FILES, filePattern, pins, read, STACK_FILES } from "./support/renovate";

/**
 * renovate.json's custom managers applied to the repository (re-implemented in
 * tests/support/renovate.ts): they extract exactly the program's pins, read every annotation,
 * rewrite only the pin, and match nothing else.
 */

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
