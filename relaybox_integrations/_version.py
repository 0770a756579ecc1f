"""The package's version, in a module of its own: the transports' User-Agent names it, and
they sit below the package's ``__init__``, which imports them through the core."""

__version__ = "0.1.0"
