import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { check } from "../lifecycle/provider";
import type { ClusterTarget } from "../model";
import { ROOT } from "./harness";

/**
 * The offline rollout plan (`npm run render -- --against <previous render>`) and the render's
 * care for the folder it writes into, through the real command line.
 */

const render = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "tools", "render", "cli.ts"), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });

let dir: string;
const committed = fs.readFileSync(path.join(ROOT, "Pulumi.infra.yaml"), "utf8");
/** The committed infra stack file with some text replaced, written to the temp folder. */
const stackFile = (name: string, edit: (text: string) => string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, edit(committed));
    return file;
};

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-plan-"));
    expect((await render(["--stack", "infra", "--out", path.join(dir, "before")])).code).toBe(0);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("plan.json and plan.md: a Talos upgrade of every node, control planes in order, the snapshot and the Kubernetes upgrade", async () => {
    const upgraded = stackFile("upgrade.yaml", (t) => t.replace("talos: v1.11.6", "talos: v1.12.11").replace("kubernetes: 1.34.1", "kubernetes: 1.35.0"));
    const res = await render(["--stack", "infra", "--config", upgraded, "--against", path.join(dir, "before"), "--out", path.join(dir, "upgrade")]);
    expect(res.stderr).toBe("");
    const plan = JSON.parse(fs.readFileSync(path.join(dir, "upgrade", "plan.json"), "utf8"));
    expect(plan.order).toEqual(["infra-01", "infra-02", "infra-03"]);
    expect(plan.nodes["infra-02"]).toMatchObject({ action: "upgrade", from: "v1.11.6", to: "v1.12.11" });
    expect(plan.kubernetes).toEqual({ from: "1.34.1", to: "1.35.0" });
    expect(plan.etcdSnapshot).toBe("infra-01");
    const md = fs.readFileSync(path.join(dir, "upgrade", "plan.md"), "utf8");
    expect(md).toContain("| 1 | infra-01 | controlplane | upgrade | v1.11.6 → v1.12.11 | etcd snapshot first; Talos v1.11.6 → v1.12.11;");
    expect(md).toContain("Kubernetes: 1.34.1 → 1.35.0 (after the Talos upgrades, through upgrade-k8s).");
}, 60_000);

test("a node added and one removed, and a change that needs a reboot", async () => {
    const changed = stackFile("membership.yaml", (t) =>
        t
            .replace(/    - hostname: infra-03\n[\s\S]*?(?=\n  platform:talos:)/, (block) =>
                block.replace("hostname: infra-03", "hostname: infra-05").replace("10.25.11.13", "10.25.11.17").replace(/:c0"/g, ':e0"').replace(/:c1"/g, ':e1"'),
            )
            .replace("    spegel: true", "    spegel: false"),
    );
    const res = await render(["--stack", "infra", "--config", changed, "--against", path.join(dir, "before"), "--out", path.join(dir, "membership")]);
    expect(res.stderr).toBe("");
    const plan = JSON.parse(fs.readFileSync(path.join(dir, "membership", "plan.json"), "utf8"));
    // Spegel off drops machine.files: a reboot per node, then the new node, then the old one goes.
    expect(plan.order).toEqual(["infra-01", "infra-02", "infra-05", "infra-03"]);
    expect(plan.nodes["infra-01"]).toMatchObject({ action: "reboot", reasons: ["machine.files changed (needs a reboot)"] });
    expect(plan.nodes["infra-05"].action).toBe("add");
    expect(plan.nodes["infra-03"].action).toBe("remove");
    expect(plan.etcdSnapshot).toBe("infra-03");
}, 60_000);

test("an impossible plan fails the render with the message pulumi preview prints", async () => {
    const skipped = stackFile("skip.yaml", (t) => t.replace("talos: v1.11.6", "talos: v1.13.9").replace("kubernetes: 1.34.1", "kubernetes: 1.34.3"));
    const res = await render(["--stack", "infra", "--config", skipped, "--against", path.join(dir, "before"), "--out", path.join(dir, "skip")]);
    expect(res.code).toBe(1);
    // The Rollout resource's check refuses the same plan with the same words (preview and up fail on it).
    const previous = JSON.parse(fs.readFileSync(path.join(dir, "before", "rollout.json"), "utf8")) as ClusterTarget;
    const desired: ClusterTarget = { ...previous, talos: { ...previous.talos, version: "v1.13.9" }, kubernetes: "1.34.3" };
    const checked = await check({ desired: previous }, { desired } as Parameters<typeof check>[1]);
    expect(res.stderr).toBe(`render failed: ${checked.failures![0].reason}\n`);
    expect(res.stderr).toContain("v1.11.6 → v1.13.9 skips a Talos minor; upgrade one minor at a time: first to the latest 1.12.x release, then to 1.13");
    expect(fs.existsSync(path.join(dir, "skip"))).toBe(false);
}, 60_000);

test("the render never deletes what it did not write", async () => {
    const foreign = path.join(dir, "foreign");
    fs.mkdirSync(path.join(foreign, "talos"), { recursive: true });
    fs.writeFileSync(path.join(foreign, "talos", "provider.ts"), "// not a render\n");
    const refused = await render(["--stack", "infra", "--out", foreign]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--out ${foreign} is not empty and holds no previous render`);
    expect(fs.readFileSync(path.join(foreign, "talos", "provider.ts"), "utf8")).toBe("// not a render\n");

    // Into a previous render: the files it wrote are replaced, anything added by hand stays.
    const previous = path.join(dir, "before");
    fs.writeFileSync(path.join(previous, "talos", "notes.md"), "mine\n");
    expect((await render(["--stack", "infra", "--out", previous])).code).toBe(0);
    expect(fs.readFileSync(path.join(previous, "talos", "notes.md"), "utf8")).toBe("mine\n");
    expect(fs.existsSync(path.join(previous, "talos", "infra-01.yaml"))).toBe(true);
}, 60_000);
