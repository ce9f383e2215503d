"""
End to end: python-threatexchange (its CLI and its library) with the Quell exchange against
a real `quell serve`, and Quell's list files against pytx's local-file exchange.
"""

import hashlib
import json
import logging
from pathlib import Path
import pickle
import random
import typing as t

import pytest
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.auth import (
    SignalExchangeAPIInvalidAuthException,
    SignalExchangeAPIMissingAuthException,
)
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal
from threatexchange.signal_type.signal_base import SignalType
from threatexchange.utils import dataclass_json

from quell_threatexchange import (
    QuellAPIError,
    QuellCheckpoint,
    QuellClient,
    QuellCollabConfig,
    QuellCredentials,
    QuellEntry,
    QuellSignalExchangeAPI,
    QuellSignalMetadata,
)

from conftest import NO_MATCH, PLATFORM, SYNC_ONLY, Pytx, Registry

# The signal types the pytx CLI has without extensions (those a Quell list can use).
CLI_SIGNAL_TYPES: t.List[t.Type[SignalType]] = [
    PdqSignal,
    VideoMD5Signal,
    VideoSHA256Signal,
]

Fetched = t.Dict[str, QuellEntry]


def quell_api(
    registry: Registry, member: str = PLATFORM, page_limit: int = 10_000
) -> QuellSignalExchangeAPI:
    collab = QuellCollabConfig(name="QUELL", registry_url=registry.url)
    client = QuellClient(registry.url, registry.keys[member])
    return QuellSignalExchangeAPI(collab, client, page_limit=page_limit)


def fetch(
    api: QuellSignalExchangeAPI,
    fetched: t.Optional[Fetched] = None,
    checkpoint: t.Optional[QuellCheckpoint] = None,
) -> t.Tuple[Fetched, t.List[state.FetchDelta[str, QuellEntry, QuellCheckpoint]]]:
    """Fetches to the end, merging with pytx's own merge; the state and every delta."""
    fetched = {} if fetched is None else fetched
    deltas = list(api.fetch_iter(CLI_SIGNAL_TYPES, checkpoint))
    for delta in deltas:
        api.naive_fetch_merge(fetched, delta.updates)
    return fetched, deltas


def pdq_signals(
    api: QuellSignalExchangeAPI, fetched: Fetched
) -> t.Dict[str, QuellSignalMetadata]:
    return api.naive_convert_to_signal_type(CLI_SIGNAL_TYPES, api.collab, fetched).get(
        PdqSignal, {}
    )


def file_digests(path: Path) -> t.Tuple[str, str]:
    data = path.read_bytes()
    return hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()


def outcomes(registry: Registry, case: t.Any) -> t.List[t.Tuple[str, str]]:
    return [(o["member"], o["outcome"]) for o in registry.status(case)["outcomes"]]


