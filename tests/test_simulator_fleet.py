"""The generated fleet: determinism, sparse ids and realistic values."""

from __future__ import annotations

from centreon.simulator import Fleet

EPOCH = 1_733_390_000.0


def _fleet(seed: int = 7, hosts: int = 200, per_host: int = 9) -> Fleet:
    return Fleet(seed=seed, hosts=hosts, services_per_host=per_host, epoch=EPOCH)


def _snapshot(fleet: Fleet) -> list[tuple[object, ...]]:
    return [
        (r.uuid, r.name, r.status.code, r.output, r.last_check, r.acknowledged)
        for r in fleet.resources
    ]


def test_fleet_default_size_gives_about_2000_detail_urls() -> None:
    """200 hosts with 9 services each give 2000 detail URLs."""
    fleet = _fleet()

    assert len(fleet.detail_paths) == 2000
    assert len(set(fleet.detail_paths)) == 2000


def test_fleet_is_deterministic_from_seed() -> None:
    """The same seed gives the same fleet; another seed a different one."""
    assert _snapshot(_fleet(seed=5)) == _snapshot(_fleet(seed=5))
    assert _snapshot(_fleet(seed=5)) != _snapshot(_fleet(seed=6))


def test_fleet_ids_are_sparse() -> None:
    """Host and service ids have gaps, as real databases do."""
    fleet = _fleet()
    host_ids = [h.id for h in fleet.hosts]
    service_ids = sorted({s.id for s in fleet.services})

    assert host_ids == sorted(set(host_ids))
    assert host_ids[-1] - host_ids[0] + 1 > len(host_ids)
    assert service_ids[-1] - service_ids[0] + 1 > len(service_ids)


def test_fleet_shares_service_ids_across_hosts() -> None:
    """Some service ids appear on several hosts, but never twice on one host."""
    fleet = _fleet()
    hosts_by_service: dict[int, set[int]] = {}
    for service in fleet.services:
        hosts_by_service.setdefault(service.id, set()).add(service.host.id)

    assert any(len(hosts) > 1 for hosts in hosts_by_service.values())
    for host in fleet.hosts:
        ids = [s.id for s in host.services]
        assert len(ids) == len(set(ids))


def test_fleet_has_host_and_service_with_the_same_id() -> None:
    """A host id may equal a service id, so ``id`` alone is not a key."""
    fleet = _fleet()

    assert {h.id for h in fleet.hosts} & {s.id for s in fleet.services}


def test_fleet_has_non_ascii_names_and_outputs() -> None:
    """Names and outputs include accents, CJK and emoji."""
    fleet = _fleet()
    text = " ".join(r.name + r.output for r in fleet.resources)

    assert "é" in text
    assert "日本" in text or "東京" in text
    assert any(ord(c) > 0xFFFF for c in text)


def test_fleet_has_realistic_variety() -> None:
    """The fleet holds problems, acks, downtimes, pending checks and decorations."""
    resources = _fleet().resources

    assert {r.status.name for r in resources} >= {"UP", "DOWN", "OK", "CRITICAL"}
    assert any(r.acknowledged for r in resources)
    assert any(r.in_downtime for r in resources)
    assert any(r.last_check is None for r in resources)
    assert any(r.severity for r in resources)
    assert any(r.groups for r in resources)
    assert any(r.categories for r in resources)
    assert any(r.icon for r in resources)
    assert any(r.action_url for r in resources)


def test_fleet_timestamps_precede_epoch() -> None:
    """Every check and status change happened before the fleet's epoch."""
    for resource in _fleet().resources:
        for when in (resource.last_check, resource.last_status_change):
            assert when is None or when < EPOCH


def test_fleet_lookups_find_every_resource() -> None:
    """Hosts, services and uuids resolve to the generated resources."""
    fleet = _fleet(hosts=20)

    for host in fleet.hosts:
        assert fleet.host(host.id) is host
        assert fleet.by_uuid(host.uuid) is host
    for service in fleet.services:
        assert fleet.service(service.host.id, service.id) is service
        assert fleet.by_uuid(service.uuid) is service
    assert fleet.host(1) is None


def test_fleet_status_change_bumps_version() -> None:
    """Changing a status updates the resource and the fleet's version."""
    fleet = _fleet(hosts=3)
    service = fleet.services[0]
    version = fleet.version

    fleet.change_status(service, 2, EPOCH + 10)

    assert service.status.name == "CRITICAL"
    assert service.last_status_change == EPOCH + 10
    assert fleet.version == version + 1


def test_fleet_more_services_than_names_stay_unique() -> None:
    """Asking for more services than the name pool still gives unique names."""
    fleet = _fleet(hosts=2, per_host=30)

    for host in fleet.hosts:
        names = [s.name for s in host.services]
        assert len(names) == 30
        assert len(set(names)) == 30
