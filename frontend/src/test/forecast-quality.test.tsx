import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ForecastOverview } from "../api/types";
import { ForecastQuality } from "../features/forecasting/ForecastQuality";

afterEach(cleanup);

const base: ForecastOverview = {
  anomaly_detection_accuracy: null,
  risk_prediction_confidence: null,
  anomaly_detection: null,
  risk_calibration: null,
  upcoming_risks: [],
  ets_forecasts: { generated_at: null, horizon: 60, series: [] },
};

describe("ForecastQuality", () => {
  it("says 'not enough data yet' for null figures, never a number", () => {
    render(<ForecastQuality overview={base} />);
    expect(screen.getByTestId("figure-anomaly-detection").textContent).toContain("not enough data yet");
    expect(screen.getByTestId("figure-risk-confidence").textContent).toContain("not enough data yet");
    expect(screen.getByText("No prediction has come due yet.")).toBeTruthy();
  });

  it("shows the figures with their window and counts", () => {
    render(
      <ForecastQuality
        overview={{
          ...base,
          anomaly_detection_accuracy: 84.62,
          risk_prediction_confidence: 79.5,
          anomaly_detection: {
            window_start: "2026-05-01T00:00:00Z", window_end: "2026-05-02T00:00:00Z", tolerance_seconds: 900,
            events: 13, detected: 11, missed: 2, pending: 1, flags: 13, true_flags: 11,
            precision: 11 / 13, recall: 11 / 13, f1: 11 / 13,
          },
          risk_calibration: {
            window_start: "2026-05-01T00:00:00Z", window_end: "2026-05-02T00:00:00Z",
            predictions: 4, hits: 3, brier_score: 0.205, hit_rate: 0.75, pending: 2,
          },
        }}
      />,
    );
    expect(screen.getByTestId("figure-anomaly-detection").textContent).toContain("84.6 %");
    const detection = screen.getByTestId("anomaly-detection-detail").textContent ?? "";
    expect(detection).toContain("11 of 13 flags");
    expect(detection).toContain("2 missed");
    expect(detection).toContain("last 24 h");
    expect(detection).toContain("15 min");
    expect(screen.getByTestId("figure-risk-confidence").textContent).toContain("79.5 %");
    const calibration = screen.getByTestId("risk-calibration-detail").textContent ?? "";
    expect(calibration).toContain("Brier score 0.205");
    expect(calibration).toContain("3 of 4 predictions");
    expect(calibration).toContain("75.0 %");
  });
});
