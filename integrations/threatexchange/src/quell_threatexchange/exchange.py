"""
A Quell registry as a python-threatexchange SignalExchangeAPI.

Key decisions:
  * Records are keyed by the registry's entry id, as the registry's change feed is: an upsert
    stores the entry's hash under its id, a tombstone (a withdrawal, or an entry quarantined
    for review) stores None, which pytx's state (and HMA's bank) applies as a deletion.
    Comparing statuses, not hash values, is what pytx's StopNCII exchange gets wrong.
  * The checkpoint is the registry's opaque cursor. Cursors do not expire; a registry whose
    database was replaced refuses an old one (`invalid_cursor`), and the fetch fails saying
    so, because starting over in place would keep entries the new registry no longer has.
  * Only plain hashes are fetched (no `profiles=`): hashes filed under a Quell hash profile
    must never be compared as plain PDQ, and pytx has no notion of them.
  * Hash types map to pytx signal types by name: pdq -> `pdq`, md5 -> `video_md5`,
    sha256 -> `video_sha256`, vpdq -> `vpdq` (pytx's vpdq extension). Records of a type the
    running pytx lacks are kept, logged once per fetch and left out of matching, so adding
    the extension later needs no new fetch.
  * Every entry is a hash the affected person registered and no platform has verified, so
    its opinion is INVESTIGATION_SEED, as pytx's StopNCII exchange treats its user-submitted
    cases. The metadata carries the entry ids, which is what an outcome is reported against.
  * Opinions become outcomes: POSITIVE_CLASS -> blocked, NEGATIVE_CLASS -> false_positive,
    INVESTIGATION_SEED (and `report_seen`) -> under_review. pytx's `report_opinion` passes
    no metadata, so the entries holding the signal are asked of the registry (exactly that
    hash, `POST /v1/match`); callers holding the metadata (or entry ids) skip that look-up.
"""

import collections
from dataclasses import dataclass, field
import logging
import time
import typing as t

from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPI
from threatexchange.signal_type.signal_base import SignalType

from quell_threatexchange.client import QuellAPIError, QuellClient, SyncEntry, SyncPage

_API_NAME = "quell"

# Quell's hash type -> the name of the pytx SignalType for it.
PYTX_SIGNAL_NAMES: t.Mapping[str, str] = {
    "pdq": "pdq",
    "md5": "video_md5",
    "sha256": "video_sha256",
    "vpdq": "vpdq",
}
_QUELL_TYPES: t.Mapping[str, str] = {v: k for k, v in PYTX_SIGNAL_NAMES.items()}

OUTCOME_FOR_OPINION: t.Mapping[state.SignalOpinionCategory, str] = {
    state.SignalOpinionCategory.POSITIVE_CLASS: "blocked",
    state.SignalOpinionCategory.NEGATIVE_CLASS: "false_positive",
    state.SignalOpinionCategory.INVESTIGATION_SEED: "under_review",
}

log = logging.getLogger(__name__)


@dataclass
class _QuellCollabConfigRequiredFields:
    registry_url: str = field(
        metadata={"help": "the registry's base URL, e.g. https://registry.example"}
    )


@dataclass
class QuellCollabConfig(
    CollaborationConfigWithDefaults, _QuellCollabConfigRequiredFields
):
    """One registry to sync from."""

    api: str = field(init=False, default=_API_NAME)


@dataclass
class QuellCheckpoint(state.FetchCheckpointBase):
    """The cursor to continue from, and when the page that gave it was read."""

    cursor: str
    # Unix seconds; never lower than the previous checkpoint's, as pytx and HMA assert.
    fetched_at: int

    def get_progress_timestamp(self) -> int:
        return self.fetched_at


@dataclass(frozen=True)
class QuellEntry:
    """An active entry as fetched: its Quell hash type, hash and (PDQ) quality."""

    type: str
    value: str
    quality: t.Optional[int] = None


