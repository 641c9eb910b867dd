import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SeriesDetail } from "../../api/types";
import { Empty } from "../../components/ui/States";
import { chartColumns } from "./chartData";

export interface ChartMarks {
  threshold: number | null;
  eta: string | null;
  etaEarliest: string | null;
  etaLatest: string | null;
}

/** Vertical lines at the ETA (solid) and its interval (dotted), drawn after the series. */
function etaPlugin(marks: ChartMarks): uPlot.Plugin {
  const at = (u: uPlot, iso: string | null, dash: number[], label: string | null) => {
    if (!iso) return;
    const x = u.valToPos(Date.parse(iso) / 1000, "x", true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#b42318";
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    if (label) {
      ctx.fillStyle = "#b42318";
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      ctx.fillText(label, x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
  };
  return {
    hooks: {
      draw: (u) => {
        at(u, marks.etaEarliest, [4, 4], null);
        at(u, marks.etaLatest, [4, 4], null);
        at(u, marks.eta, [], "ETA");
      },
    },
  };
}

/** History, forecast with its 95 % band, anomalies, threshold and ETA on one zoomable time axis (uPlot).
 * Drag to zoom the time axis, double-click to reset; the legend shows the values under the cursor. */
export function SeriesChart({ data, marks }: { data: SeriesDetail; marks: ChartMarks }) {
  const holder = useRef<HTMLDivElement>(null);
  const zoomed = useRef<[number, number] | null>(null); // kept while the data refreshes under it
  const enough = data.history.length >= 2;
  useEffect(() => {
    const element = holder.current;
    if (!element || !enough) return;
    // The time axis reaches the ETA when it lies past the forecast, so the marker is on the chart.
    const columns = chartColumns(data, marks.threshold, marks.eta);
    const times = columns[0] as number[];
    const xMax = times[times.length - 1];
    const options: uPlot.Options = {
      width: element.clientWidth || 800,
      height: 280,
      scales: { x: { time: true } },
      cursor: { drag: { x: true, y: false } },
      series: [
        {},
        { label: "history", stroke: "#1d2430", width: 1.5 },
        { label: "forecast", stroke: "#1f5eff", width: 1.5, dash: [6, 4] },
        { label: "lower 95 %", stroke: "rgba(31, 94, 255, .35)", width: 1 },
        { label: "upper 95 %", stroke: "rgba(31, 94, 255, .35)", width: 1 },
        { label: "anomaly", stroke: "#b42318", width: 0, points: { show: true, size: 7, fill: "#b42318" } },
        { label: "threshold", stroke: "#b54708", width: 1.5, dash: [2, 3], show: marks.threshold !== null },
      ],
      bands: [{ series: [4, 3], fill: "rgba(31, 94, 255, .15)" }],
      plugins: [etaPlugin(marks)],
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== "x") return;
            const [min, max] = [u.scales.x.min ?? times[0], u.scales.x.max ?? xMax];
            element.dataset.xMin = String(min);
            element.dataset.xMax = String(max);
            // A drag narrows the range; a double-click gives the whole range back.
            if (ready) zoomed.current = min > times[0] || max < xMax ? [min, max] : null;
          },
        ],
      },
    };
    const keep = zoomed.current;
    let ready = false;
    const chart = new uPlot(options, columns as uPlot.AlignedData, element);
    if (keep) chart.setScale("x", { min: keep[0], max: keep[1] });
    ready = true;
    const resize = () => chart.setSize({ width: element.clientWidth || 800, height: 280 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.destroy();
    };
  }, [data, marks, enough]);
  if (!enough) return <Empty>Not enough history yet.</Empty>;
  return (
    <figure>
      <div ref={holder} className="series-chart" data-testid="series-chart" role="img"
        aria-label={`${data.metric} on ${data.host}: history, forecast, threshold and ETA`} />
      <figcaption className="muted">
        {data.history.length} samples, {data.forecast.points.length}-step forecast ({data.forecast.model ?? "no model yet"}),
        shaded: 95 % interval, red dots: anomalies ({data.anomalies.length})
        {marks.threshold !== null && <>, dotted: threshold {marks.threshold}</>}
        {marks.eta && <>, red line: ETA {new Date(marks.eta).toLocaleString()}</>}. Drag to zoom, double-click to reset.
      </figcaption>
    </figure>
  );
}
