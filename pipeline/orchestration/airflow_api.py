"""A small client of Airflow's stable REST API (v2), standard library only.

What producers, the local demo and the integration test need from a running Airflow: a token from the simple
auth manager (or any auth manager that serves ``POST /auth/token``), an asset event to wake a DAG up after an
upload, a manual run, and the state and logs of runs. Example, after uploading files to the inbound bucket::

    client = AirflowClient("http://airflow:8080", "producer", "…")
    client.emit_asset_event("carm_inbound_declarations", {"uploaded": 12})
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

FINISHED = frozenset({"success", "failed"})
#: Fields of a structured log entry that repeat what the log's location already says.
_LOG_CONTEXT = frozenset({"timestamp", "level", "event", "logger", "sources", "try_number", "dag_id", "run_id",
                          "task_id", "map_index", "ti_id", "filename", "lineno", "ti"})


class AirflowApiError(RuntimeError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class AirflowClient:
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = {"username": username, "password": password}
        self._timeout = timeout
        self._token: str | None = None

    # --- transport --------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token()}")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise AirflowApiError(f"{method} {path}: HTTP {exc.code} {detail}", exc.code) from exc
        except urllib.error.URLError as exc:
            raise AirflowApiError(f"{method} {path}: {exc.reason}") from exc
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def token(self) -> str:
        if self._token is None:
            self._token = self._request("POST", "/auth/token", self._credentials, auth=False)["access_token"]
        return self._token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self._request(method, "/api/v2" + path, body)

    def healthy(self) -> bool:
        """Whether the API server answers its health endpoint (no credentials needed)."""
        try:
            return isinstance(self._request("GET", "/api/v2/monitor/health", auth=False), dict)
        except AirflowApiError:
            return False

    # --- DAGs and runs ----------------------------------------------------------------------------------------

    def dag_ids(self) -> set[str]:
        return {dag["dag_id"] for dag in self.api("GET", "/dags?limit=100")["dags"]}

    def import_errors(self) -> list[dict[str, Any]]:
        return self.api("GET", "/importErrors")["import_errors"]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.api("PATCH", f"/dags/{_quote(dag_id)}", {"is_paused": paused})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """A manual run (``logical_date`` None, as Airflow 3 allows); its run id."""
        run = self.api("POST", f"/dags/{_quote(dag_id)}/dagRuns", {"logical_date": None, "conf": dict(conf or {})})
        return run["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{_quote(dag_id)}/dagRuns?limit=100&order_by=-run_after")["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.api("GET", f"/dags/{_quote(dag_id)}/dagRuns/{_quote(run_id)}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/dags/{_quote(dag_id)}/dagRuns/{_quote(run_id)}/taskInstances?limit=1000"
        return self.api("GET", path)["task_instances"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, *, map_index: int = -1, try_number: int = 1) -> str:
        """A task instance's log as text lines (``timestamp level event`` and any error detail)."""
        path = (f"/dags/{_quote(dag_id)}/dagRuns/{_quote(run_id)}/taskInstances/{_quote(task_id)}/logs/"
                f"{try_number}?full_content=true&map_index={map_index}")
        answer = self.api("GET", path)
        content = answer.get("content") if isinstance(answer, dict) else None
        if not isinstance(content, list):
            return str(answer)
        lines = []
        for entry in content:
            if not isinstance(entry, dict):
                lines.append(str(entry))
                continue
            head = " ".join(str(entry.get(key, "")) for key in ("timestamp", "level", "event")).strip()
            rest = {k: v for k, v in entry.items() if k not in _LOG_CONTEXT}
            lines.append(head + (" " + json.dumps(rest, default=str) if rest else ""))
        return "\n".join(lines)

    def xcom(self, dag_id: str, run_id: str, task_id: str, *, key: str = "return_value", map_index: int = -1) -> Any:
        """A task instance's XCom value (``return_value``: what the task returned)."""
        path = (f"/dags/{_quote(dag_id)}/dagRuns/{_quote(run_id)}/taskInstances/{_quote(task_id)}/xcomEntries/"
                f"{_quote(key)}?map_index={map_index}&deserialize=true&stringify=false")
        return self.api("GET", path)["value"]

    # --- assets -----------------------------------------------------------------------------------------------

    def asset_id(self, name: str) -> int:
        assets = self.api("GET", f"/assets?name_pattern={_quote(name)}&limit=100")["assets"]
        for asset in assets:
            if asset["name"] == name:
                return int(asset["id"])
        raise AirflowApiError(f"no asset named {name!r} (is the DAG that uses it parsed?)", 404)

    def emit_asset_event(self, name: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Record an update of the asset: every DAG scheduled on it is queued for a run."""
        return self.api("POST", "/assets/events", {"asset_id": self.asset_id(name), "extra": dict(extra or {})})
