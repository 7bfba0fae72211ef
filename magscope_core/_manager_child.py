"""The child side of a manager process: how it starts, runs and ends.

The hub pickles a :class:`Bootstrap` record into a process started with the ``spawn``
context; :func:`child_main` is that process's target:

1. the manager object is built from its spec's factory with the spec's options;
2. :meth:`~magscope_core.ManagerProcess.configure` gets the session's shared resources;
3. :meth:`~magscope_core.ManagerProcess.setup` opens devices;
4. the manager's event loop runs (see :mod:`magscope_core._manager`);
5. on ``Quit`` (or SIGTERM, or the hub going away)
   :meth:`~magscope_core.ManagerProcess.teardown` runs, the hub is told ``Goodbye`` and
   the pipe is drained until the hub closes it.

Any exception in setup or the loop is reported to the hub with the manager's name, the
plugin's distribution and the traceback; a configuration error ends the process with
:data:`CONFIG_EXIT_CODE` (the supervisor does not restart it).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from magscope_core._config_errors import ConfigurationError
from magscope_core._manager import ManagerProcess, _ConnSender
from magscope_core._messages import ErrorReport, Launched, Ready, RemoteError
from magscope_core._proctitle import set_process_title
from magscope_core._status import ManagerState

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from magscope_core._registry import CommandRegistry
    from magscope_core._resources import SharedResources

__all__ = ["CONFIG_EXIT_CODE", "Bootstrap", "child_main"]

CONFIG_EXIT_CODE = 2
"""Exit code of a manager process that stopped on a configuration error."""


@attrs.frozen
class Bootstrap:
    """Everything a manager process needs, pickled into the spawned child."""

    name: str
    factory: Callable[..., ManagerProcess]
    options: dict[str, Any]
    plugin: str
    distribution: str
    conn: Connection
    registry: CommandRegistry
    resources: SharedResources
    heartbeat_interval: float
    log_level: int
    kept_state: Any = None



def _set_parent_death_signal() -> None:
    """On Linux, get SIGTERM if the hub process dies (no orphans even after SIGKILL)."""
    if not os.path.exists("/proc/self"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def child_main(boot: Bootstrap) -> None:
    """Entry point of every manager process (the target of ``Process``)."""
    from logging.handlers import QueueHandler

    set_process_title(boot.name)  # ps/top: "magscope: camera"
    _set_parent_death_signal()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the hub's to handle
    sender = _ConnSender(boot.conn)
    # the plugin is imported (unpickling the bootstrap did it), except a factory named by
    # an import path: it is imported when it is called below. Setup's clock starts.
    try:
        sender.send(Launched(boot.name, os.getpid()))
    except (OSError, ValueError):
        pass
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(sender)]  # type: ignore[arg-type]
    root.setLevel(boot.log_level)

    manager: ManagerProcess | None = None
    code = 0
    try:
        manager = boot.factory(**boot.options)
        if not isinstance(manager, ManagerProcess):
            raise TypeError(
                f"factory {boot.factory!r} of manager {boot.name!r} returned "
                f"{type(manager).__name__}, expected a ManagerProcess"
            )
        manager._bind(boot, sender)

        def _on_sigterm(signum: int, frame: Any) -> None:
            assert manager is not None
            manager._quitting = True

        signal.signal(signal.SIGTERM, _on_sigterm)
        manager.configure(boot.resources)
        manager.setup()
        manager._status.set_state(boot.name, ManagerState.RUNNING)
        manager._status.beat(boot.name)
        sender.send(Ready(boot.name, os.getpid()))
        manager._loop()
    except BaseException as exc:
        # the user's configuration is wrong: reported as such, and never restarted
        configuration = isinstance(exc, ConfigurationError)
        code = CONFIG_EXIT_CODE if configuration else 1
        remote = RemoteError.from_exception(exc, f"manager {boot.name!r}")
        try:
            sender.send(ErrorReport(boot.name, boot.plugin, boot.distribution, remote, True,
                                    configuration))
        except Exception:
            pass
    finally:
        if manager is not None:
            try:
                manager.teardown()
            except Exception as exc:
                code = code or 1
                remote = RemoteError.from_exception(exc, f"{boot.name}.teardown")
                try:
                    sender.send(
                        ErrorReport(boot.name, boot.plugin, boot.distribution, remote, False)
                    )
                except Exception:
                    pass
            if code == 0:
                manager._finish()
            try:
                manager.resources.close()
            except Exception:
                pass
        root.handlers[:] = []
    if code:
        raise SystemExit(code)
