/** Picking fields out of 1Password items (as the provider's `getItem` returns them). */
import type { ItemFieldRef } from "../model";

/** The parts of a `getItem` result we read. */
export interface OnePasswordItem {
    title?: string;
    username?: string;
    password?: string;
    credential?: string;
    noteValue?: string;
    privateKey?: string;
    publicKey?: string;
    sections?: { label?: string; fields?: { label?: string; value?: string }[] }[];
}

const BUILT_IN_FIELDS = ["username", "password", "credential", "noteValue", "privateKey", "publicKey"] as const;

/** 1Password vault UUIDs are 26 lowercase alphanumerics; anything else is taken as a vault name. */
export function isVaultUuid(vault: string): boolean {
    return /^[a-z0-9]{26}$/.test(vault);
}

/**
 * The value of a field: one of the item's built-in fields (username, password, credential, ...)
 * or a custom field by its label. Fails naming the item and the fields it does have (never values).
 */
export function itemField(item: OnePasswordItem, ref: ItemFieldRef): string {
    const builtIn = (BUILT_IN_FIELDS as readonly string[]).includes(ref.field) ? item[ref.field as (typeof BUILT_IN_FIELDS)[number]] : undefined;
    if (builtIn) return builtIn;
    const custom = (item.sections ?? []).flatMap((s) => s.fields ?? []).find((f) => f.label === ref.field);
    if (custom?.value) return custom.value;
    const available = [
        ...BUILT_IN_FIELDS.filter((f) => item[f]),
        ...(item.sections ?? []).flatMap((s) => (s.fields ?? []).filter((f) => f.value).map((f) => f.label ?? "")),
    ];
    throw new Error(
        `1Password item "${ref.item}" in vault "${ref.vault}" has no non-empty field "${ref.field}"; its fields are: ${available.join(", ") || "(none)"}`,
    );
}
