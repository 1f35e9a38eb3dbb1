"""Test settings: the base settings on a separate embedded data folder (``.devdata/test``)."""

from __future__ import annotations

import os

os.environ.setdefault("CONECTCRM_PERFIL", "test")

from conectcrm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
WEBHOOK_CACHE_CANAL_SEGUNDOS = 0  # tests change channels between webhooks of one test
# one task per webhook, as the tests expect (their own tests turn the coalescing on)
WEBHOOK_DESPERTAR_SEGUNDOS = 0
