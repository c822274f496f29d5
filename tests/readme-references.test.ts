import * as fs from "fs";
import * as path from "path";

/** What the README tells a user to run or to open exists in this repository. */

const ROOT = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

/** `npm run <script>` anywhere in the README (prose or code blocks). */
export function npmRuns(text: string): string[] {
    return [...new Set([...text.matchAll(/npm run (?:-s )?([a-z][a-z0-9:-]*)/g)].map((m) => m[1]))];
}

/** Backticked paths into the project's own folders, without placeholders such as `<hostname>` or what `npm ci` creates. */
export function projectPaths(text: string): string[] {
    const dirs = "components|lifecycle|planners|model|stacks|tools|tests|talos|policy|readiness|\\.github|\\.ci";
    const re = new RegExp(`\`((?:${dirs})/[^\`\\s<>*]*)\``, "g");
    return [...new Set([...text.matchAll(re)].map((m) => m[1]))].filter((p) => !p.split("/").includes("node_modules"));
}

test("every `npm run` the README shows is a script of package.json", () => {
    const runs = npmRuns(readme);
    expect(runs).toEqual(expect.arrayContaining(["render", "pin-crd-bundles"]));
    expect(runs.filter((name) => !scripts.includes(name))).toEqual([]);
});

test("every project path the README names exists", () => {
    const paths = projectPaths(readme);
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !fs.existsSync(path.join(ROOT, p)))).toEqual([]);
});

test("the extraction catches a script and a path that do not exist, and skips placeholders", () => {
    const text = "run `npm run -s rendr` then open `lifecycle/rollouts.ts`, `talos/<hostname>.yaml` and `policy/node_modules`";
    expect(npmRuns(text)).toEqual(["rendr"]);
    expect(projectPaths(text)).toEqual(["lifecycle/rollouts.ts"]);
});
