"""Every way docs/format.md says a sidecar breaks: a clear error or a safe value, never a crash."""

import math

import pytest

from sptweb.scan.sidecar import SidecarError, parse_sidecar


def test_bare_nan_and_infinity_tokens_parse_as_floats():
    meta = parse_sidecar(b'{"status": "running", "summary": {"loss": NaN, "gn": Infinity, "m": -Infinity}}')
    assert math.isnan(meta.summary["loss"])
    assert meta.summary["gn"] == math.inf and meta.summary["m"] == -math.inf


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"[]", "not an object"),
        (b'"just a string"', "not an object"),
        (b"", "empty"),
        (b'{"schema_version": 1, "status": "runn', "not valid JSON"),
        (b'{"status": "running",', "not valid JSON"),
    ],
)
def test_unusable_sidecars_raise_a_readable_error(raw, message):
    with pytest.raises(SidecarError, match=message):
        parse_sidecar(raw)


def test_non_utf8_bytes_are_replaced_not_fatal():
    meta = parse_sidecar(b'{"status": "completed", "notes": "caf\xe9 \xff"}')
    assert meta.status == "completed"
    assert meta.notes.startswith("caf")


def test_missing_fields_get_defaults():
    meta = parse_sidecar(b"{}")
    assert meta.status == "unknown" and meta.tags == () and meta.hparams == {} and meta.created_at is None


def test_wrong_types_are_dropped_with_a_warning():
    meta = parse_sidecar(
        b'{"status": 3, "hparams": [1, 2], "summary": "x", "tags": "a,b", "created_at": "yesterday", "notes": null}'
    )
    assert meta.status == "3"
    assert meta.hparams == {} and meta.summary == {} and meta.tags == () and meta.created_at is None
    assert any("hparams" in warning for warning in meta.warnings)
    assert any("created_at" in warning for warning in meta.warnings)


def test_nested_hparams_are_flattened_and_lists_kept_as_text():
    meta = parse_sidecar(b'{"hparams": {"slurm": {"task_id": 3}, "optim.lr": 0.1, "layers": [1, 2]}}')
    assert meta.hparams == {"slurm.task_id": 3, "optim.lr": 0.1, "layers": "[1, 2]"}


def test_duplicate_tags_are_kept_once_in_order():
    assert parse_sidecar(b'{"tags": ["b", "a", "b", 7]}').tags == ("b", "a", "7")
