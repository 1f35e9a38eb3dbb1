"""Celery application: four queues, routed by task name (docs/arquitetura.md)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

app = Celery("conectcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
