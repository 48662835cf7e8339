"""Sandboxes: stand-ins for the outside world, for development, the demo and the tests.

``payment_gateway`` is a fake bank run as its own process (``tongban payments sandbox``);
``payments`` and ``delivery`` are the plugins that use it and a fake courier.  They plug into
the domain apps' registries like a district's own plugins (``settings.TONGBAN_PLUGINS`` lists
them outside production, and production refuses them); no domain app imports this package.
"""
