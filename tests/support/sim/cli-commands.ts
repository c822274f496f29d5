/**
 * The talosctl command tree per emulated client minor (v1.11 / v1.12 / v1.13): commands, aliases,
 * flags with their defaults, shorthands, hidden and deprecated flags, and positional-argument
 * rules. Parsed by cli-parse.ts.
 */
import type { ArgsRule, CmdSpec, FlagSpec } from "./cli";

const b = (name: string, def = false, short?: string, usage?: string): FlagSpec => ({ name, type: "bool", def, ...(short ? { short } : {}), ...(usage ? { usage } : {}) });
const s = (name: string, def = "", short?: string, usage?: string): FlagSpec => ({ name, type: "string", def, ...(short ? { short } : {}), ...(usage ? { usage } : {}) });
const ss = (name: string, short?: string, usage?: string): FlagSpec => ({ name, type: "strings", def: [], ...(short ? { short } : {}), ...(usage ? { usage } : {}) });
const d = (name: string, def: string, usage?: string): FlagSpec => ({ name, type: "duration", def, ...(usage ? { usage } : {}) });

function globalFlags(minor: number): FlagSpec[] {
    return [
        { ...s("cluster", "", minor >= 12 ? "c" : undefined), usage: "Cluster to connect to if a proxy endpoint is used." },
        s("context", "", undefined, "Context to be used in command"),
        ss("endpoints", "e", "override default endpoints in Talos configuration"),
        ss("nodes", "n", "target the specified nodes"),
        s("siderov1-keys-dir", "", undefined, "The path to the SideroV1 auth PGP keys directory."),
        s("talosconfig", "", undefined, "The path to the Talos configuration file."),
    ];
}

const trackFlags = (): FlagSpec[] => [
    b("debug", false, undefined, "debug operation from kernel logs. --wait is set to true when this flag is set"),
    d("timeout", "30m0s", "time to wait for the operation is complete if --debug or --wait is set"),
    b("wait", true, undefined, "wait for the operation to complete, tracking its progress. always set to true when --debug is set"),
];

/** The default installer image a talosctl release uses for `upgrade --image`. */
export function defaultInstaller(clientVersion: string): string {
    return `ghcr.io/siderolabs/installer:${clientVersion.replace(/-.*$/, "")}`;
}

/** The Kubernetes version a talosctl minor defaults to (`upgrade-k8s --to`). */
export function defaultKubernetes(minor: number): string {
    return minor <= 11 ? "1.34.1" : minor === 12 ? "1.35.0" : "1.36.0";
}

