"""The plugin registry every family uses, and the TONGBAN_PLUGINS loader."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pytest
from django.core.exceptions import ImproperlyConfigured

from tongban.core.plugins import PluginError, Registry, plugins_load


@runtime_checkable
class Greeter(Protocol):
    def greet(self) -> str: ...


def _registry() -> Registry[Greeter]:
    return Registry[Greeter](name="greeter", label="问候", setting="GREETER", protocol=Greeter)


def test_it_builds_the_plugin_registered_under_a_code() -> None:
    greeters = _registry()

    @greeters.register("hello")
    class Hello:
        def greet(self) -> str:
            return "你好"

    class Morning:
        def greet(self) -> str:
            return "早上好"

    assert greeters.register("morning", Morning) is Morning
    assert isinstance(greeters.get("hello"), Hello)
    assert greeters.get("morning").greet() == "早上好"
    # A fresh plugin each time: nothing is shared between requests.
    assert greeters.get("hello") is not greeters.get("hello")


def test_an_unknown_code_is_refused_naming_the_known_codes() -> None:
    greeters = _registry()
    greeters.register("hello", lambda: None)
    greeters.register("bye", lambda: None)

    with pytest.raises(ImproperlyConfigured) as refused:
        greeters.get("helo")

    message = str(refused.value)
    assert "'helo'" in message
    assert "bye, hello" in message
    assert "TONGBAN_PLUGINS" in message


def test_an_empty_registry_says_it_has_none() -> None:
    with pytest.raises(PluginError, match="registered: 无 / none"):
        _registry().get("hello")


def test_a_code_registered_twice_is_refused_and_the_first_stays() -> None:
    greeters = _registry()

    class First:
        def greet(self) -> str:
            return "first"

    class Second:
        def greet(self) -> str:
            return "second"

    greeters.register("hello", First)
    with pytest.raises(PluginError, match="'hello' is already registered"):
        greeters.register("hello", Second)
    with pytest.raises(PluginError, match="already registered"):
        greeters.register("hello")(Second)
    assert greeters.get("hello").greet() == "first"


def test_a_blank_code_is_refused() -> None:
    with pytest.raises(PluginError):
        _registry().register(" hello", lambda: None)


def test_a_plugin_of_the_wrong_shape_is_refused_when_built() -> None:
    greeters = _registry()
    greeters.register("mute", object)

    with pytest.raises(PluginError, match="does not implement Greeter"):
        greeters.get("mute")


def test_the_family_setting_names_the_plugin_in_use(settings: Any) -> None:
    greeters = _registry()

    @greeters.register("hello")
    class Hello:
        def greet(self) -> str:
            return "你好"

    settings.GREETER = "hello"
    assert isinstance(greeters.configured(), Hello)
    settings.GREETER = "nope"
    with pytest.raises(PluginError, match="GREETER='nope'"):
        greeters.configured()


def test_it_lists_and_forgets_codes() -> None:
    greeters = _registry()
    factory = object
    greeters.register("b", factory)
    greeters.register("a", factory)

    assert list(greeters) == ["a", "b"]
    assert list(greeters.items()) == [("a", factory), ("b", factory)]
    assert "a" in greeters and "c" not in greeters and len(greeters) == 2
    greeters.unregister("a")
    assert list(greeters) == ["b"]


def test_a_plugin_module_that_cannot_be_imported_stops_the_start() -> None:
    with pytest.raises(PluginError, match=r"cannot import .tongban\.core\.tests\.no_such_plugin"):
        plugins_load(["tongban.core.tests.no_such_plugin"])


def test_a_development_only_plugin_module_is_refused_in_production(settings: Any) -> None:
    plugins_load(["tongban.core.tests.development_plugin"])

    settings.PRODUCTION = True
    with pytest.raises(PluginError, match="refused in production"):
        plugins_load(["tongban.core.tests.development_plugin"])
