"""A minimal MagScope plugin: one manager process that answers one command.

Everything a plugin contributes is returned from ``@hookimpl`` functions in this
module; ``pyproject.toml`` points the ``magscope`` entry-point group here.
"""

from __future__ import annotations

import attrs
from magscope_core import (
    Command,
    CommandSpec,
    ManagerProcess,
    ManagerSpec,
    RestartPolicy,
    Route,
    handles,
    hookimpl,
)

__all__ = ["Greet", "HelloManager", "magscope_commands", "magscope_managers"]


@attrs.frozen
class Greet(Command):
    """Ask the ``hello`` manager for a greeting; the reply is a string."""

    name: str


class HelloManager(ManagerProcess):
    """Answers :class:`Greet`. Runs in its own process, started by the hub.

    Parameters
    ----------
    greeting
        First word of every reply (comes from ``ManagerSpec.options``).
    """

    def __init__(self, greeting: str = "Hello") -> None:
        super().__init__()
        self.greeting = greeting
        self.count = 0

    def setup(self) -> None:
        """Runs in the manager's process before its loop: open devices here."""
        self.log.info("ready to greet")

    @handles(Greet)
    def greet(self, cmd: Greet) -> str:
        """Return the greeting; the value goes back to whoever called ``call(Greet(...))``."""
        if not cmd.name:
            raise ValueError("Greet.name is empty; expected the name of someone to greet")
        self.count += 1
        return f"{self.greeting}, {cmd.name}!"

    def teardown(self) -> None:
        """Runs once when the manager ends (also after an error): close devices here."""
        self.log.info("greeted %d times", self.count)


@hookimpl
def magscope_commands() -> list[CommandSpec]:
    """The commands this plugin defines, with their routes."""
    return [CommandSpec(Greet, Route.DIRECT, scriptable=True, description="say hello")]


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    """The manager processes this plugin contributes."""
    return [
        ManagerSpec(
            name="hello",
            factory=HelloManager,
            options={"greeting": "Hello"},
            restart=RestartPolicy("restart", max_restarts=3),
            description="answers Greet",
        )
    ]
