"""The Durable extension's client API, as a test double for the Durable client.

:func:`durable_client` builds the SDK's real ``DurableOrchestrationClient`` from
a client binding like the one the Functions host passes, with its two HTTP
calls to the extension answered by an :class:`Extension`: instances by id,
status queries by runtime status and id prefix, and starts that are recorded.
Like the extension under ``overridableExistingInstanceStates:
NonRunningStates``, a start for an instance that is pending or running is
refused with 409 and the extension's error body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import azure.durable_functions as df

__all__ = ["BINDING", "ORIGIN", "Extension", "durable_client"]

RPC = "http://127.0.0.1:17071/durabletask/"
ORIGIN = "http://localhost:7071"
HUB = "centreonlake"
WEBHOOKS = f"{ORIGIN}/runtime/webhooks/durabletask"
RUNNING_STATES = frozenset({"Pending", "Running", "Suspended"})
INSTANCE = f"{WEBHOOKS}/instances/INSTANCEID"
KEYS = f"taskHub={HUB}&connection=Storage&code=k"
BINDING = {
    "taskHubName": HUB,
    "creationUrls": {
        "createNewInstancePostUri": f"{WEBHOOKS}/orchestrators/{{functionName}}?code=k",
    },
    "managementUrls": {
        "id": "INSTANCEID",
        "statusQueryGetUri": f"{INSTANCE}?{KEYS}",
        "sendEventPostUri": f"{INSTANCE}/raiseEvent/{{eventName}}?{KEYS}",
        "terminatePostUri": f"{INSTANCE}/terminate?reason={{text}}&{KEYS}",
        "purgeHistoryDeleteUri": f"{INSTANCE}?{KEYS}",
    },
    "baseUrl": WEBHOOKS,
    "requiredQueryStringParameters": "code=k",
    "rpcBaseUrl": RPC,
}


class Extension:
    """The Durable extension's RPC endpoint as the client sees it: instances by id."""

    def __init__(self) -> None:
        self.instances: dict[str, dict[str, Any]] = {}
        self.started: list[tuple[str, Any]] = []
        self.racing: dict[str, str] = {}

    def race(self, instance_id: str, status: str) -> None:
        """Have another caller create ``instance_id`` just before the next start."""
        self.racing[instance_id] = status

    def add(self, instance_id: str, status: str) -> None:
        self.instances[instance_id] = {
            "name": "ingest",
            "instanceId": instance_id,
            "runtimeStatus": status,
            "createdTime": "2026-12-03T19:00:00Z",
            "lastUpdatedTime": "2026-12-03T19:00:01Z",
        }

    async def get(self, url: str, *args: Any) -> list[Any]:
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(RPC).path)
        query = parse_qs(parts.query)
        instance_id = path.removeprefix("instances/")
        if instance_id:
            found = self.instances.get(instance_id)
            return [200, found] if found else [404, ""]
        wanted = set(query.get("runtimeStatus", [""])[0].split(","))
        prefix = query.get("instanceIdPrefix", [""])[0]
        matches = [
            i
            for i in self.instances.values()
            if i["runtimeStatus"] in wanted and i["instanceId"].startswith(prefix)
        ]

        return [200, matches]

    async def post(self, url: str, data: Any, *args: Any) -> list[Any]:
        path = urlsplit(url).path.removeprefix(urlsplit(RPC).path)
        _, _function, instance_id = path.split("/")
        if instance_id in self.racing:
            self.add(instance_id, self.racing.pop(instance_id))
        status = self.instances.get(instance_id, {}).get("runtimeStatus")
        if status in RUNNING_STATES:
            message = (
                f"An Orchestration instance with the status {status} already exists."
            )
            return [409, {"Message": message}]
        self.started.append((instance_id, json.loads(data)))
        self.add(instance_id, "Pending")

        return [202, {"id": instance_id}]


def durable_client(extension: Extension) -> df.DurableOrchestrationClient:
    """The SDK's client for ``BINDING``, talking to ``extension``."""
    durable = df.DurableOrchestrationClient(json.dumps(BINDING))
    durable._get_async_request = extension.get
    durable._post_async_request = extension.post

    return durable
