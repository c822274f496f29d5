/**
 * What the engine passes a dynamic provider's `check` and `diff` for a value not known during
 * preview (e.g. the id of a schematic that is about to be replaced): this string, at the value's
 * place, however deep (the Node.js SDK's `unknownValue`).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when the value, or anything inside it, is not known yet. */
export function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(hasUnknown);
    return false;
}