def test_cli_fetches_matches_and_drops_withdrawn_hashes(
    registry: Registry, pytx: Pytx, make_image: t.Callable[[], Path]
) -> None:
    withdrawn_img, kept_img = make_image(), make_image()
    withdrawn = registry.open_case(withdrawn_img)
    registry.open_case(kept_img)
    # pytx 1.2.17's PDQ index matches nothing once saved holding a single hash; keep two.
    registry.open_case(make_image())
    counts = registry.status(withdrawn)["hashes"]
    assert (counts["pdq"], counts["md5"], counts["sha256"]) == (1, 1, 1)

    pytx.add_quell_collab("QUELL", registry.url)
    pytx("fetch")
    signals = pytx.signals()
    md5, sha256 = file_digests(withdrawn_img)
    entry = signals["video_md5"][md5].split(" ")
    assert entry[0] == "INVESTIGATION_SEED" and entry[1].startswith("e_")
    assert signals["video_sha256"][sha256].startswith("INVESTIGATION_SEED e_")
    # pytx hashes the image itself and finds the PDQ Quell registered.
    pdq_lines = pytx.match("photo", withdrawn_img)
    assert len(pdq_lines) == 1 and pdq_lines[0].startswith("pdq "), pdq_lines
    assert "(QUELL) INVESTIGATION_SEED e_" in pdq_lines[0]
    pdq_entry = pdq_lines[0].rsplit(" ", 1)[1]
    registered_pdq = [s for s, m in signals["pdq"].items() if m.endswith(pdq_entry)]
    assert registered_pdq == [
        PdqSignal.hash_from_file(withdrawn_img)
    ], "PDQ is bit-exact"
    assert pytx.matched_types("video", withdrawn_img) == ["video_md5", "video_sha256"]

    registry.withdraw(withdrawn)
    pytx("fetch")
    signals = pytx.signals()
    assert md5 not in signals.get("video_md5", {})
    assert sha256 not in signals.get("video_sha256", {})
    assert registered_pdq[0] not in signals["pdq"]
    assert pytx.match("photo", withdrawn_img) == []
    assert pytx.match("video", withdrawn_img) == []
    # The other case's hashes stay, and still match.
    assert pytx.matched_types("photo", kept_img) == ["pdq"]


def test_cli_label_reports_blocked_on_the_case(
    registry: Registry, pytx: Pytx, make_image: t.Callable[[], Path]
) -> None:
    img = make_image()
    case = registry.open_case(img)
    pytx.add_quell_collab("QUELL", registry.url)
    pytx("fetch")
    pdq = PdqSignal.hash_from_file(img)
    assert pdq in pytx.signals()["pdq"]

    pytx("label", "--as-hash", "pdq", "QUELL", "photo", "--", pdq)

    assert outcomes(registry, case) == [(PLATFORM, "blocked")]


def test_report_seen_with_fetched_metadata_needs_no_match_scope(
    registry: Registry, make_image: t.Callable[[], Path]
) -> None:
    img = make_image()
    case = registry.open_case(img)
    api = quell_api(registry, NO_MATCH)
    fetched, _ = fetch(api)
    pdq = PdqSignal.hash_from_file(img)
    metadata = pdq_signals(api, fetched)[pdq]
    assert len(metadata.entry_ids) == 1

    api.report_seen(PdqSignal, pdq, metadata)

    assert outcomes(registry, case) == [(NO_MATCH, "under_review")]
    # Without the metadata the entries are looked up by hash, which takes the match scope.
    with pytest.raises(QuellAPIError) as err:
        api.report_seen(PdqSignal, pdq)
    assert err.value.status == 403 and "forbidden" in str(err.value)


def test_false_positive_pauses_the_entry_and_the_next_fetch_deletes_it(
    registry: Registry, make_image: t.Callable[[], Path]
) -> None:
    img = make_image()
    case = registry.open_case(img)
    api = quell_api(registry)
    fetched, deltas = fetch(api)
    pdq = PdqSignal.hash_from_file(img)
    (entry_id,) = pdq_signals(api, fetched)[pdq].entry_ids

    api.report_opinion(
        PdqSignal,
        pdq,
        state.SignalOpinion(True, state.SignalOpinionCategory.NEGATIVE_CLASS, set()),
    )

    # This registry pauses an entry after one member's false positive (--quarantine-after 1);
    # false positives are not shown to the person.
    status = registry.status(case)
    assert status["paused"] == 1 and status["outcomes"] == []
    _, new = fetch(api, fetched, deltas[-1].checkpoint)
    assert any(d.updates.get(entry_id, "absent") is None for d in new)
    assert entry_id not in fetched and pdq not in pdq_signals(api, fetched)


