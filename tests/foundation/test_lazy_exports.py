"""A package's heavy names import on first use, once, and unknown names still fail."""

from __future__ import annotations

import sys
import types

import pytest

from gpulab.lazy_exports import lazy_getattr


def test_a_listed_name_is_imported_on_first_use_and_cached() -> None:
    package = types.ModuleType("demo_pkg")
    package.__getattr__ = lazy_getattr("json", package.__dict__, {"decoder": ("JSONDecoder",)})
    assert "JSONDecoder" not in package.__dict__
    decoder = package.JSONDecoder
    assert decoder is sys.modules["json.decoder"].JSONDecoder
    assert package.__dict__["JSONDecoder"] is decoder


def test_an_unlisted_name_is_an_attribute_error() -> None:
    getter = lazy_getattr("json", {}, {"decoder": ("JSONDecoder",)})
    with pytest.raises(AttributeError, match="module 'json' has no attribute 'nothing'"):
        getter("nothing")
