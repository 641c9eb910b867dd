import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { SeriesDetail } from "../../api/types";
import { Empty, ErrorState, Loading } from "../../components/ui/States";
import { ForecastQuality } from "./ForecastQuality";

/** History, forecast and its 95 % band on one time axis, as an SVG line chart. */
function SeriesChart({ data }: { data: SeriesDetail }) {
  const history = data.history.slice(-240);
  const points = data.forecast.points;
  if (history.length < 2) return <Empty>Not enough history yet.</Empty>;
  const times = [...history, ...points].map((p) => Date.parse(p.timestamp));
  const values = [
    ...history.map((p) => p.value),
    ...points.flatMap((p) => [p.value, p.lower ?? p.value, p.upper ?? p.value]),
  ];
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (v1 - v0 < 1e-9) [v0, v1] = [v0 - 1, v1 + 1];
  const x = (t: string) => (100 * (Date.parse(t) - t0)) / (t1 - t0 || 1);
  const y = (v: number) => 48 - (44 * (v - v0)) / (v1 - v0) - 2;
  const line = (rows: { timestamp: string; value: number }[]) =>
    rows.map((p, i) => `${i ? "L" : "M"}${x(p.timestamp).toFixed(2)},${y(p.value).toFixed(2)}`).join(" ");
  const band = points.length
    ? `${points.map((p, i) => `${i ? "L" : "M"}${x(p.timestamp).toFixed(2)},${y(p.upper ?? p.value).toFixed(2)}`).join(" ")} ` +
      `${[...points].reverse().map((p) => `L${x(p.timestamp).toFixed(2)},${y(p.lower ?? p.value).toFixed(2)}`).join(" ")} Z`
    : "";
  return (
    <figure>
      <svg viewBox="0 0 100 50" preserveAspectRatio="none" className="series-chart" role="img"
        aria-label={`${data.metric} on ${data.host}: history and forecast`} data-testid="series-chart">
        {band && <path d={band} className="band" />}
        <path d={line(history)} className="history" />
        {points.length > 0 && <path d={line(points)} className="forecast" />}
        {data.anomalies
          .filter((a) => Date.parse(a.timestamp) >= t0)
          .map((a) => (
            <circle key={a.timestamp} cx={x(a.timestamp)} cy={y(a.value)} r={0.8} className="anomaly">
              <title>{`anomaly score ${a.score} at ${new Date(a.timestamp).toLocaleString()}`}</title>
            </circle>
          ))}
      </svg>
      <figcaption className="muted">
        {history.length} samples, {points.length}-step forecast ({data.forecast.model ?? "no model yet"}), shaded: 95 %
        interval, red dots: anomalies ({data.anomalies.length}). Range {v0.toFixed(2)} – {v1.toFixed(2)}.
      </figcaption>
    </figure>
  );
}

export function ForecastingPage() {
  const overview = useQuery({ queryKey: ["forecasts"], queryFn: api.forecasts, refetchInterval: 10_000 });
  const series = overview.data?.ets_forecasts.series ?? [];
  const [choice, setChoice] = useState("");
  const selected = choice || (series.length ? `${series[0].host}/${series[0].metric}` : "");
  const [host, metric] = selected.split("/");
  const detail = useQuery({
    queryKey: ["series", selected],
    queryFn: () => api.series(host, metric),
    enabled: !!selected,
    refetchInterval: 10_000,
  });
  return (
    <div className="page">
      <h1>Forecasting</h1>
      {overview.isPending && <Loading what="forecasts" />}
      {overview.isError && <ErrorState error={overview.error} />}
      {overview.data && <ForecastQuality overview={overview.data} />}
      {overview.data && !series.length && <Empty>No forecasts yet: they appear once series have an hour of history.</Empty>}
      {series.length > 0 && (
        <label>
          Series
          <select value={selected} onChange={(e) => setChoice(e.target.value)} name="series">
            {series.map((s) => (
              <option key={`${s.host}/${s.metric}`} value={`${s.host}/${s.metric}`}>{s.host} · {s.metric}</option>
            ))}
          </select>
        </label>
      )}
      {detail.isError && <ErrorState error={detail.error} />}
      {detail.data && <SeriesChart data={detail.data} />}
      <section aria-label="Upcoming risks">
        <h2>Upcoming risks</h2>
        {overview.data && !overview.data.upcoming_risks.length && <Empty>No forecast crosses a threshold.</Empty>}
        {overview.data && overview.data.upcoming_risks.length > 0 && (
          <table className="table" data-testid="risks-table">
            <thead>
              <tr><th>ETA</th><th>Host</th><th>Metric</th><th>Threshold</th><th>Probability</th><th>Action</th></tr>
            </thead>
            <tbody>
              {overview.data.upcoming_risks.map((risk) => (
                <tr key={risk.id}>
                  <td>{new Date(risk.eta).toLocaleString()}</td>
                  <td>{risk.host}</td>
                  <td>{risk.metric}</td>
                  <td>{risk.threshold}</td>
                  <td>{(100 * risk.probability).toFixed(0)} %</td>
                  <td>{risk.recommended_action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
