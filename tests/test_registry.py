from __future__ import annotations

import attrs
import pytest

from magscope_core import (
    Command,
    CommandConflictError,
    CommandRegistry,
    CommandSpec,
    Hub,
    ManagerEntry,
    ManagerProcess,
    ManagerSpec,
    Route,
    UnknownCommandError,
    handles,
)


@attrs.frozen
class Go(Command):
    speed: float


@attrs.frozen
class Tell(Command):
    text: str


class A(ManagerProcess):
    @handles(Go)
    def go(self, cmd: Go) -> None: ...

    @handles(Tell)
    def tell(self, cmd: Tell) -> None: ...


class B(ManagerProcess):
    @handles(Go)
    def go_too(self, cmd: Go) -> None: ...

    @handles(Tell)
    def tell(self, cmd: Tell) -> None: ...


def _registry() -> CommandRegistry:
    reg = CommandRegistry()
    reg.add_command(CommandSpec(Go, Route.DIRECT, scriptable=True), "motors", "acme-motors")
    reg.add_command(CommandSpec(Tell, Route.BROADCAST), "motors", "acme-motors")
    return reg


def test_handlers_collected_from_class() -> None:
    names = {(cmd.__name__, method) for cmd, method in A.handlers()}
    assert ("Go", "go") in names and ("Tell", "tell") in names
    assert ("Quit", "_on_quit") in names  # every manager subscribes to Quit


def test_direct_command_has_one_owner_broadcast_many() -> None:
    reg = _registry()
    reg.add_handlers("a", [(Go, "go"), (Tell, "tell")], "motors", "acme-motors")
    reg.add_handlers("b", [(Tell, "tell")], "other", "other-dist")
    assert reg.targets(Go(speed=1.0)) == ("a",)
    assert set(reg.targets(Tell)) == {"a", "b"}
    assert reg.get("Go").plugin == "motors"


def test_two_owners_of_a_direct_command_names_both_plugins() -> None:
    reg = _registry()
    reg.add_handlers("a", [(Go, "go")], "motors", "acme-motors")
    with pytest.raises(CommandConflictError) as info:
        reg.add_handlers("b", [(Go, "go_too")], "rival", "rival-dist")
    msg = str(info.value)
    assert "'Go'" in msg and "'motors'" in msg and "'rival'" in msg and "rival-dist" in msg


def test_same_command_defined_by_two_plugins() -> None:
    reg = _registry()

    @attrs.frozen
    class Go(Command):  # same name, another class
        speed: float

    with pytest.raises(CommandConflictError, match=r"defined twice.*'motors'.*'copycat'"):
        reg.add_command(CommandSpec(Go, Route.DIRECT), "copycat", "copycat-dist")


def test_unknown_command_and_unregistered_handler() -> None:
    reg = _registry()
    with pytest.raises(UnknownCommandError, match=r"unknown command 'Nope'.*magscope commands"):
        reg.get("Nope")

    @attrs.frozen
    class Stray(Command):
        pass

    with pytest.raises(UnknownCommandError, match=r"no plugin registered that command"):
        reg.add_handlers("a", [(Stray, "x")], "motors", "acme-motors")


def test_hub_registry_detects_conflicting_managers() -> None:
    specs = [(CommandSpec(Go, Route.DIRECT), "motors", "acme"),
             (CommandSpec(Tell, Route.BROADCAST), "motors", "acme")]
    entries = [ManagerEntry(ManagerSpec("a", A), "pa", "dist-a"),
               ManagerEntry(ManagerSpec("b", B), "pb", "dist-b")]
    with pytest.raises(CommandConflictError, match=r"'pa'.*'pb'"):
        Hub.build_registry(entries, specs)


def test_hub_registry_rejects_non_manager_factory() -> None:
    entries = [ManagerEntry(ManagerSpec("x", dict), "px", "dist-x")]
    with pytest.raises(TypeError, match=r"not a ManagerProcess subclass"):
        Hub.build_registry(entries)