@dataclass
class QuellSignalMetadata(state.FetchedSignalMetadata):
    """The registry entries (sorted ids) holding one signal; outcomes are reported on them."""

    entry_ids: t.Tuple[str, ...]

    def get_as_opinions(self) -> t.Sequence[state.SignalOpinion]:
        return [
            state.SignalOpinion(
                False, state.SignalOpinionCategory.INVESTIGATION_SEED, set()
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_as_aggregate_opinion().category.name} {','.join(self.entry_ids)}"


@dataclass
class QuellCredentials(auth.CredentialHelper):
    """The member API key: `sync` to fetch; `outcomes` and `match` to report opinions."""

    ENV_VARIABLE: t.ClassVar[str] = "QUELL_API_KEY"
    FILE_NAME: t.ClassVar[str] = "~/.tx_quell_api_key"

    api_key: str = field(
        repr=False, metadata={"help": "the member API key the registry issued (qk_...)"}
    )

    @classmethod
    def _from_str(cls, s: str) -> "QuellCredentials":
        return cls(s.strip())

    def _are_valid(self) -> bool:
        return self.api_key.startswith("qk_")


class QuellSignalExchangeAPI(
    auth.SignalExchangeWithAuth[QuellCollabConfig, QuellCredentials],
    SignalExchangeAPI[
        QuellCollabConfig, QuellCheckpoint, QuellSignalMetadata, str, QuellEntry
    ],
):
    """Fetches a Quell registry's hash list and reports outcomes to it."""

    def __init__(
        self,
        collab: QuellCollabConfig,
        client: QuellClient,
        *,
        page_limit: int = 10_000,
    ) -> None:
        super().__init__()
        self.collab = collab
        self.client = client
        self.page_limit = page_limit

    @classmethod
    def get_name(cls) -> str:
        return _API_NAME

    @staticmethod
    def get_config_cls() -> t.Type[QuellCollabConfig]:
        return QuellCollabConfig

    @staticmethod
    def get_checkpoint_cls() -> t.Type[QuellCheckpoint]:
        return QuellCheckpoint

    @staticmethod
    def get_record_cls() -> t.Type[QuellSignalMetadata]:
        return QuellSignalMetadata

    @staticmethod
    def get_credential_cls() -> t.Type[QuellCredentials]:
        return QuellCredentials

    @classmethod
    def for_collab(
        cls,
        collab: QuellCollabConfig,
        credentials: t.Optional[QuellCredentials] = None,
    ) -> "QuellSignalExchangeAPI":
        credentials = credentials or QuellCredentials.get(cls)
        return cls(collab, QuellClient(collab.registry_url, credentials.api_key))

    def fetch_iter(
        self,
        supported_signal_types: t.Sequence[t.Type[SignalType]],
        checkpoint: t.Optional[QuellCheckpoint],
    ) -> t.Iterator[state.FetchDelta[str, QuellEntry, QuellCheckpoint]]:
        """One delta per page of `GET /v1/hashes`, until the registry has no more."""
        cursor = None if checkpoint is None else checkpoint.cursor
        fetched_at = 0 if checkpoint is None else checkpoint.fetched_at
        supported = {st.get_name() for st in supported_signal_types}
        unmatchable: t.Counter[str] = collections.Counter()
        has_more = True
        while has_more:
            page = self._page(cursor)
            updates = _updates(page.entries)
            unmatchable.update(
                e.type
                for e in updates.values()
                if e is not None and PYTX_SIGNAL_NAMES.get(e.type) not in supported
            )
            cursor = page.next_cursor
            fetched_at = max(fetched_at, int(time.time()))
            has_more = page.has_more
            yield state.FetchDelta(updates, QuellCheckpoint(cursor, fetched_at))
        for quell_type, count in sorted(unmatchable.items()):
            log.warning(
                "%s: kept %d %s hashes that are not matched: this pytx has no %r signal "
                "type%s",
                self.collab.name,
                count,
                quell_type,
                PYTX_SIGNAL_NAMES.get(quell_type, quell_type),
                (
                    " (install the vpdq package and add the extension "
                    "threatexchange.extensions.vpdq.manifest)"
                    if quell_type == "vpdq"
                    else ""
                ),
            )

    def _page(self, cursor: t.Optional[str]) -> SyncPage:
        """A page of changes; a refused cursor's error says how to start over."""
        try:
            return self.client.hashes(cursor, self.page_limit)
        except QuellAPIError as e:
            if e.code != "invalid_cursor":
                raise
            advice = (
                "The registry no longer knows this collab's checkpoint (was its database "
                "replaced?): clear its fetched state (`threatexchange fetch --clear "
                f"--only-collab {self.collab.name}`; in HMA, configure a new exchange) to "
                "fetch the whole list again"
            )
            raise QuellAPIError(
                e.method, e.url, e.status, e.code, f"{e.message}. {advice}"
            ) from e

    @classmethod
    def naive_convert_to_signal_type(
        cls,
        signal_types: t.Sequence[t.Type[SignalType]],
        collab: QuellCollabConfig,
        fetched: t.Mapping[str, QuellEntry],
    ) -> t.Dict[t.Type[SignalType], t.Dict[str, QuellSignalMetadata]]:
        """Group entries by signal: entries holding the same hash share one metadata."""
        by_name = {st.get_name(): st for st in signal_types}
        ids: t.Dict[t.Type[SignalType], t.Dict[str, t.List[str]]] = {}
        for entry_id, entry in fetched.items():
            s_type = by_name.get(PYTX_SIGNAL_NAMES.get(entry.type, ""))
            if s_type is None:
                continue
            try:
                signal = s_type.validate_signal_str(entry.value)
            except ValueError:
                log.warning(
                    "%s: entry %s holds an invalid %s",
                    collab.name,
                    entry_id,
                    entry.type,
                )
                continue
            ids.setdefault(s_type, {}).setdefault(signal, []).append(entry_id)
        return {
            s_type: {
                signal: QuellSignalMetadata(tuple(sorted(entry_ids)))
                for signal, entry_ids in by_signal.items()
            }
            for s_type, by_signal in ids.items()
        }

    def report_opinion(
        self,
        s_type: t.Type[SignalType],
        signal: str,
        opinion: state.SignalOpinion,
        metadata: t.Optional[QuellSignalMetadata] = None,
    ) -> None:
        """
        Report the outcome the opinion stands for on every entry holding `signal`.

        Quell outcomes carry no labels, so an opinion with tags is refused rather than
        reported without them.
        """
        if opinion.tags:
            raise NotImplementedError("Quell outcomes carry no labels")
        outcome = OUTCOME_FOR_OPINION[opinion.category]
        self.report_outcomes(self._entry_ids(s_type, signal, metadata), outcome)

    def report_seen(
        self,
        s_type: t.Type[SignalType],
        signal: str,
        metadata: t.Optional[QuellSignalMetadata] = None,
    ) -> None:
        """A match not yet reviewed: `under_review` on every entry holding `signal`."""
        self.report_outcomes(self._entry_ids(s_type, signal, metadata), "under_review")

    def report_outcomes(self, entry_ids: t.Iterable[str], outcome: str) -> int:
        """
        Report any Quell outcome (`blocked`, `under_review`, `not_actioned`,
        `false_positive`) on entries by id, e.g. HMA's fetch ids of matched bank content.
        Returns how many reports were new (a repeated report is accepted, counted once).
        """
        return self.client.report_outcomes(entry_ids, outcome)

    def _entry_ids(
        self,
        s_type: t.Type[SignalType],
        signal: str,
        metadata: t.Optional[QuellSignalMetadata],
    ) -> t.Sequence[str]:
        if metadata is not None:
            return metadata.entry_ids
        quell_type = _QUELL_TYPES.get(s_type.get_name())
        if quell_type is None:
            raise ValueError(f"a Quell registry holds no {s_type.get_name()} signals")
        entry_ids = self.client.entries_holding(quell_type, signal)
        if not entry_ids:
            raise LookupError(
                f"no active entry of {self.client.registry_url} holds this "
                f"{s_type.get_name()} signal (withdrawn, paused for review, or never there)"
            )
        return entry_ids


def _updates(entries: t.Sequence[SyncEntry]) -> t.Dict[str, t.Optional[QuellEntry]]:
    """A page's changes by entry id, in order (a later change of an entry wins)."""
    updates: t.Dict[str, t.Optional[QuellEntry]] = {}
    for entry in entries:
        if entry.op == "tombstone":
            updates[entry.entry_id] = None
        elif entry.op == "upsert" and entry.value is not None:
            updates[entry.entry_id] = QuellEntry(entry.type, entry.value, entry.quality)
        else:
            raise ValueError(
                f"entry {entry.entry_id}: cannot apply this {entry.op!r} change; is "
                "quell-threatexchange older than the registry's API?"
            )
    return updates
