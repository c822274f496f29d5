import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ROOT } from "./harness";

/** The PR workflows: they must exist, parse, and contain the jobs and steps the README promises. */

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    jobs: Record<string, { "runs-on": unknown; if?: string; steps: Step[]; strategy?: { matrix?: Record<string, unknown> } }>;
}
const load = (name: string) => parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const runs = (steps: Step[]) => steps.map((s) => s.run ?? "").join("\n");

describe("PR checks (no credentials)", () => {
    const wf = load("pr-checks.yml");
    const job = wf.jobs["test-and-render"];

    test("runs on every pull request with read-only access", () => {
        expect(Object.keys(wf.on)).toEqual(["pull_request"]);
        expect(wf.permissions).toEqual({ contents: "read" });
        expect(job["runs-on"]).toBe("ubuntu-latest");
    });

    test("installs from the lockfile, type-checks and tests, then renders both stacks", () => {
        const script = runs(job.steps);
        const order = ["npm ci", "npm test", "npm run render -- --stack infra", "npm run render -- --stack apps --ref infra="];
        const positions = order.map((cmd) => script.indexOf(cmd));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(job.steps[0].uses).toMatch(/^actions\/checkout@v4$/);
        expect(job.steps[0].with).toEqual({ "fetch-depth": 0 });
    });

    test("plans each stack's rollout against the base branch's render and puts the plan into the job summary", () => {
        const script = runs(job.steps);
        const base = script.indexOf('--out "$GITHUB_WORKSPACE/out/base/infra"');
        const head = script.indexOf("npm run render -- --stack infra --out out/head/infra $(against infra)");
        expect(base).toBeGreaterThan(0);
        expect(head).toBeGreaterThan(base);
        expect(script).toContain('echo "--against out/base/$1"');
        expect(script).toContain('cat "out/head/$stack/plan.md" >> "$GITHUB_STEP_SUMMARY"');
    });

    test("renders the base branch and writes the diff to the job summary", () => {
        const script = runs(job.steps);
        expect(script).toContain('git worktree add ../base "origin/${BASE_REF}"');
        expect(script).toContain("git diff --no-index --stat out/base out/head");
        expect(script).toContain('>> "$GITHUB_STEP_SUMMARY"');
    });
});

describe("PR preview (real clusters)", () => {
    const wf = load("pr-preview.yml");
    const job = wf.jobs.preview;
    const preview = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;

    test("previews each stack with pulumi/actions and comments on the pull request", () => {
        expect(preview.uses).toBe("pulumi/actions@v6");
        expect(preview.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true });
        expect(job.strategy?.matrix?.stack).toEqual(["infra", "apps"]);
        expect(wf.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    });

    test("runs on the self-hosted homelab runner, never for forks, with its credentials from secrets", () => {
        expect(job["runs-on"]).toEqual(["self-hosted", "homelab"]);
        expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
        expect(preview.env).toMatchObject({ PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}", OP_CONNECT_TOKEN: "${{ secrets.OP_CONNECT_TOKEN }}" });
        expect(runs(job.steps)).toContain("npm ci");
    });

    test("enforces the policy pack: installs it from its own lockfile and type-checks it before `pulumi preview --policy-pack policy`", () => {
        const script = runs(job.steps);
        const install = job.steps.findIndex((s) => (s.run ?? "").includes("npm ci --prefix policy"));
        expect(install).toBeGreaterThan(0);
        expect(install).toBeLessThan(job.steps.indexOf(preview));
        expect(script).toContain("npm --prefix policy run typecheck");
        expect(preview.with?.policyPacks).toBe("${{ github.workspace }}/policy");
        expect(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"))).toBe(true);
        expect(fs.existsSync(path.join(ROOT, "policy", "package-lock.json"))).toBe(true);
    });
});
