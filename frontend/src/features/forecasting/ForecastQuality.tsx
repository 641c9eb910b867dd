import type { DetectionQuality, ForecastOverview, RiskCalibration } from "../../api/types";

const percent = (ratio: number | null) => (ratio === null ? "–" : `${(100 * ratio).toFixed(1)} %`);
const hours = (start: string, end: string) => Math.round((Date.parse(end) - Date.parse(start)) / 3_600_000);

function DetectionDetail({ quality }: { quality: DetectionQuality }) {
  return (
    <p className="muted" data-testid="anomaly-detection-detail">
      Precision {percent(quality.precision)} ({quality.true_flags} of {quality.flags} flags inside a fault),
      recall {percent(quality.recall)} ({quality.detected} of {quality.events} fault effects detected,
      {" "}{quality.missed} missed, {quality.pending} still open) over the last{" "}
      {hours(quality.window_start, quality.window_end)} h of event time; a flag up to{" "}
      {Math.round(quality.tolerance_seconds / 60)} min after a fault ended still counts.
    </p>
  );
}

function CalibrationDetail({ calibration }: { calibration: RiskCalibration }) {
  return (
    <p className="muted" data-testid="risk-calibration-detail">
      Brier score {calibration.brier_score.toFixed(3)} (0 is perfect, 0.25 a coin toss), hit rate{" "}
      {percent(calibration.hit_rate)}: {calibration.hits} of {calibration.predictions} predictions that came due in
      the last {hours(calibration.window_start, calibration.window_end)} h of event time reached their threshold;{" "}
      {calibration.pending} not yet due.
    </p>
  );
}

/** The two forecast-quality figures, what each measures, and "not enough data yet" while one is null. */
export function ForecastQuality({ overview }: { overview: ForecastOverview }) {
  const quality = overview.anomaly_detection;
  const calibration = overview.risk_calibration;
  const accuracy = overview.anomaly_detection_accuracy;
  const confidence = overview.risk_prediction_confidence;
  return (
    <section aria-label="Forecast quality" className="cards">
      <article className="card" data-testid="figure-anomaly-detection">
        <h2>Anomaly detection accuracy</h2>
        <p className="figure">{accuracy === null ? "not enough data yet" : `${accuracy.toFixed(1)} %`}</p>
        <p className="muted">
          F1 of anomaly flags against the simulator's injected faults: a fault's effect on a host's metric is
          detected by a flag on that metric while it lasts; flags outside every fault are false alarms.
        </p>
        {quality ? <DetectionDetail quality={quality} /> : <p className="muted">No ground truth for real sources.</p>}
      </article>
      <article className="card" data-testid="figure-risk-confidence">
        <h2>Risk prediction confidence</h2>
        <p className="figure">{confidence === null ? "not enough data yet" : `${confidence.toFixed(1)} %`}</p>
        <p className="muted">
          100 × (1 − Brier score) of threshold-crossing predictions, judged when the series reaches the threshold
          or when the horizon their probability is about has passed.
        </p>
        {calibration ? (
          <CalibrationDetail calibration={calibration} />
        ) : (
          <p className="muted">No prediction has come due yet.</p>
        )}
      </article>
    </section>
  );
}