export function commandTree(minor: number, clientVersion: string): CmdSpec {
    const etcdArgs: ArgsRule = minor >= 12 ? { kind: "none" } : { kind: "legacy" };
    const etcdLeaf = (name: string, args: ArgsRule = etcdArgs): CmdSpec => ({ name, runnable: true, args });
    const applyModes = minor <= 11 ? ["auto", "interactive", "no-reboot", "reboot", "staged", "try"] : ["auto", "no-reboot", "reboot", "staged", "try"];
    const rebootModes = minor <= 11 ? ["default", "powercycle"] : ["default", "force", "powercycle"];

    const upgradeFlags: FlagSpec[] =
        minor <= 12
            ? [
                  ...trackFlags(),
                  b("force", false, "f", "force the upgrade (skip checks on etcd health and members, might lead to data loss)"),
                  s("image", defaultInstaller(clientVersion), "i", "the container image to use for performing the install"),
                  b("insecure", false, undefined, "upgrade using the insecure (encrypted with no auth) maintenance service"),
                  { ...b("preserve", false, "p", "preserve data"), hidden: true },
                  s("reboot-mode", "default", "m", "select the reboot mode during upgrade"),
                  b("stage", false, "s", "stage the upgrade to perform it after a reboot"),
              ]
            : [
                  ...trackFlags(),
                  b("drain", true, undefined, "drain the Kubernetes node before rebooting (cordon + evict pods)"),
                  d("drain-timeout", "5m0s", "timeout for draining the Kubernetes node"),
                  s("image", defaultInstaller(clientVersion), "i", "the container image to use for performing the install"),
                  b("legacy", false, undefined, "force use of legacy upgrade method"),
                  s("namespace", "system", undefined, "namespace to use"),
                  { ...s("progress", "auto", undefined, "output mode for upgrade progress. Values: [auto plain]"), enumValues: ["auto", "plain"] },
                  s("reboot-mode", "default", "m", "select the reboot mode during upgrade"),
                  ...(["force", "insecure", "preserve", "stage"] as const).map(
                      (n): FlagSpec => ({
                          ...b(n, false, n === "insecure" ? undefined : n[0]),
                          hidden: true,
                          deprecated: "legacy flag for MachineService.Upgrade fallback, to be removed in Talos 1.18",
                      }),
                  ),
              ];

    const rebootFlags: FlagSpec[] = [
        ...trackFlags(),
        { ...s("mode", "default", "m", "select the reboot mode"), enumValues: rebootModes },
        ...(minor >= 13
            ? [
                  b("drain", false, undefined, "drain the Kubernetes node before rebooting (cordon + evict pods)"),
                  d("drain-timeout", "5m0s", "timeout for draining the Kubernetes node"),
                  { ...s("progress", "auto", undefined, "output mode for upgrade progress. Values: [auto plain]"), enumValues: ["auto", "plain"] },
              ]
            : []),
    ];

    const upgradeK8sFlags: FlagSpec[] = [
        s("apiserver-image", "registry.k8s.io/kube-apiserver"),
        s("controller-manager-image", "registry.k8s.io/kube-controller-manager"),
        b("dry-run", false, undefined, "skip the actual upgrade and show the upgrade plan instead"),
        s("endpoint", "", undefined, "the cluster control plane endpoint"),
        s("from", "", undefined, "the Kubernetes control plane version to upgrade from"),
        s("kubelet-image", "ghcr.io/siderolabs/kubelet"),
        b("pre-pull-images", true),
        s("proxy-image", "registry.k8s.io/kube-proxy"),
        s("scheduler-image", "registry.k8s.io/kube-scheduler"),
        s("to", defaultKubernetes(minor), undefined, "the Kubernetes control plane version to upgrade to"),
        b("upgrade-kubelet", true),
        b("with-docs", true),
        b("with-examples", true),
        ...(minor >= 13
            ? [b("manifests-force"), s("manifests-inventory-policy", "AdoptIfNoInventory"), b("manifests-no-prune"), d("manifests-reconcile-timeout", "5m0s")]
            : []),
    ];

    const etcdChildren: CmdSpec[] = [
        { name: "alarm", children: [etcdLeaf("list"), etcdLeaf("disarm")] },
        etcdLeaf("defrag"),
        etcdLeaf("forfeit-leadership"),
        etcdLeaf("leave"),
        etcdLeaf("members"),
        { name: "remove-member", use: "remove-member <member ID>", runnable: true, args: { kind: "exact", n: 1 } },
        { name: "snapshot", use: "snapshot <path>", runnable: true, args: { kind: "exact", n: 1 } },
        etcdLeaf("status"),
        ...(minor >= 12
            ? [
                  {
                      name: "downgrade",
                      children: [
                          { name: "cancel", runnable: true, args: { kind: "none" } as ArgsRule },
                          { name: "enable", use: "enable <version>", runnable: true, args: { kind: "exact", n: 1 } as ArgsRule },
                          { name: "validate", use: "validate <version>", runnable: true, args: { kind: "exact", n: 1 } as ArgsRule },
                      ],
                  },
              ]
            : []),
    ];

    return {
        name: "talosctl",
        persistent: globalFlags(minor),
        children: [
            {
                name: "apply-config",
                aliases: ["apply"],
                runnable: true,
                args: { kind: "none" },
                flags: [
                    ss("cert-fingerprint"),
                    { name: "config-patch", short: "p", type: "stringArray", def: [] },
                    b("dry-run"),
                    s("file", "", "f", "the filename of the updated configuration"),
                    b("insecure", false, "i"),
                    { ...s("mode", "auto", "m", "apply config mode"), enumValues: applyModes },
                    d("timeout", "1m0s", "the config will be rolled back after specified timeout (if try mode is selected)"),
                ],
            },
            { name: "bootstrap", runnable: true, args: { kind: "none" }, flags: [s("recover-from"), b("recover-skip-hash-check")] },
            {
                name: "config",
                children: [{ name: "info", runnable: true, args: { kind: "none" }, flags: [s("output", "text", "o", "output format (json|yaml|text). Default text.")] }],
            },
            { name: "etcd", children: etcdChildren },
            {
                name: "get",
                use: "get <type> [<id>]",
                aliases: ["g"],
                runnable: true,
                args: { kind: "range", min: 1, max: 2 },
                flags: [b("insecure", false, "i"), s("namespace"), s("output", "table", "o", "output mode (json, table, yaml, jsonpath)"), b("watch", false, "w")],
            },
            {
                name: "health",
                runnable: true,
                args: { kind: "none" },
                flags: [ss("control-plane-nodes"), s("init-node"), s("k8s-endpoint"), b("run-e2e"), b("server", true), d("wait-timeout", "20m0s"), ss("worker-nodes")],
            },
            {
                name: "kubeconfig",
                use: "kubeconfig [local-path]",
                runnable: true,
                args: { kind: "max", n: 1 },
                flags: [b("force", false, "f"), s("force-context-name"), b("merge", true, "m")],
            },
            { name: "read", use: "read <path>", runnable: true, args: { kind: "exact", n: 1 } },
            { name: "reboot", runnable: true, args: { kind: "none" }, flags: rebootFlags },
            {
                name: "reset",
                runnable: true,
                args: { kind: "none" },
                flags: [
                    ...trackFlags(),
                    b("graceful", true),
                    b("insecure"),
                    b("reboot"),
                    ss("system-labels-to-wipe"),
                    ss("user-disks-to-wipe"),
                    { ...s("wipe-mode", "all"), enumValues: ["all", "system-disk", "user-disks"] },
                ],
            },
            { name: "service", use: "service [<id> [start|stop|restart|status]]", runnable: true, args: { kind: "max", n: 2 } },
            { name: "shutdown", runnable: true, args: { kind: "none" }, flags: [...trackFlags(), b("force")] },
            { name: "upgrade", runnable: true, args: { kind: "none" }, flags: upgradeFlags },
            { name: "upgrade-k8s", runnable: true, args: { kind: "none" }, flags: upgradeK8sFlags },
            { name: "version", runnable: true, args: { kind: "none" }, flags: [b("client"), b("insecure", false, "i"), { ...b("json"), hidden: true }, b("short")] },
        ],
    };
}
