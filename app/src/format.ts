/** Small display helpers (no protocol logic). */

/** `0x1234…abcd` */
export function short(hex: string, head = 6, tail = 4): string {
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** A duration in seconds as `2 days 4 h`, `1 h 05 min`, `4 min 05 s`, `1 min`, `12 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return `${d} day${d > 1 ? "s" : ""}${h > 0 ? ` ${h} h` : ""}`;
  if (h > 0) return m > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${h} h`;
  if (m > 0) return r > 0 ? `${m} min ${String(r).padStart(2, "0")} s` : `${m} min`;
  return `${r} s`;
}

/** A countdown as `mm:ss` (or `h:mm:ss`). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A chain timestamp (seconds) as local date and time. */
export function when(timestamp: number): string {
  return new Date(timestamp * 1000).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
}

/** Basis points as a percentage (`150` → `1.5%`). */
export function bps(v: number): string {
  return `${(v / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })}%`;
}

/** A big integer with thousands separators. */
export function grouped(v: bigint | number): string {
  return BigInt(v).toLocaleString("en-US");
}

/** Bytes as rows of hex (`width` bytes per row). */
export function hexRows(bytes: Uint8Array, width = 28): string[] {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += width) {
    rows.push(Array.from(bytes.subarray(i, i + width), (b) => b.toString(16).padStart(2, "0")).join(" "));
  }
  return rows;
}
