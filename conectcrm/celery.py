"""Celery application: four queues, routed by task name (docs/arquitetura.md)."""

from __future__ import annotations

import os

from celery import Celery

from conectcrm import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

broker.registrar()  # the Redis transport that survives a Redis restart (conectcrm/broker.py)
app = Celery("conectcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
