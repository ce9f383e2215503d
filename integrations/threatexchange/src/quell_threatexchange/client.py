"""
A small HTTP client for the parts of a Quell registry's member API the exchange uses.

Key decisions:
  * Responses are read leniently: fields this client does not know are ignored, because the
    registry adds fields to its answers (e.g. `registered_at`) without a new API version.
  * Every non-2xx answer raises `QuellAPIError` carrying the registry's own
    `{"error": {"code", "message"}}`, so what the registry said reaches the operator as is.
  * The API key is sent only in the `Authorization` header and never appears in messages.
"""

from dataclasses import dataclass
import datetime
import typing as t

import requests

# What a member reports about a match (`POST /v1/outcomes`).
OUTCOMES = ("blocked", "under_review", "not_actioned", "false_positive")
# The most reports one outcomes request may hold.
MAX_BATCH = 1000


class QuellAPIError(Exception):
    """The registry answered with an error status; `code` is its machine-readable code."""

    def __init__(
        self, method: str, url: str, status: int, code: str, message: str
    ) -> None:
        super().__init__(f"{method} {url}: HTTP {status} {code}: {message}")
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SyncEntry:
    """One change of the hash list: an upsert (with its hash) or a tombstone (without)."""

    op: str
    entry_id: str
    type: str
    value: t.Optional[str] = None
    quality: t.Optional[int] = None

    @classmethod
    def from_json(cls, obj: t.Mapping[str, t.Any]) -> "SyncEntry":
        return cls(
            op=obj["op"],
            entry_id=obj["entry_id"],
            type=obj["type"],
            value=obj.get("value"),
            quality=obj.get("quality"),
        )


@dataclass(frozen=True)
class SyncPage:
    """A page of `GET /v1/hashes`."""

    entries: t.List[SyncEntry]
    next_cursor: str
    has_more: bool


class QuellClient:
    """Authenticated calls to one registry with one member API key."""

    def __init__(
        self, registry_url: str, api_key: str, *, timeout_sec: float = 60.0
    ) -> None:
        self.registry_url = registry_url.rstrip("/")
        self._timeout_sec = timeout_sec
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {api_key}"

    def hashes(self, cursor: t.Optional[str], limit: int) -> SyncPage:
        """The changes after `cursor` (from the start when None), oldest first."""
        params: t.Dict[str, t.Union[str, int]] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = self._request("GET", "/v1/hashes", params=params)
        return SyncPage(
            entries=[SyncEntry.from_json(e) for e in body["entries"]],
            next_cursor=body["next_cursor"],
            has_more=body["has_more"],
        )

    def entries_holding(self, quell_type: str, value: str) -> t.List[str]:
        """
        The active entries whose hash is exactly `value` (needs the `match` scope).

        PDQ is asked at distance 0, MD5 and SHA-256 match exactly anyway; a vPDQ query is
        always compared by pytx's default rule, so only videos matching it both ways in full
        (100 % of each one's frames found in the other) count as holding it.
        """
        query: t.Dict[str, t.Any] = {"hashes": [{"type": quell_type, "value": value}]}
        if quell_type == "pdq":
            query["max_distance"] = 0
        body = self._request("POST", "/v1/match", json=query)
        return [
            hit["entry_id"]
            for hit in body["results"][0]["matches"]
            if hit.get("distance") == 0
            or (
                hit.get("query_match_percent") == 100
                and hit.get("compared_match_percent") == 100
            )
        ]

    def report_outcomes(self, entry_ids: t.Iterable[str], outcome: str) -> int:
        """
        Report `outcome` on each entry, timed now, in requests of at most the registry's
        batch size; returns how many reports were new.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}, expected one of {OUTCOMES}")
        at = (
            datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z")
        )
        ids = list(entry_ids)
        recorded = 0
        for start in range(0, len(ids), MAX_BATCH):
            batch = ids[start : start + MAX_BATCH]
            outcomes = [{"entry_id": e, "outcome": outcome, "at": at} for e in batch]
            body = self._request("POST", "/v1/outcomes", json={"outcomes": outcomes})
            recorded += int(body["recorded"])
        return recorded

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: t.Optional[t.Mapping[str, t.Union[str, int]]] = None,
        json: t.Optional[t.Mapping[str, t.Any]] = None,
    ) -> t.Dict[str, t.Any]:
        url = self.registry_url + path
        resp = self._session.request(
            method, url, params=params, json=json, timeout=self._timeout_sec
        )
        if not resp.ok:
            code, message = _error_of(resp)
            raise QuellAPIError(method, url, resp.status_code, code, message)
        body: t.Dict[str, t.Any] = resp.json()
        return body


def _error_of(resp: requests.Response) -> t.Tuple[str, str]:
    """The registry's error code and message, or the start of a body that is not one."""
    try:
        err = resp.json()["error"]
        return str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        return "unexpected_response", resp.text[:300] or resp.reason or ""
