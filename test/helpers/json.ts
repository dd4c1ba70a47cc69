/** Every null anywhere in a JSON value, by path (ITF has no null). */
export function nulls(v: unknown, path = "$"): string[] {
  if (v === null) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => nulls(x, `${path}[${i}]`));
  if (typeof v === "object") return Object.entries(v as object).flatMap(([k, x]) => nulls(x, `${path}.${k}`));
  return [];
}
