"""Settings files: round trip, bad values, broken files, unknown data, import/export."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from magscope_core._settings import CoreSettings, SettingsError, SettingsStore, setting

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@attrs.frozen
class SimCamera:
    framerate: float = setting(30.0, minimum=1.0, maximum=1000.0, unit="Hz")
    folder: Path = setting(Path("frames"))


def _store(path: Path) -> SettingsStore:
    return SettingsStore({"core": CoreSettings, "camera.sim": SimCamera}, path)


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_missing_file_gives_defaults_and_no_problem(tmp_path):
    store = _store(tmp_path / "absent" / "settings.toml")
    assert store.load() == []
    assert store.get("core") == CoreSettings()


def test_empty_file_gives_defaults_and_no_problem(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("")
    assert _store(path).load() == []


def test_save_then_load_round_trips_and_creates_the_folder(tmp_path):
    path = tmp_path / "new" / "dir" / "settings.toml"
    store = _store(path)
    store.set("core", "n_stacks", 24)
    store.set("core", "log_level", "warning")
    store.set("camera.sim", "framerate", 60)
    store.set("camera.sim", "folder", tmp_path / "frames")
    result = store.save()
    assert result.path == path and result.backup is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.toml"]  # no temp left

    again = _store(path)
    assert again.load() == []
    assert again.to_dict() == store.to_dict()
    assert again.get("camera.sim").folder == tmp_path / "frames"


def test_save_writes_only_values_that_were_set(tmp_path):
    path = tmp_path / "settings.toml"
    store = _store(path)
    store.set("core", "stack_size", 40)
    store.save()
    assert _read(path) == {"core": {"stack_size": 40}}
    assert path.read_text().startswith("# MagScope settings")


def test_dotted_namespaces_are_read_in_both_toml_spellings(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[camera.sim]\nframerate = 12\n")
    store = _store(path)
    assert store.load() == []
    assert store.value("camera.sim", "framerate") == 12.0
    path.write_text('["camera.sim"]\nframerate = 13\n')
    store.load()
    assert store.value("camera.sim", "framerate") == 13.0


def test_a_bad_value_is_reported_and_only_that_key_uses_its_default(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[core]\nn_stacks = 0\nstack_size = 30\nlog_level = 'LOUD'\n")
    store = _store(path)
    problems = store.load()

    assert [(p.namespace, p.key, p.value, p.severity) for p in problems] == [
        ("core", "n_stacks", 0, "error"),
        ("core", "log_level", "LOUD", "error"),
    ]
    assert problems[0].path == path
    assert problems[0].message == (
        "core.n_stacks = 0 rejected: below the minimum 2. "
        "Allowed: an integer from 2 to 1000 (stacks). Using the default 10."
    )
    assert "one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'" in problems[1].message
    assert str(problems[0]).startswith(f"{path}: error: core.n_stacks = 0")
    core = store.get("core")
    assert (core.n_stacks, core.stack_size, core.log_level) == (10, 30, "INFO")


def test_a_rejected_value_stays_in_the_file_until_the_user_sets_it(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[core]\nn_stacks = 0\n")
    store = _store(path)
    store.load()
    store.set("core", "stack_size", 20)
    store.save()
    assert _read(path)["core"] == {"n_stacks": 0, "stack_size": 20}
    store.set("core", "n_stacks", 4)
    store.save()
    assert _read(path)["core"] == {"n_stacks": 4, "stack_size": 20}


def test_a_wrong_type_in_the_file_is_reported_as_such(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[core]\nheartbeat_interval_s = "soon"\n')
    (problem,) = _store(path).load()
    assert "core.heartbeat_interval_s = 'soon' rejected: not a number." in problem.message
    assert "Allowed: a number from 0.01 to 60.0 (s)." in problem.message


def test_values_breaking_a_cross_key_rule_fall_back_for_the_namespace(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[core]\nheartbeat_interval_s = 2.0\nheartbeat_timeout_s = 3.0\nn_stacks = 4\n")
    store = _store(path)
    (problem,) = store.load()
    assert problem.namespace == "core" and problem.key == ""
    assert "at least twice heartbeat_interval_s = 2.0" in problem.message
    assert "All [core] settings use their defaults." in problem.message
    assert store.get("core") == CoreSettings()


def test_a_syntax_error_names_file_line_and_column_and_uses_all_defaults(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[core]\nn_stacks = 4\nstack_size = = 5\n")
    store = _store(path)
    (problem,) = store.load()
    assert (problem.line, problem.column) == (3, 14)
    assert problem.severity == "error"
    assert f"settings file {path} is not valid TOML at line 3, column 14" in problem.message
    assert str(problem).startswith(f"{path}:3:14: error:")
    assert store.get("core") == CoreSettings()


def test_a_broken_file_is_copied_aside_before_it_is_replaced(tmp_path):
    path = tmp_path / "settings.toml"
    broken = "[core]\nn_stacks = 4\nstack_size = = 5\n"
    path.write_text(broken)
    store = _store(path)
    store.load()
    assert path.read_text() == broken  # loading never writes
    store.set("core", "n_stacks", 6)
    result = store.save()

    assert result.backup is not None
    assert result.backup.parent == tmp_path
    assert result.backup.name.startswith("settings.bad-")
    assert result.backup.suffix == ".toml"
    assert result.backup.read_text() == broken
    assert _read(path) == {"core": {"n_stacks": 6}}
    assert store.save().backup is None  # only once


def test_a_file_that_is_not_utf8_is_treated_like_a_broken_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"[core]\nlog_level = '\xff'\n")
    store = _store(path)
    (problem,) = store.load()
    assert "is not UTF-8 text (line 2)" in problem.message
    assert store.save().backup is not None


def test_unknown_namespaces_and_keys_are_warned_about_and_survive_a_save(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(
        "top = 1\n"
        "[core]\nn_stacks = 4\nn_stcks = 5\n"
        "[zlut]\nlast_file = 'a.txt'\n"
        "[camera.andor]\nexposure_ms = 5\n"
        "[camera.sim]\nframerate = 20\n"
    )
    store = _store(path)
    problems = store.load()
    by_place = {(p.namespace, p.key): p for p in problems}
    assert all(p.severity == "warning" for p in problems)
    assert set(by_place) == {("", "top"), ("core", "n_stcks"), ("zlut", ""), ("camera.andor", "")}
    assert "did you mean 'n_stacks'?" in by_place[("core", "n_stcks")].message
    assert "kept in the file unchanged" in by_place[("core", "n_stcks")].message
    assert "[zlut] is not a known settings namespace" in by_place[("zlut", "")].message
    assert "outside any [namespace] table" in by_place[("", "top")].message

    store.set("camera.sim", "framerate", 25)
    store.save()
    assert _read(path) == {
        "top": 1,
        "core": {"n_stacks": 4, "n_stcks": 5},
        "camera": {"sim": {"framerate": 25.0}, "andor": {"exposure_ms": 5}},
        "zlut": {"last_file": "a.txt"},
    }


def test_a_plugin_registered_after_loading_gets_its_stored_values(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[camera.sim]\nframerate = 5000\nfolder = 'x'\n")
    store = SettingsStore({"core": CoreSettings}, path)
    (warning,) = store.load()
    assert warning.severity == "warning"
    (problem,) = store.register("camera.sim", SimCamera)
    assert problem.key == "framerate" and "above the maximum 1000.0" in problem.message
    assert store.get("camera.sim") == SimCamera(folder=Path("x"))


def test_save_replaces_the_file_atomically_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "settings.toml"
    store = _store(path)
    store.save()
    os.chmod(path, 0o640)
    inode_before = path.stat().st_ino
    store.set("core", "n_stacks", 3)
    store.save()
    assert path.stat().st_ino != inode_before  # a new file was renamed over the old one
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_export_writes_every_value_and_import_applies_it(tmp_path):
    source = _store(tmp_path / "a.toml")
    source.set("core", "max_beads", 50)
    exported = tmp_path / "shared" / "lab.toml"
    source.export(exported)
    assert _read(exported)["core"]["join_timeout_s"] == 10.0
    assert _read(exported)["camera"]["sim"]["folder"] == "frames"

    target = _store(tmp_path / "b.toml")
    assert target.import_(exported) == []
    assert target.value("core", "max_beads") == 50
    assert target.path == tmp_path / "b.toml"


def test_import_reports_bad_values_and_keeps_the_current_ones(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text("[core]\nn_stacks = 1\nstack_size = 7\n[zlut]\nx = 1\n")
    store = _store(tmp_path / "settings.toml")
    store.set("core", "n_stacks", 30)
    problems = store.import_(other, running=True)
    assert [(p.namespace, p.key, p.severity) for p in problems] == [
        ("core", "n_stacks", "error"),
        ("zlut", "", "warning"),
    ]
    assert "Keeping the current value 30." in problems[0].message
    assert store.value("core", "stack_size") == 7
    assert store.pending_restart == ("core.stack_size",)


def test_import_of_a_broken_or_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[core\n")
    store = _store(tmp_path / "settings.toml")
    (problem,) = store.import_(broken)
    assert problem.line == 1 and "not valid TOML" in problem.message
    with pytest.raises(SettingsError, match=r"cannot import .*nothing.toml is not a file"):
        store.import_(tmp_path / "nothing.toml")


def test_load_forgets_unsaved_changes_and_restart_notices(tmp_path):
    path = tmp_path / "settings.toml"
    store = _store(path)
    store.set("core", "n_stacks", 30, running=True)
    store.load()
    assert store.value("core", "n_stacks") == 10
    assert store.pending_restart == ()


def test_a_namespace_clashing_with_a_key_is_written_with_a_quoted_name(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[camera]\nsim = "on"\n["camera.sim"]\nframerate = 9\n')
    store = _store(path)
    store.load()
    store.save()
    assert '["camera.sim"]' in path.read_text()
    again = _store(path)
    again.load()
    assert again.value("camera.sim", "framerate") == 9.0
