import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import { api, onAuthRequired, setToken } from "../../api/client";
import { KillSwitchControl } from "./KillSwitch";
import { LogPanel } from "./LogPanel";
import { SimulationControl } from "./Simulation";

function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState("");
  return (
    <div role="dialog" aria-modal="true" aria-labelledby="token-title" className="dialog">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setToken(value.trim());
          onDone();
        }}
      >
        <h2 id="token-title">API token required</h2>
        <label>
          Token (OPSFORGE_API_TOKEN)
          <input type="password" autoFocus required value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        <button type="submit" className="primary">Save for this session</button>
      </form>
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const health = useQuery({ queryKey: ["health"], queryFn: api.health, refetchInterval: 5000, retry: false });
  const [needToken, setNeedToken] = useState(false);
  useEffect(() => onAuthRequired(() => setNeedToken(true)), []);
  return (
    <div className="app">
      <header className="header">
        <strong className="brand">OpsForge</strong>
        <KillSwitchControl />
      </header>
      {health.isError && (
        <div className="banner" role="alert">The API is not reachable; retrying every few seconds…</div>
      )}
      <nav className="sidebar" aria-label="Main">
        <NavLink to="/" end>Dashboard</NavLink>
        <NavLink to="/incidents">Incidents</NavLink>
        <NavLink to="/alerts">Alerts</NavLink>
        <NavLink to="/forecasting">Forecasting</NavLink>
        <NavLink to="/patches">Patch Management</NavLink>
        <NavLink to="/approvals">Approvals</NavLink>
        <NavLink to="/silences">Silences</NavLink>
        <NavLink to="/audit-logs">Audit Logs</NavLink>
        <NavLink to="/topology">Topology</NavLink>
        <SimulationControl />
      </nav>
      <main className="content">{children}</main>
      <LogPanel />
      {needToken && <TokenPrompt onDone={() => setNeedToken(false)} />}
    </div>
  );
}
