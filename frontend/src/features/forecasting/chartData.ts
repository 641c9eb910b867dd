import type { SeriesDetail } from "../../api/types";

export type Column = (number | null)[];

/** Columns for uPlot: time (s), history, forecast, lower, upper, anomalies, threshold; one row per timestamp.
 * ``extendTo`` (an ISO time, such as an ETA past the forecast) adds an empty last row so the time axis reaches it. */
export function chartColumns(data: SeriesDetail, threshold: number | null, extendTo: string | null = null): Column[] {
  const rows = new Map<number, Column>();
  const row = (timestamp: string) => {
    const t = Date.parse(timestamp) / 1000;
    let found = rows.get(t);
    if (!found) {
      found = [t, null, null, null, null, null, threshold];
      rows.set(t, found);
    }
    return found;
  };
  for (const p of data.history) row(p.timestamp)[1] = p.value;
  for (const p of data.forecast.points) {
    const r = row(p.timestamp);
    [r[2], r[3], r[4]] = [p.value, p.lower ?? null, p.upper ?? null];
  }
  for (const a of data.anomalies) row(a.timestamp)[5] = a.value;
  const latest = Math.max(...rows.keys());
  if (extendTo && Date.parse(extendTo) / 1000 > latest) row(extendTo); // an earlier one would break the lines
  const last = data.history[data.history.length - 1];
  if (last && data.forecast.points.length) {
    const r = row(last.timestamp); // the forecast starts where the history ends
    [r[2], r[3], r[4]] = [last.value, last.value, last.value];
  }
  const sorted = [...rows.values()].sort((a, b) => (a[0] as number) - (b[0] as number));
  return sorted[0].map((_, column) => sorted.map((r) => r[column]));
}

