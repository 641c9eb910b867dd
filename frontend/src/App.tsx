import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Route, Routes } from "react-router";
import { Layout } from "./components/layout/Layout";
import { AlertsPage } from "./features/alerts/AlertsPage";
import { ApprovalsPage } from "./features/approvals/ApprovalsPage";
import { AuditLogsPage } from "./features/audit/AuditLogsPage";
import { DashboardPage } from "./features/dashboard/DashboardPage";
import { ForecastingPage } from "./features/forecasting/ForecastingPage";
import { IncidentDetailPage } from "./features/incidents/IncidentDetailPage";
import { IncidentsPage } from "./features/incidents/IncidentsPage";
import { PatchesPage } from "./features/patches/PatchesPage";
import { SilencesPage } from "./features/silences/SilencesPage";
import { TopologyPage } from "./features/topology/TopologyPage";

export const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 1000 } } });

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <Layout>
        <Routes>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/incidents" element={<IncidentsPage />} />
          <Route path="/incidents/:id" element={<IncidentDetailPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="/forecasting" element={<ForecastingPage />} />
          <Route path="/patches" element={<PatchesPage />} />
          <Route path="/approvals" element={<ApprovalsPage />} />
          <Route path="/silences" element={<SilencesPage />} />
          <Route path="/audit-logs" element={<AuditLogsPage />} />
          <Route path="/topology" element={<TopologyPage />} />
          <Route path="/topology/:tenant" element={<TopologyPage />} />
          <Route path="*" element={<p>Page not found.</p>} />
        </Routes>
      </Layout>
    </QueryClientProvider>
  );
}
