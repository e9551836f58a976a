"""Siyu (私域): a self-hosted SCRM for private-domain customer operations on WeCom."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("siyu")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
