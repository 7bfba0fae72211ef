"""Tests of the hello plugin: its hooks load cleanly, and it answers through a real hub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from magscope_core import (
    CommandError,
    CommandValidationError,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerState,
    PluginSet,
    load_plugins,
)

from magscope_hello import Greet, plugin


def load_hello() -> PluginSet:
    """Load only this plugin (not whatever else is installed), strictly."""
    return load_plugins(
        strict=True, entry_points=[], builtins=[(plugin, "hello", "magscope-hello")]
    )


def test_hooks_return_valid_records() -> None:
    plugins = load_hello()
    assert plugins.errors == ()
    assert plugins.managers["hello"].spec.factory is plugin.HelloManager
    assert plugins.commands["Greet"].spec.command is Greet


def test_command_fields_are_checked_when_built() -> None:
    with pytest.raises(CommandValidationError, match=r"Greet\.name: expected str"):
        Greet(name=42)  # type: ignore[arg-type]


@pytest.fixture
def hub() -> Iterator[Hub]:
    """A real hub running the plugin's managers (no camera) in spawned processes."""
    plugins = load_hello()
    managers = [ManagerEntry(c.spec, c.plugin, c.distribution) for c in plugins.managers.values()]
    commands = [(c.spec, c.plugin, c.distribution) for c in plugins.commands.values()]
    small = HubConfig(tracks_capacity=1_000, max_beads=16, profile_length=64, join_timeout_s=3.0)
    with Hub(managers, commands, small) as running:
        yield running


@pytest.mark.integration
def test_greet_round_trip(hub: Hub) -> None:
    assert hub.state("hello") is ManagerState.RUNNING
    assert hub.call(Greet(name="bead 7")) == "Hello, bead 7!"


@pytest.mark.integration
def test_handler_error_comes_back_and_the_manager_survives(hub: Hub) -> None:
    pid = hub.pid("hello")
    with pytest.raises(CommandError, match="expected the name of someone to greet"):
        hub.call(Greet(name=""))
    assert hub.call(Greet(name="again")) == "Hello, again!"
    assert hub.pid("hello") == pid