def test_pages_and_resumes_from_the_checkpoint(
    registry: Registry, make_image: t.Callable[[], Path]
) -> None:
    registry.open_case(make_image())
    whole, _ = fetch(quell_api(registry))
    paged_api = quell_api(registry, page_limit=1)
    paged, deltas = fetch(paged_api)
    assert paged == whole and len(deltas) > 1
    # One change a page; a page whose change is a hash filed under the default profile (the
    # case holds the photo's crops and edits), which this plain client does not take, is empty.
    assert all(len(d.updates) <= 1 for d in deltas)
    assert sum(len(d.updates) for d in deltas) >= len(whole)
    times = [d.checkpoint.fetched_at for d in deltas]
    assert times == sorted(times)

    img = make_image()
    registry.open_case(img)
    _, new = fetch(paged_api, paged, deltas[-1].checkpoint)
    added = {e.value for d in new for e in d.updates.values() if e is not None}
    assert added == {PdqSignal.hash_from_file(img), *file_digests(img)}


def test_registry_errors_reach_the_caller(registry: Registry) -> None:
    bad_key = QuellSignalExchangeAPI(
        QuellCollabConfig(name="QUELL", registry_url=registry.url),
        QuellClient(
            registry.url, "qk_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
        ),
    )
    with pytest.raises(QuellAPIError) as err:
        next(bad_key.fetch_iter(CLI_SIGNAL_TYPES, None))
    assert err.value.status == 401 and err.value.code in str(err.value)

    with pytest.raises(QuellAPIError) as err:
        quell_api(registry, SYNC_ONLY).report_outcomes(["e_0"], "blocked")
    assert err.value.status == 403 and "HTTP 403 forbidden: " in str(err.value)

    with pytest.raises(QuellAPIError) as err:
        next(
            quell_api(registry).fetch_iter(CLI_SIGNAL_TYPES, QuellCheckpoint("nope", 0))
        )
    advice = "threatexchange fetch --clear --only-collab QUELL"
    assert err.value.code == "invalid_cursor" and advice in str(err.value)

    never_registered = PdqSignal.get_random_signal()
    with pytest.raises(LookupError):
        quell_api(registry).report_seen(PdqSignal, never_registered)


