import { z } from "zod";
import { Cidr, Hostname, intAtLeast, intBetween, Ipv4, Mac, Mtu } from "./fields";

/** The node network and the nodes (`platform:network`, `platform:nodes`); see schema.ts. */

const RING = "an ethtool ring size such as 4096 (`ethtool -g <link>` shows the maximum)";

export const BondSchema = z
    .object({
        mode: z.enum(["802.3ad", "active-backup", "balance-xor", "balance-alb", "balance-tlb"]).default("802.3ad"),
        /** 802.3ad only (Talos refuses it in other modes); derive applies the default `fast` there. */
        lacpRate: z.enum(["slow", "fast"]).optional(),
        xmitHashPolicy: z.enum(["layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4"]).default("layer3+4"),
        miimon: intAtLeast(0, "milliseconds between link checks (100 is usual, 0 turns link monitoring off)").default(100),
        mtu: Mtu.default(9000),
    })
    .strict();

export const VlanSchema = z
    .object({
        id: intBetween(1, 4094, "the VLAN tag configured on the switch ports"),
        mtu: Mtu.default(1500),
    })
    .strict();

export const NetworkSchema = z
    .object({
        nodeCidr: Cidr,
        gateway: Ipv4,
        nameservers: z.array(Ipv4).min(1).optional(),
        podCidr: Cidr,
        serviceCidr: Cidr,
        bond: BondSchema.default(BondSchema.parse({})),
        vlans: z.array(VlanSchema).default([]),
        /** ethtool ring sizes applied to every bond member (Talos EthernetConfig). */
        rings: z.object({ rx: intAtLeast(1, RING), tx: intAtLeast(1, RING) }).strict().optional(),
    })
    .strict();

export const DiskSelectorSchema = z
    .object({
        size: z.string().optional(),
        name: z.string().optional(),
        model: z.string().optional(),
        serial: z.string().optional(),
        modalias: z.string().optional(),
        uuid: z.string().optional(),
        wwid: z.string().optional(),
        type: z.enum(["ssd", "hdd", "nvme", "sd"]).optional(),
        busPath: z.string().optional(),
    })
    .strict()
    .refine((s) => Object.keys(s).length > 0, { error: "must set at least one selector field" });

export const LinkSchema = z
    .object({
        /** Kernel link name (for the EthernetConfig document), e.g. enp1s0f0np0. */
        name: z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, { error: "must be a Linux link name such as enp1s0f0np0" }),
        /** Permanent MAC address; selects the link as a bond member. */
        mac: Mac,
    })
    .strict();

export const NodeSchema = z
    .object({
        hostname: Hostname,
        ip: Ipv4,
        role: z.enum(["controlplane", "worker"]),
        installDisk: z.string().regex(/^\/dev\/\S+$/, { error: "must be a device path such as /dev/nvme0n1" }).optional(),
        installDiskSelector: DiskSelectorSchema.optional(),
        /** The physical links bonded into bond0. */
        links: z.array(LinkSchema).min(1, { error: "must list at least one bond member link" }),
    })
    .strict();

export type NodeInput = z.infer<typeof NodeSchema>;
