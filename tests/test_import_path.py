"""Import paths and lazy factories: specs name implementations without importing them."""

from __future__ import annotations

import pickle
import sys

import pytest

from magscope_core import (
    CameraSpec,
    HealthCheckSpec,
    ImportPathError,
    LazyFactory,
    ManagerSpec,
    TrackerSpec,
    WriterSpec,
    load_import_path,
)
from magscope_core._config_errors import ConfigurationError, call_factory, check_call
from magscope_core._import_path import resolve_factory


def test_a_path_resolves_to_the_object_and_calls_it() -> None:
    factory = LazyFactory("fractions:Fraction")
    import fractions

    assert factory.resolve() is fractions.Fraction
    assert factory(3, 4) == fractions.Fraction(3, 4)
    assert repr(factory) == "LazyFactory('fractions:Fraction')"
    assert load_import_path("os.path:join.__name__") == "join"  # dotted attribute


def test_the_module_is_imported_on_first_use_only(tmp_path, monkeypatch) -> None:
    (tmp_path / "lazy_probe_mod.py").write_text("class Thing:\n    made = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = CameraSpec(name="probe", factory="lazy_probe_mod:Thing")
    assert isinstance(spec.factory, LazyFactory)
    assert "lazy_probe_mod" not in sys.modules
    assert spec.factory().made
    assert "lazy_probe_mod" in sys.modules


def test_every_factory_field_takes_a_path_and_still_takes_objects() -> None:
    path = "fractions:Fraction"
    specs = [
        ManagerSpec(name="m", factory=path),
        CameraSpec(name="c", factory=path, manager=path),
        TrackerSpec(name="t", factory=path),
        WriterSpec(name="w", factory=path),
        HealthCheckSpec(name="h", check=path),
    ]
    import fractions

    for spec in specs:
        value = getattr(spec, "check", None) or spec.factory  # type: ignore[attr-defined]
        assert resolve_factory(value) is fractions.Fraction
    assert resolve_factory(CameraSpec(name="c", factory=path).manager) is None
    assert TrackerSpec(name="t", factory=fractions.Fraction).factory is fractions.Fraction


def test_a_lazy_factory_pickles_as_its_path() -> None:
    factory = LazyFactory("fractions:Fraction")
    data = pickle.dumps(factory)
    assert b"fractions:Fraction" in data
    assert pickle.loads(data) == factory


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("no colon", "is not an import path: expected 'package.module:attribute'"),
        ("magscope_no_such_module:Thing", "module 'magscope_no_such_module' cannot be imported"),
        ("fractions:NoSuchThing", "module 'fractions' has no attribute 'NoSuchThing'"),
    ],
)
def test_bad_paths_say_what_is_wrong(path: str, words: str) -> None:
    with pytest.raises(ImportPathError, match=words.replace("(", r"\(")) as info:
        load_import_path(path)
    assert path in str(info.value)


def test_a_malformed_path_is_refused_when_the_spec_is_made() -> None:
    with pytest.raises(ValueError, match="'acme camera' is not an import path"):
        CameraSpec(name="acme", factory="acme camera")


def test_option_checks_see_the_real_signature_behind_a_path() -> None:
    factory = LazyFactory("fractions:Fraction")
    check_call(factory, {"numerator": 1}, "tracker 't'")
    with pytest.raises(ConfigurationError, match=r"tracker 't' option 'numeratr'.*numerator"):
        check_call(factory, {"numeratr": 1}, "tracker 't'")
    assert call_factory(factory, {"numerator": 2}, "x") == 2