def test_credentials_come_from_the_environment_a_file_or_the_caller(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collab = QuellCollabConfig(name="QUELL", registry_url=registry.url)
    key = registry.keys[PLATFORM]
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("QUELL_API_KEY", raising=False)
    with pytest.raises(SignalExchangeAPIMissingAuthException) as missing:
        QuellSignalExchangeAPI.for_collab(collab)
    assert "QUELL_API_KEY" in missing.value.pretty_str()
    assert "~/.tx_quell_api_key" in missing.value.pretty_str()

    (tmp_path / ".tx_quell_api_key").write_text(key + "\n")
    next(QuellSignalExchangeAPI.for_collab(collab).fetch_iter(CLI_SIGNAL_TYPES, None))

    monkeypatch.setenv("QUELL_API_KEY", "not a key")
    with pytest.raises(SignalExchangeAPIInvalidAuthException):
        QuellSignalExchangeAPI.for_collab(collab)
    explicit = QuellSignalExchangeAPI.for_collab(collab, QuellCredentials(key))
    next(explicit.fetch_iter(CLI_SIGNAL_TYPES, None))
    assert key not in repr(QuellCredentials(key))


def test_state_survives_the_way_hma_stores_it(registry: Registry) -> None:
    """HMA keeps configs, checkpoints and credentials as dataclass JSON, records pickled."""
    collab = QuellCollabConfig(name="QUELL", registry_url=registry.url)
    stored = json.loads(dataclass_json.dataclass_dumps(collab))
    assert stored["api"] == "quell"
    assert dataclass_json.dataclass_load_dict(stored, QuellCollabConfig) == collab
    checkpoint = QuellCheckpoint("cursor", 1_700_000_000)
    as_json = dataclass_json.dataclass_dump_dict(checkpoint)
    assert dataclass_json.dataclass_load_dict(as_json, QuellCheckpoint) == checkpoint
    key = registry.keys[PLATFORM]
    creds = dataclass_json.dataclass_load_dict({"api_key": key}, QuellCredentials)
    with QuellCredentials.set_default(creds, "db"):
        api = QuellSignalExchangeAPI.for_collab(collab)
    fetched, deltas = fetch(api)
    assert pickle.loads(pickle.dumps(deltas[-1])) == deltas[-1]
    assert pickle.loads(pickle.dumps(fetched)) == fetched


def test_types_pytx_lacks_are_kept_logged_and_not_matched(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(7)
    frames = [f"{rng.getrandbits(256):064x},100,{i}.000" for i in range(3)]
    registry.open_case_with_hashes([{"type": "vpdq", "value": json.dumps(frames)}])
    api = quell_api(registry)
    with caplog.at_level(logging.WARNING):
        fetched, _ = fetch(api)
    (vpdq,) = [e.value for e in fetched.values() if e.type == "vpdq"]
    assert json.loads(vpdq) == frames
    assert "no 'vpdq' signal type" in caplog.text
    assert "threatexchange.extensions.vpdq.manifest" in caplog.text
    converted = api.naive_convert_to_signal_type(CLI_SIGNAL_TYPES, api.collab, fetched)
    assert converted and all(vpdq not in by_signal for by_signal in converted.values())


def local_file_signals(path: Path) -> int:
    """How many signals pytx's local-file exchange reads from `path`."""
    local = LocalFileSignalExchangeAPI(
        FileCollaborationConfig(name="FILE", filename=str(path))
    )
    (delta,) = local.fetch_iter(CLI_SIGNAL_TYPES, None)
    converted = local.naive_convert_to_signal_type(
        CLI_SIGNAL_TYPES, local.collab, delta.updates
    )
    return sum(map(len, converted.values()))


def test_quell_export_is_read_by_pytx_local_file_exchange(
    registry: Registry, pytx: Pytx, make_image: t.Callable[[], Path], tmp_path: Path
) -> None:
    img = make_image()
    registry.open_case(img)
    lines = registry.export()
    md5, sha256 = file_digests(img)
    assert {f"video_md5 {md5}", f"video_sha256 {sha256}"} <= set(lines)
    export = tmp_path / "quell-export.txt"
    export.write_text("\n".join(lines) + "\n")

    # Every line is a signal pytx accepts (but vPDQ, whose extension is not installed here).
    assert local_file_signals(export) == len(
        [x for x in lines if not x.startswith("vpdq ")]
    )
    create = ("config", "collab", "edit", "local_file", "EXPORT", "--create")
    pytx(*create, "--filename", export)
    pytx("fetch")
    assert pytx.matched_types("photo", img) == ["pdq"]
    assert "(EXPORT)" in pytx.match("photo", img)[0]
    assert pytx.matched_types("video", img) == ["video_md5", "video_sha256"]


def test_pytx_signal_file_is_imported_by_quell(
    registry: Registry, pytx: Pytx, make_image: t.Callable[[], Path], tmp_path: Path
) -> None:
    img = make_image()
    # pytx writes the local-file format with `threatexchange hash` (its file exchange's own
    # writer, report_opinion, cannot: it opens the file in mode "wta", which Python refuses).
    written = tmp_path / "pytx-signals.txt"
    hashes = [pytx("hash", content, img).stdout for content in ("photo", "video")]
    written.write_text("".join(hashes))
    lines = written.read_text().splitlines()
    assert sorted(x.split(" ")[0] for x in lines) == [
        "pdq",
        "video_md5",
        "video_sha256",
    ]
    assert local_file_signals(written) == 3

    out = registry.quell("list", "import", written, "--data-dir", registry.data_dir)

    assert out.startswith("case_id c_")
    assert set(lines) <= set(registry.export())
    pytx.add_quell_collab("QUELL", registry.url)
    pytx("fetch")
    assert pytx.matched_types("photo", img) == ["pdq"]
    assert pytx.matched_types("video", img) == ["video_md5", "video_sha256"]
