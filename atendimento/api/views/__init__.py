"""API views: ViewSets whose actions parse the input, call one selector or service and render."""

from __future__ import annotations
