import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./harness";

/**
 * The layering of the program's folders, read from every import with TypeScript's own parser
 * (import and export declarations, `import x = require()`, `require()` and `import()` calls with a
 * literal path; type-only imports count too):
 * - model/ is the ground: it imports nothing of ours from outside model/;
 * - planners/, components/, readiness/, talos/ and lifecycle/ never import the edge (stacks/, where
 *   config is read) nor the tooling around the program (tools/, tests/);
 * - planners/ are pure: no @pulumi/* package.
 */

const LAYERS = ["model", "planners", "components", "readiness", "talos", "lifecycle"];

/** Every module specifier a TypeScript source names with a string literal. */
function importsOf(fileName: string, text: string): string[] {
    const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            found.push(node.moduleSpecifier.text);
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
            found.push(node.moduleReference.expression.text);
        } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
            const [arg] = node.arguments;
            if (arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
        } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
            found.push(node.argument.literal.text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/** The rules a file (path relative to the project, with `/`) breaks by importing `specifier`. */
function layeringViolations(file: string, specifier: string): string[] {
    const layer = file.split("/")[0];
    const target = specifier.startsWith(".") ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)) : undefined;
    const targetLayer = target?.split("/")[0];
    const problems: string[] = [];
    if (layer === "model" && target !== undefined && targetLayer !== "model") problems.push(`${file}: model/ imports ${specifier} (${target}), outside model/`);
    if (targetLayer !== undefined && ["stacks", "tools", "tests"].includes(targetLayer)) problems.push(`${file}: ${layer}/ imports ${specifier} (${target}), from ${targetLayer}/`);
    if (layer === "planners" && specifier.startsWith("@pulumi/")) problems.push(`${file}: planners/ imports ${specifier}`);
    return problems;
}

/** Every .ts file under `dir` (relative to the project), recursively. */
function sources(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(rel);
        return e.name.endsWith(".ts") ? [rel] : [];
    });
}

const files = LAYERS.flatMap(sources);

test("every layer has sources, and every import a file names obeys the layering", () => {
    expect(LAYERS.filter((layer) => !files.some((f) => f.startsWith(`${layer}/`)))).toEqual([]);
    const problems = files.flatMap((file) => importsOf(file, fs.readFileSync(path.join(ROOT, file), "utf8")).flatMap((spec) => layeringViolations(file, spec)));
    expect(problems).toEqual([]);
});

test("the check catches every kind of import that breaks a rule, and lets the allowed ones through", () => {
    const planted = [
        'import { x } from "../stacks/config/parse";',
        'import type { Evaluation } from "../tools/engine/engine";',
        'export * from "../tests/harness";',
        'import fs = require("../stacks/user-patches");',
        'const pulumi = require("@pulumi/pulumi");',
        'async function f() { return import("@pulumi/kubernetes"); }',
        'type T = import("../stacks/mesh").RemoteMesh;',
        'import { Problems } from "../model";',
        'import * as YAML from "yaml";',
        'import { digest } from "./constants";',
    ].join("\n");
    const specs = importsOf("planners/planted.ts", planted);
    expect(specs).toEqual(["../stacks/config/parse", "../tools/engine/engine", "../tests/harness", "../stacks/user-patches", "@pulumi/pulumi", "@pulumi/kubernetes", "../stacks/mesh", "../model", "yaml", "./constants"]);
    const broken = (file: string, specifiers: string[]) => specifiers.filter((s) => layeringViolations(file, s).length > 0);
    expect(broken("planners/planted.ts", specs)).toEqual(specs.slice(0, 7));
    // Pulumi is fine outside planners/; model/ may import model/ and packages, nothing else of ours.
    expect(broken("components/planted.ts", ["@pulumi/pulumi", "../planners/charts", "../model"])).toEqual([]);
    expect(broken("model/planted.ts", ["./platform", "zod", "../planners/charts", "../talos/provider/types"])).toEqual(["../planners/charts", "../talos/provider/types"]);
    expect(broken("lifecycle/deep/planted.ts", ["../../stacks", "../../readiness/poll"])).toEqual(["../../stacks"]);
});

/** The project folder a relative specifier of `file` lands in, or undefined for a package or a file at the top. */
function targetFolder(file: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    // "../model" names the folder (its index.ts); "../index" a file at the top.
    if (!target.includes("/") && fs.existsSync(path.join(ROOT, `${target}.ts`))) return undefined;
    return target.split("/")[0];
}

/** A cycle in the folder graph (folder → folders it imports), as the path that closes it, or undefined. */
function folderCycle(edges: Map<string, Set<string>>): string[] | undefined {
    const done = new Set<string>();
    const walk = (folder: string, trail: string[]): string[] | undefined => {
        if (trail.includes(folder)) return [...trail.slice(trail.indexOf(folder)), folder];
        if (done.has(folder)) return undefined;
        for (const next of edges.get(folder) ?? []) {
            const cycle = walk(next, [...trail, folder]);
            if (cycle) return cycle;
        }
        done.add(folder);
        return undefined;
    };
    for (const folder of edges.keys()) {
        const cycle = walk(folder, []);
        if (cycle) return cycle;
    }
    return undefined;
}

function folderGraph(imports: [file: string, specifier: string][]): Map<string, Set<string>> {
    const edges = new Map<string, Set<string>>();
    for (const [file, specifier] of imports) {
        const from = file.split("/")[0];
        const to = targetFolder(file, specifier);
        if (to === undefined || to === from) continue;
        edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    return edges;
}

test("the program's folders import each other without a cycle", () => {
    const all = [...LAYERS, "stacks", "policy", "tools"].flatMap(sources);
    const graph = folderGraph(all.flatMap((file) => importsOf(file, fs.readFileSync(path.join(ROOT, file), "utf8")).map((s) => [file, s] as [string, string])));
    // The graph is the real one: the edge reads config into the model and wires the components.
    expect([...(graph.get("stacks") ?? [])]).toEqual(expect.arrayContaining(["model", "components"]));
    expect(folderCycle(graph)).toBeUndefined();
});

test("the cycle check finds a cycle through several folders, and none in a diamond", () => {
    const cyclic = folderGraph([["stacks/a.ts", "../components/b"], ["components/b.ts", "../planners/c"], ["planners/c.ts", "../stacks/config/d"], ["planners/e.ts", "yaml"]]);
    expect(folderCycle(cyclic)).toEqual(["stacks", "components", "planners", "stacks"]);
    const diamond = folderGraph([["stacks/a.ts", "../components/b"], ["stacks/a.ts", "../planners/c"], ["components/b.ts", "../model"], ["planners/c.ts", "../model/x"], ["model/x.ts", "./y"]]);
    expect(folderCycle(diamond)).toBeUndefined();
});
