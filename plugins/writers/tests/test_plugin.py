from __future__ import annotations

from importlib.metadata import entry_points

import attrs
import magscope_writers
import magscope_writers.plugin
import pytest

from magscope_core import (
    SettingsError,
    SettingsStore,
    Writer,
    WriterSpec,
    describe,
    load_plugins,
)
from magscope_core._import_path import LazyFactory


def test_hooks_contribute_three_writers_and_their_settings():
    ps = load_plugins(strict=True, entry_points=[],
                      builtins=[(magscope_writers.plugin, "writers", "magscope-writers")])
    assert ps.plugin("writers").version == magscope_writers.__version__
    writers = {n: c for n, c in ps.writers.items() if c.plugin == "writers"}
    assert all(isinstance(c.spec.factory, LazyFactory) for c in writers.values())
    assert set(writers) == {"hdf5", "tiff", "telemetry"}
    # named by import path (listing imports no h5py); each path names the public class
    assert {n: c.spec.factory.resolve() for n, c in writers.items()} == {
        "hdf5": magscope_writers.Hdf5TracksWriter,
        "tiff": magscope_writers.TiffVideoWriter,
        "telemetry": magscope_writers.TelemetryWriter,
    }
    settings = {n: c.spec.schema for n, c in ps.settings.items() if c.plugin == "writers"}
    assert settings == {f"writer.{n}": c.spec.settings for n, c in writers.items()}


@pytest.mark.parametrize("spec", magscope_writers.plugin.WRITERS, ids=lambda s: s.name)
def test_each_writer_is_built_from_its_settings_and_follows_the_contract(spec: WriterSpec):
    assert spec.default_enabled and spec.description
    assert spec.settings is not None and describe(spec.settings)
    values = spec.settings()
    writer = spec.factory(**{**spec.options, **attrs.asdict(values)})
    assert isinstance(writer, Writer)
    assert all(info.doc for info in describe(spec.settings))


def test_settings_store_accepts_the_namespaces_and_builds_writers_from_them():
    store = SettingsStore()
    for spec in magscope_writers.plugin.magscope_settings():
        assert store.register(spec.namespace, spec.schema, owner="writers") == []
    store.set("writer.hdf5", "rotation_minutes", "15")
    store.set("writer.tiff", "unit", "nm")
    with pytest.raises(SettingsError, match=r"writer\.tiff\.frames_per_file"):
        store.set("writer.tiff", "frames_per_file", 0)
    with pytest.raises(SettingsError, match=r"writer\.hdf5\.rotation_minutes"):
        store.set("writer.hdf5", "rotation_minutes", -1)
    hdf5 = magscope_writers.Hdf5TracksWriter(**attrs.asdict(store.get("writer.hdf5")))
    tiff = magscope_writers.TiffVideoWriter(**attrs.asdict(store.get("writer.tiff")))
    assert hdf5.rotation_ns == 15 * 60 * 10**9 and tiff.unit == "nm"


def test_the_entry_point_is_installed():
    eps = {ep.name: ep.value for ep in entry_points(group="magscope")}
    assert eps.get("writers") == "magscope_writers.plugin"
