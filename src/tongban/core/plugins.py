"""Plugin registries: where a district plugs in its own payment provider, carrier, SMS gateway …

Each plugin family (payment providers, data providers, carriers, SMS providers) has a
Protocol and one ``Registry`` instance next to it, in the domain app that uses it.  A plugin
module registers its class under a short code::

    @payment_providers.register("district-bank")
    class DistrictBankProvider: ...

and a setting names the code in use (``PAYMENT_PROVIDER="district-bank"``).  The modules
listed in ``settings.TONGBAN_PLUGINS`` are imported once at start-up (``CoreConfig.ready``),
so a district's plugins register themselves without any change to Tongban; the sandboxes
(``tongban.sandbox``) are plugged in the same way outside production.

A registry holds code, never data: every ``get`` builds a fresh plugin (which reads its
own settings), so nothing is shared between requests or processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
#: A plugin factory: usually the plugin class, built without arguments.
F = TypeVar("F", bound=Callable[[], Any])


class PluginError(ImproperlyConfigured):
    """A plugin that is unknown, registered twice, not importable or of the wrong shape."""


class Registry(Generic[T]):
    """Plugins of one family by code; ``get(code)`` builds the one registered under ``code``."""

    def __init__(
        self, *, name: str, label: str, setting: str | None = None, protocol: type | None = None
    ) -> None:
        #: English and Chinese name of the family, for error messages.
        self.name = name
        self.label = label
        #: The setting that names the plugin in use (None: the caller names it, e.g. per resource).
        self.setting = setting
        #: A runtime_checkable Protocol every built plugin must satisfy.
        self.protocol = protocol
        self._factories: dict[str, Callable[[], T]] = {}

    def __repr__(self) -> str:
        return f"<Registry of {self.name}s: {', '.join(self) or 'empty'}>"

    @overload
    def register(self, code: str) -> Callable[[F], F]: ...

    @overload
    def register(self, code: str, factory: F) -> F: ...

    def register(self, code: str, factory: F | None = None) -> F | Callable[[F], F]:
        """Register ``factory`` under ``code``; without a factory, a class decorator."""

        def add(factory: F) -> F:
            if not code or code != code.strip():
                raise PluginError(f"{self.name} code {code!r} must be a non-empty word")
            if code in self._factories:
                raise PluginError(
                    f"{self.label}代码 {code!r} 已被注册 / {self.name} code {code!r} is "
                    f"already registered (by {_origin(self._factories[code])})"
                )
            self._factories[code] = factory
            return factory

        return add if factory is None else add(factory)

    def unregister(self, code: str) -> None:
        """Forget ``code`` (tests that register a plugin of their own clean up with it)."""
        self._factories.pop(code, None)

    def get(self, code: str) -> T:
        """A new plugin of the one registered under ``code``; PluginError naming the known codes."""
        factory = self._factories.get(code)
        if factory is None:
            known = ", ".join(self) or "无 / none"
            where = f"{self.setting}=" if self.setting else ""
            raise PluginError(
                f"未知的{self.label} {where}{code!r}（已注册：{known}）/ unknown {self.name} "
                f"{where}{code!r}; registered: {known}. A district's plugins are loaded from "
                "the modules listed in TONGBAN_PLUGINS."
            )
        plugin = factory()
        if self.protocol is not None and not isinstance(plugin, self.protocol):
            raise PluginError(
                f"{self.name} {code!r} ({_origin(factory)}) does not implement "
                f"{self.protocol.__name__}"
            )
        return plugin

    def configured(self) -> T:
        """The plugin named by this family's setting (e.g. settings.PAYMENT_PROVIDER)."""
        if self.setting is None:
            raise PluginError(f"{self.name}s are not chosen by a setting")
        return self.get(str(getattr(settings, self.setting)))

    def items(self) -> Iterator[tuple[str, Callable[[], T]]]:
        """(code, factory) pairs, sorted by code."""
        return iter(sorted(self._factories.items()))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._factories))

    def __contains__(self, code: object) -> bool:
        return code in self._factories

    def __len__(self) -> int:
        return len(self._factories)


def _origin(factory: Callable[..., Any]) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', factory)}"


def plugins_load(modules: Iterable[str]) -> None:
    """Import each plugin module (its import registers its plugins); a bad name stops the start.

    A module that sets ``DEVELOPMENT_ONLY = True`` (the sandboxes) is refused in production.
    """
    for path in modules:
        try:
            module = import_module(path)
        except ImportError as exc:
            raise PluginError(
                f"TONGBAN_PLUGINS 中的模块 {path!r} 无法导入 / TONGBAN_PLUGINS: "
                f"cannot import {path!r}: {exc}"
            ) from exc
        if getattr(module, "DEVELOPMENT_ONLY", False) and settings.PRODUCTION:
            raise PluginError(
                f"{path} 仅用于开发和测试，生产环境拒绝加载 / {path} is for development "
                "and tests only and is refused in production (remove it from TONGBAN_PLUGINS)"
            )
