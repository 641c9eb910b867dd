import { describe, expect, it } from "vitest";
import type { SeriesDetail } from "../api/types";
import { chartColumns } from "../features/forecasting/chartData";

const detail: SeriesDetail = {
  host: "web-1",
  metric: "disk",
  history: [
    { timestamp: "2026-05-01T00:00:00Z", value: 50, lower: null, upper: null },
    { timestamp: "2026-05-01T00:01:00Z", value: 51, lower: null, upper: null },
  ],
  forecast: {
    model: "holt",
    step_seconds: 60,
    points: [{ timestamp: "2026-05-01T00:02:00Z", value: 52, lower: 51, upper: 53 }],
  },
  anomalies: [{ timestamp: "2026-05-01T00:01:00Z", value: 51, score: 0.9 }],
};

describe("chartColumns", () => {
  it("aligns history, forecast band, anomalies and threshold on one time axis", () => {
    const [t, history, point, lower, upper, anomaly, threshold] = chartColumns(detail, 90);
    expect(t).toEqual([1777593600, 1777593660, 1777593720]);
    expect(history).toEqual([50, 51, null]);
    expect(point).toEqual([null, 51, 52]); // the forecast starts from the newest sample
    expect(lower).toEqual([null, 51, 51]);
    expect(upper).toEqual([null, 51, 53]);
    expect(anomaly).toEqual([null, 51, null]);
    expect(threshold).toEqual([90, 90, 90]);
  });

  it("reaches an ETA past the forecast with an empty row", () => {
    const columns = chartColumns(detail, 90, "2026-05-01T01:00:00Z");
    expect(columns[0].at(-1)).toBe(1777597200);
    expect(columns.slice(1, 6).map((c) => c.at(-1))).toEqual([null, null, null, null, null]);
    expect(chartColumns(detail, 90, "2026-05-01T00:01:30Z")[0]).toHaveLength(3); // inside: no gap added
  });

  it("leaves the threshold empty when the metric has none", () => {
    expect(chartColumns(detail, null)[6]).toEqual([null, null, null]);
  });
});
