import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api } from "../../api/client";
import type { LogEntry } from "../../api/types";

const MAX_LINES = 1000;

/** Appends entries newer than the last seq, keeping the newest MAX_LINES. */
export function appendLogs(current: LogEntry[], incoming: LogEntry[]): LogEntry[] {
  const last = current.length ? current[current.length - 1].seq : 0;
  const fresh = incoming.filter((entry) => entry.seq > last);
  if (!fresh.length) return current;
  const merged = current.concat(fresh);
  return merged.length > MAX_LINES ? merged.slice(merged.length - MAX_LINES) : merged;
}

/** The live log panel: Server-Sent Events, with polling of /api/logs while the stream is down. */
export function LogPanel() {
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [paused, setPaused] = useState(false);
  const [type, setType] = useState("");
  const [agent, setAgent] = useState("");
  const [follow, setFollow] = useState(true);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const source = new EventSource("/api/logs/stream");
    source.onopen = () => setStreaming(true);
    source.onerror = () => setStreaming(false);
    source.onmessage = (event: MessageEvent<string>) => {
      if (pausedRef.current) return;
      setLines((current) => appendLogs(current, [JSON.parse(event.data) as LogEntry]));
    };
    return () => source.close();
  }, []);

  const lastSeq = lines.length ? lines[lines.length - 1].seq : 0;
  const poll = useQuery({
    queryKey: ["logs-poll", lastSeq],
    queryFn: () => api.logs(lastSeq),
    enabled: !streaming && !paused,
    refetchInterval: 3000,
  });
  useEffect(() => {
    if (poll.data) setLines((current) => appendLogs(current, poll.data.logs));
  }, [poll.data]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const types = [...new Set(lines.map((line) => line.type))].sort();
  const agents = [...new Set(lines.map((line) => line.agent).filter((a): a is string => !!a))].sort();
  const shown = lines.filter((line) => (!type || line.type === type) && (!agent || line.agent === agent));

  return (
    <section className="log-panel" aria-label="System logs">
      <div className="row log-controls">
        <h2>System Logs</h2>
        <span className="muted">{streaming ? "live" : "polling"}</span>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">all</option>
            {types.map((t) => <option key={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Agent
          <select value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">all</option>
            {agents.map((a) => <option key={a}>{a}</option>)}
          </select>
        </label>
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" onClick={() => setLines([])}>Clear</button>
      </div>
      <div
        className="log-lines"
        ref={box}
        data-testid="log-lines"
        tabIndex={0}
        onScroll={(event) => {
          const el = event.currentTarget;
          setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
        }}
      >
        {shown.map((line) => (
          <div key={line.seq} className={`log log-${line.type.toLowerCase()}`}>
            <time>{new Date(line.timestamp).toLocaleTimeString()}</time> <b>{line.type}</b>
            {line.agent ? ` [${line.agent}]` : ""} {line.message}
          </div>
        ))}
      </div>
    </section>
  );
}
