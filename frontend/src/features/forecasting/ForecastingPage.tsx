import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api } from "../../api/client";
import type { BreachRow, RiskRow, SeriesDetail } from "../../api/types";
import { Empty, ErrorState, Loading } from "../../components/ui/States";
import { ForecastQuality } from "./ForecastQuality";
import { type ChartMarks, SeriesChart } from "./SeriesChart";

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");

function marksOf(detail: SeriesDetail): ChartMarks {
  const risk = detail.risk;
  return {
    threshold: detail.threshold ?? null,
    eta: risk?.eta ?? null,
    etaEarliest: risk?.eta_earliest ?? null,
    etaLatest: risk?.eta_latest ?? null,
  };
}

function BreachesTable({ breaches }: { breaches: BreachRow[] }) {
  if (!breaches.length) return <Empty>No series is over its threshold.</Empty>;
  return (
    <table className="table" data-testid="breaches-table">
      <thead>
        <tr><th>Since</th><th>Host</th><th>Metric</th><th>Value</th><th>Threshold</th><th>Source</th><th>Action</th></tr>
      </thead>
      <tbody>
        {breaches.map((b) => (
          <tr key={b.id}>
            <td>{b.since_known ? "" : "before "}{when(b.since)}</td>
            <td>{b.host}</td>
            <td>{b.metric}</td>
            <td>{b.value}</td>
            <td>{b.threshold}</td>
            <td>{b.source ?? "—"}</td>
            <td>{b.recommended_action}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RisksTable({ risks }: { risks: RiskRow[] }) {
  if (!risks.length) return <Empty>No forecast crosses a threshold.</Empty>;
  return (
    <table className="table" data-testid="risks-table">
      <thead>
        <tr>
          <th>ETA</th><th>95 % interval</th><th>Host</th><th>Metric</th><th>Now</th><th>Threshold</th>
          <th>Probability</th><th>Method</th><th>Source</th><th>Action</th>
        </tr>
      </thead>
      <tbody>
        {risks.map((risk) => (
          <tr key={risk.id}>
            <td>{when(risk.eta)}</td>
            <td>{when(risk.eta_earliest)} – {risk.eta_latest ? when(risk.eta_latest) : "beyond the forecast"}</td>
            <td>{risk.host}</td>
            <td>{risk.metric}</td>
            <td>{risk.last_value ?? "—"}</td>
            <td>{risk.threshold}</td>
            <td title={risk.probability_by ? `of crossing by ${when(risk.probability_by)}` : undefined}>
              {(100 * risk.probability).toFixed(0)} %
            </td>
            <td>{risk.method ?? "—"}</td>
            <td>{risk.source ?? "—"}</td>
            <td>{risk.recommended_action}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ForecastingPage() {
  const overview = useQuery({ queryKey: ["forecasts"], queryFn: api.forecasts, refetchInterval: 10_000 });
  // Every series with a risk or a breach can be charted, also when the forecast list is cut short.
  const series = useMemo(() => {
    const body = overview.data;
    if (!body) return [];
    const listed = body.ets_forecasts.series.map((s) => ({ host: s.host, metric: s.metric, source: s.source ?? null }));
    const names = new Set(listed.map((s) => `${s.host}/${s.metric}`));
    for (const row of [...body.upcoming_risks, ...(body.breaches ?? [])]) {
      if (!names.has(`${row.host}/${row.metric}`)) {
        names.add(`${row.host}/${row.metric}`);
        listed.push({ host: row.host, metric: row.metric, source: row.source ?? null });
      }
    }
    return listed;
  }, [overview.data]);
  const [choice, setChoice] = useState("");
  const selected = choice || (series.length ? `${series[0].host}/${series[0].metric}` : "");
  const [host, metric] = selected.split("/");
  const detail = useQuery({
    queryKey: ["series", selected],
    queryFn: () => api.series(host, metric),
    enabled: !!selected,
    refetchInterval: 10_000,
  });
  const marks = useMemo(() => (detail.data ? marksOf(detail.data) : null), [detail.data]);
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
              <option key={`${s.host}/${s.metric}`} value={`${s.host}/${s.metric}`}>
                {s.host} · {s.metric}{s.source ? ` (${s.source})` : ""}
              </option>
            ))}
          </select>
        </label>
      )}
      {detail.isError && <ErrorState error={detail.error} />}
      {detail.data && (
        <p className="muted" data-testid="series-source">
          Source: {detail.data.source ?? "unknown"}
          {detail.data.breach && <> · over its threshold since {when(detail.data.breach.since)}</>}
        </p>
      )}
      {detail.data && marks && <SeriesChart data={detail.data} marks={marks} />}
      <section aria-label="Breaches">
        <h2>Breaches</h2>
        {overview.data && <BreachesTable breaches={overview.data.breaches ?? []} />}
      </section>
      <section aria-label="Upcoming risks">
        <h2>Upcoming risks</h2>
        {overview.data && <RisksTable risks={overview.data.upcoming_risks} />}
      </section>
    </div>
  );
}
