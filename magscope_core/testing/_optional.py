"""Contract tests that apply only when a subclass declares a capability.

A contract class maps each optional capability (a class attribute) to the tests that need
it; a subclass that turns the capability off does not collect those tests at all, so a
plugin's test run lists only what was checked (no skip for what does not apply).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["drop_inapplicable_tests"]


def drop_inapplicable_tests(cls: type, needs: Mapping[str, tuple[str, ...]]) -> None:
    """Hide from pytest the tests of ``cls`` whose capability attribute is falsy.

    Parameters
    ----------
    cls
        A contract subclass being created (call from ``__init_subclass__``).
    needs
        Capability attribute name -> the test method names that need it.
    """
    for flag, tests in needs.items():
        if not getattr(cls, flag):
            for name in tests:
                setattr(cls, name, None)  # pytest collects only callables named test_*
