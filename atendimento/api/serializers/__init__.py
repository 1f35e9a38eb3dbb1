"""API serializers, split by resource.  Input and output serializers are separate where they
differ; none of them writes to the database (views call services)."""

from __future__ import annotations
