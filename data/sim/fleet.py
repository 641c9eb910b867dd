"""The simulated MSP fleet: tenants with two sites each, hosts with roles, OS, packages and criticality,
and each tenant's services with a dependency graph (``a -> b`` means a calls b).

A fleet is built once from a seeded `random.Random`; the same seed and size always give the same fleet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from data.models import ServiceIn, TopologyIn

ROLES: tuple[str, ...] = ("web", "api", "db", "cache", "queue", "storage", "dns", "lb", "backup")
TENANT_NAMES = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
SITE_CODES = ("fra1", "ams1", "lon1", "nyc1", "sfo1", "sgp1", "syd1", "tor1")


@dataclass(frozen=True)
class ServiceTemplate:
    suffix: str
    role: str
    calls: tuple[str, ...]
    min_hosts: int
    weight: float
    criticality: str
    tls: bool


# Every tenant runs the same shape of stack; the edge lb has one host per site (it is also the site
# gateway), the database a primary in the first site and a replica in the second.
TEMPLATES: tuple[ServiceTemplate, ...] = (
    ServiceTemplate("lb", "lb", ("web",), 2, 0.3, "critical", True),
    ServiceTemplate("web", "web", ("api", "auth", "cache"), 1, 3.0, "high", True),
    ServiceTemplate("api", "api", ("db", "cache", "queue", "integration"), 1, 3.0, "high", True),
    ServiceTemplate("auth", "api", ("db",), 1, 0.5, "high", True),
    ServiceTemplate("integration", "api", (), 1, 0.3, "medium", True),
    ServiceTemplate("db", "db", ("storage",), 2, 1.0, "critical", False),
    ServiceTemplate("cache", "cache", (), 1, 0.8, "high", False),
    ServiceTemplate("queue", "queue", (), 1, 0.5, "medium", False),
    ServiceTemplate("storage", "storage", (), 1, 0.8, "high", False),
    ServiceTemplate("dns", "dns", (), 1, 0.3, "high", False),
    ServiceTemplate("backup", "backup", ("db", "storage"), 1, 0.3, "low", False),
)
MIN_HOSTS_PER_TENANT = sum(t.min_hosts for t in TEMPLATES)

_PACKAGES_LINUX = {
    "openssl": ("3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.12"),
    "openssh": ("8.9p1-3ubuntu0.4", "8.9p1-3ubuntu0.6"),
    "linux-kernel": ("5.15.0-88", "5.15.0-91"),
    "glibc": ("2.35-0ubuntu3.4", "2.35-0ubuntu3.5"),
}
_PACKAGES_WINDOWS = {
    "windows-cumulative": ("2026-09", "2026-10"),
    "openssl": ("3.0.11", "3.0.12"),
    "dotnet-runtime": ("8.0.8", "8.0.10"),
}
_ROLE_PACKAGES = {
    "web": {"nginx": ("1.24.0", "1.25.3")},
    "lb": {"haproxy": ("2.8.3", "2.8.5")},
    "api": {"python3": ("3.11.6", "3.11.8")},
    "db": {"postgresql": ("15.4", "15.5")},
    "cache": {"redis": ("7.2.3", "7.2.4")},
    "queue": {"rabbitmq-server": ("3.12.8", "3.12.10")},
    "storage": {"ceph": ("18.2.0", "18.2.1")},
    "dns": {"bind9": ("9.18.18", "9.18.24")},
    "backup": {"restic": ("0.16.2", "0.16.4")},
}


@dataclass
class Host:
    """One machine. ``packages`` (name -> version) changes when patches are applied or rolled back."""

    index: int
    name: str
    tenant: str
    site: str
    role: str
    service: str
    os: str
    criticality: str
    tls: bool
    packages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    name: str
    tenant: str
    role: str
    suffix: str
    hosts: tuple[str, ...]
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Tenant:
    name: str
    sites: tuple[str, ...]


def _allocate(total: int, rng: random.Random) -> list[int]:
    """Split ``total`` hosts over the templates: every minimum first, the rest by weight (largest remainder)."""
    counts = [t.min_hosts for t in TEMPLATES]
    extra = total - sum(counts)
    weights = np.array([t.weight for t in TEMPLATES])
    shares = extra * weights / weights.sum()
    floors = np.floor(shares).astype(int)
    counts = [c + int(f) for c, f in zip(counts, floors, strict=True)]
    remainder = extra - int(floors.sum())
    order = sorted(range(len(TEMPLATES)), key=lambda i: (-(shares[i] - floors[i]), rng.random()))
    for i in order[:remainder]:
        counts[i] += 1
    return counts


class Fleet:
    """Tenants, sites, hosts and services with the dependency graph; read-mostly after construction."""

    def __init__(self, *, seed: int, n_hosts: int = 60, n_tenants: int = 4) -> None:
        if n_tenants < 1:
            raise ValueError("n_tenants must be at least 1")
        if n_hosts < MIN_HOSTS_PER_TENANT * n_tenants:
            raise ValueError(f"n_hosts must be at least {MIN_HOSTS_PER_TENANT} per tenant")
        rng = random.Random(f"fleet:{seed}")
        self.tenants: list[Tenant] = []
        self.hosts: list[Host] = []
        self.services: dict[str, Service] = {}
        self.graph: nx.DiGraph = nx.DiGraph()
        base, spare = divmod(n_hosts, n_tenants)
        for t in range(n_tenants):
            name = TENANT_NAMES[t] if t < len(TENANT_NAMES) else f"tenant{t + 1:02d}"
            codes = rng.sample(SITE_CODES, 2)
            tenant = Tenant(name, (f"{name}-{codes[0]}", f"{name}-{codes[1]}"))
            self.tenants.append(tenant)
            self._build_tenant(tenant, base + (1 if t < spare else 0), rng)
        self.host_index: dict[str, int] = {h.name: h.index for h in self.hosts}
        self.service_names: list[str] = list(self.services)
        service_pos = {s: i for i, s in enumerate(self.service_names)}
        self.host_service_idx: NDArray[np.int64] = np.array([service_pos[h.service] for h in self.hosts])
        self.host_role: list[str] = [h.role for h in self.hosts]

    def _build_tenant(self, tenant: Tenant, n_hosts: int, rng: random.Random) -> None:
        counts = _allocate(n_hosts, rng)
        for template, count in zip(TEMPLATES, counts, strict=True):
            service = f"{tenant.name}-{template.suffix}"
            names: list[str] = []
            sites: list[str] = []
            for i in range(count):
                # Backups live in the second (recovery) site; everything else alternates starting at the first.
                site = tenant.sites[(i + (1 if template.suffix == "backup" else 0)) % 2]
                host = self._make_host(f"{service}-{i + 1:02d}", tenant.name, site, template, service, rng)
                self.hosts.append(host)
                names.append(host.name)
                if site not in sites:
                    sites.append(site)
            self.services[service] = Service(
                service, tenant.name, template.role, template.suffix, tuple(names), tuple(sites)
            )
            self.graph.add_node(service, tenant=tenant.name, role=template.role)
        for template in TEMPLATES:
            caller = f"{tenant.name}-{template.suffix}"
            for callee in template.calls:
                self.graph.add_edge(caller, f"{tenant.name}-{callee}")
            if template.suffix != "dns":
                self.graph.add_edge(caller, f"{tenant.name}-dns")

    def _make_host(
        self, name: str, tenant: str, site: str, template: ServiceTemplate, service: str, rng: random.Random
    ) -> Host:
        windows = template.suffix in ("auth", "integration") and rng.random() < 0.5
        os_name = "windows-2022" if windows else rng.choice(("ubuntu-22.04", "ubuntu-22.04", "rhel-9"))
        catalogue = dict(_PACKAGES_WINDOWS if windows else _PACKAGES_LINUX)
        if not windows:
            catalogue.update(_ROLE_PACKAGES.get(template.role, {}))
        packages = {pkg: rng.choice(versions) for pkg, versions in sorted(catalogue.items())}
        return Host(
            index=len(self.hosts),
            name=name,
            tenant=tenant,
            site=site,
            role=template.role,
            service=service,
            os=os_name,
            criticality=template.criticality,
            tls=template.tls,
            packages=packages,
        )

    # ------------------------------------------------------------------------------------------ queries

    def host(self, name: str) -> Host:
        """Return the host called ``name``; raises KeyError when there is none."""
        return self.hosts[self.host_index[name]]

    def callers(self, service: str) -> list[str]:
        """Return the services that call ``service`` directly, sorted by name."""
        return sorted(self.graph.predecessors(service))

    def tenant_services(self, tenant: str) -> list[Service]:
        """Return ``tenant``'s services in template order."""
        return [s for s in self.services.values() if s.tenant == tenant]

    def service_by_suffix(self, tenant: str, suffix: str) -> Service:
        """Return ``tenant``'s service of that kind (``"db"`` -> ``acme-db``); KeyError when there is none."""
        return self.services[f"{tenant}-{suffix}"]

    def dependencies(self, tenant: str) -> list[tuple[str, str]]:
        """Return the (caller, callee) edges inside ``tenant``, sorted."""
        return sorted((a, b) for a, b in self.graph.edges if self.graph.nodes[a]["tenant"] == tenant)

    def topology(self, tenant: str) -> TopologyIn:
        """Return ``tenant``'s service graph in the ingest format."""
        services = [
            ServiceIn(name=s.name, hosts=list(s.hosts), site=s.sites[0] if len(s.sites) == 1 else None)
            for s in self.tenant_services(tenant)
        ]
        return TopologyIn(tenant=tenant, services=services, dependencies=self.dependencies(tenant))
