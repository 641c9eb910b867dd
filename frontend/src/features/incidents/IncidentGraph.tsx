import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Link } from "react-router";
import { ApiError, api } from "../../api/client";
import type { IncidentDetail } from "../../api/types";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const ServiceGraph = lazy(() => import("../topology/ServiceGraph"));

/** The tenant's service graph around an incident: its root, the services with alerts (and how many), and the
 * services next to them that stayed silent; pushed calls solid, learned ones dashed. */
export function IncidentGraph({ incident }: { incident: IncidentDetail }) {
  const tenant = incident.tenant ?? "";
  const topology = useQuery({
    queryKey: ["topology", tenant],
    queryFn: () => api.topology(tenant),
    enabled: tenant !== "",
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 1,
  });
  const alerts: Record<string, number> = {};
  for (const alert of incident.correlated_alerts) {
    const service = alert.labels.service;
    if (service) alerts[service] = (alerts[service] ?? 0) + 1;
  }
  let body;
  if (!tenant) body = <Empty>This incident has no tenant.</Empty>;
  else if (topology.isPending) body = <Loading what="service graph" />;
  else if (topology.isError)
    body = topology.error instanceof ApiError && topology.error.status === 404
      ? <Empty>No service graph known for {tenant} yet.</Empty>
      : <ErrorState error={topology.error} />;
  else
    body = (
      <Suspense fallback={<Loading what="service graph" />}>
        <ServiceGraph topology={topology.data} focus={{ services: incident.services, root: incident.rootCauseService, alerts }} />
      </Suspense>
    );
  return (
    <section aria-label="Service graph">
      <h2>Service graph {tenant && <Link to={`/topology/${encodeURIComponent(tenant)}`}>(all of {tenant})</Link>}</h2>
      {body}
    </section>
  );
}
