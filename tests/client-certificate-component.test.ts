import * as pulumi from "@pulumi/pulumi";

/**
 * The ClientCertificate component under Pulumi mocks in preview: what it registers, and the
 * preview's warning. The mock answers a planned create the way the engine does for a provider
 * without preview support: with the checked inputs (which carry `expiring` when a renewal is due).
 */

const HOUR = 3600_000;
/** How a secret value is marked on the wire (pulumi runtime/rpc specialSigKey / specialSecretSig). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const registered: Record<string, any>[] = [];
let state: (inputs: Record<string, any>) => Record<string, any> = (inputs) => inputs;

pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            registered.push(a.inputs);
            return { id: `${a.name}-id`, state: state(a.inputs) };
        },
        call: () => ({}),
    },
    "platform",
    "test",
    true,
);

/** Waits for an Output, known or not (an unknown one never runs its apply); internal API, as tools/engine uses it. */
async function settled<T>(o: pulumi.Output<T>): Promise<T | undefined> {
    return (o as unknown as { promise(withUnknowns: boolean): Promise<T | undefined> }).promise(true);
}

test("registers the checkout's folder, the CA key and the settings; no warning when nothing is expiring", async () => {
    const { ClientCertificate, warnWhenRenewing } = await import("../components/client-certificate");
    const { PROJECT_DIR } = await import("../components/checkout-provider");
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const cert = new ClientCertificate("infra-talosconfig", { caCertificate: "Y2E=", caKey: "a2V5", subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720 });
    await settled(warnWhenRenewing(cert, "talosconfig"));
    const inputs = registered.at(-1)!;
    expect(inputs).toMatchObject({ projectDir: PROJECT_DIR, caCertificate: "Y2E=", subject: { organizations: ["os:admin"] }, validityHours: 8760, renewBeforeHours: 720 });
    // The CA key goes to the engine as a secret even when the caller passed it plain.
    expect(inputs.caKey).toEqual({ [SECRET_SIG_KEY]: SECRET_SIG, value: "a2V5" });
    expect(typeof inputs.__provider).toBe("string");
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
});

test("a preview that renews an expiring certificate warns with its date, what is left and the window", async () => {
    const { ClientCertificate, warnWhenRenewing } = await import("../components/client-certificate");
    const expiring = new Date(Date.now() + 12 * 24 * HOUR + HOUR);
    state = (inputs) => ({ ...inputs, expiring: expiring.toISOString() });
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const cert = new ClientCertificate("infra-kubeconfig", { caCertificate: "Y2E=", caKey: "a2V5", subject: { commonName: "admin", organizations: ["system:masters"] }, validityHours: 8760, renewBeforeHours: 720 });
    await settled(warnWhenRenewing(cert, "kubeconfig"));
    expect(warn).toHaveBeenCalledWith(
        `warning: [runtime] the kubeconfig client certificate expires on ${expiring.toISOString().slice(0, 10)} (in 12 days), within the renewal window of 30 days: run pulumi up to renew it`,
    );
    warn.mockRestore();
});
