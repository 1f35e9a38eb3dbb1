"""Settings: read only from the environment (django-environ; ``.env`` when present).

With ``DATABASE_URL`` / ``REDIS_URL`` unset, the embedded PostgreSQL+pgvector and Redis of
``conectcrm.embedded`` are started on demand (data under ``.devdata/<perfil>``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab

from conectcrm import ambiente

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

AMBIENTE = ambiente.ambiente(os.environ)
os.environ.setdefault("CONECTCRM_AMBIENTE", AMBIENTE)  # processes started from here inherit it
PRODUCAO = AMBIENTE == ambiente.PRODUCAO
PERFIL_DEV = env("CONECTCRM_PERFIL", default="run")
# Local data of this checkout (embedded servers, media, demo login): .devdata/<perfil>
PASTA_DEVDATA = Path(env("CONECTCRM_DEVDATA", default=str(BASE_DIR / ".devdata")))
PASTA_DADOS = PASTA_DEVDATA / PERFIL_DEV
# Development secrets: random per checkout, kept in .devdata (never in the repository)
_DEV = {} if PRODUCAO else ambiente.segredos_desenvolvimento(PASTA_DEVDATA)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="") or _DEV.get("SECRET_KEY", "")
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="") or _DEV.get("JWT_SIGNING_KEY", "")
# earlier JWT signing keys still accepted while their tokens expire (rotation)
JWT_SIGNING_KEYS_ANTERIORES = env.list("JWT_SIGNING_KEYS_ANTERIORES", default=[])
# Secrets at rest (Canal.segredos, IntegracaoConfig.segredos): Fernet key(s), newest first;
# `manage.py rotacionar_chaves` re-encrypts every secret with the first one.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[]) or (
    [_DEV["FIELD_ENCRYPTION_KEY"]] if _DEV else []
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if PRODUCAO else ["127.0.0.1", "localhost", "testserver", "[::1]"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if PRODUCAO:
    ambiente.exigir_producao_segura(
        ambiente.problemas_producao(
            secret_key=SECRET_KEY,
            jwt_signing_key=JWT_SIGNING_KEY,
            chaves_fernet=FIELD_ENCRYPTION_KEY,
            allowed_hosts=ALLOWED_HOSTS,
            debug=DEBUG,
            dev=ambiente.segredos_conhecidos(PASTA_DEVDATA),
        )
    )

# ----------------------------------------------------------------------------- services
# With DATABASE_URL / REDIS_URL unset: the embedded servers of .devdata/<perfil>. Importing the
# settings starts nothing; the servers are started on demand when Django sets up
# (AtendimentoConfig.ready → conectcrm.embedded.garantir), by whichever process comes first.
EMBUTIDO_PASTA = None
EMBUTIDO_POSTGRES = not env("DATABASE_URL", default="")
EMBUTIDO_REDIS = not env("REDIS_URL", default="")
if EMBUTIDO_POSTGRES or EMBUTIDO_REDIS:
    from conectcrm import embedded as _embutido

    EMBUTIDO_PASTA = str(_embutido.pasta_dados(PERFIL_DEV))

DATABASE_URL = env("DATABASE_URL", default="") or _embutido.url_postgres(EMBUTIDO_PASTA)
REDIS_URL = env("REDIS_URL", default="") or _embutido.url_redis(EMBUTIDO_PASTA)

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
if env("TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DB_NAME")}


def _redis_urls(url: str, db: int) -> tuple[str, str]:
    """(redis-py URL, Celery/kombu URL) for logical database ``db`` of REDIS_URL."""
    partes = urlsplit(url)
    if partes.scheme == "unix":
        return f"unix://{partes.path}?db={db}", f"redis+socket://{partes.path}?virtual_host={db}"
    base = url.rsplit("/", 1)[0] if partes.path.strip("/").isdigit() else url.rstrip("/")
    return f"{base}/{db}", f"{base}/{db}"


REDIS_DB_BASE = env.int("REDIS_DB_BASE", default=0)  # tests of parallel sessions use other dbs
REDIS_CACHE_URL, _ = _redis_urls(REDIS_URL, REDIS_DB_BASE)
_, CELERY_BROKER_URL = _redis_urls(REDIS_URL, REDIS_DB_BASE + 1)
REDIS_CANAIS_URL, _ = _redis_urls(REDIS_URL, REDIS_DB_BASE + 2)

# ----------------------------------------------------------------------------- apps
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "axes",
    "atendimento",
    "canais",
    "ia",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "atendimento.api.parsers.LimiteCorpoMiddleware",  # 413 before anything reads the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "atendimento.inbox.idioma.IdiomaDoAtendenteMiddleware",  # stored language, no cookie yet
    "atendimento.seguranca.contexto.RequisicaoAtualMiddleware",  # who acts (audit trail)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into a 429
]

ROOT_URLCONF = "conectcrm.urls"
WSGI_APPLICATION = "conectcrm.wsgi.application"
ASGI_APPLICATION = "conectcrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / ".devdata" / "staticfiles")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders in dev
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=PASTA_DADOS / "media")
MEDIA_URL = "/media/"  # never served publicly: media goes through a permission-checked view

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=1024 * 1024)
# the desk's public address (https://crm.example.com) for URLs a provider fetches without a
# request of ours to build them from (Twilio MediaUrl); empty: the channel's webhook URL origin
URL_PUBLICA = env("URL_PUBLICA", default="").rstrip("/")
# seconds an outbound attachment's signed public URL (Twilio fetches MediaUrl) stays valid
MIDIA_PUBLICA_SEGUNDOS = env.int("MIDIA_PUBLICA_SEGUNDOS", default=600)
# hosts Twilio media is downloaded from (the API host and its media redirect hosts); a channel's
# own api_base_url is always allowed. Each entry is an https host, ".suffix" (any https
# sub-host) or a full origin ("http://127.0.0.1:8080")
TWILIO_HOSTS_MIDIA = env.list(
    "TWILIO_HOSTS_MIDIA", default=["api.twilio.com", ".twiliocdn.com", ".twilio.com"]
)
# seconds a webhook process keeps a routed channel (and its decrypted config); 0 disables
WEBHOOK_CACHE_CANAL_SEGUNDOS = env.float("WEBHOOK_CACHE_CANAL_SEGUNDOS", default=5.0)
# a burst of webhooks queues a few draining tasks, not one per webhook (canais.despertar);
# 0: one process_webhook task per webhook
WEBHOOK_DESPERTAR_SEGUNDOS = env.float("WEBHOOK_DESPERTAR_SEGUNDOS", default=10.0)
# events the drain claims and processes per transaction (canais.webhooks_guardados)
WEBHOOK_LOTE = env.int("WEBHOOK_LOTE", default=200)
# the sweep re-queues events stored this long ago and still unprocessed, this many per run
VARREDURA_WEBHOOKS_IDADE_SEGUNDOS = env.float("VARREDURA_WEBHOOKS_IDADE_SEGUNDOS", default=30.0)
VARREDURA_WEBHOOKS_LOTE = env.int("VARREDURA_WEBHOOKS_LOTE", default=500)
# failed attempts of a stored webhook before it ends "falhou" (canais.webhooks_guardados)
WEBHOOK_MAX_TENTATIVAS = env.int("WEBHOOK_MAX_TENTATIVAS", default=5)
# events one drain task processes before handing over to a fresh task (canais.despertar)
WEBHOOK_DRENAGEM_MAX = env.int("WEBHOOK_DRENAGEM_MAX", default=5000)

# ----------------------------------------------------------------------------- Sending
# seconds before a call to a provider times out (connect/read/write)
PROVEDOR_TIMEOUT_SEGUNDOS = env.float("PROVEDOR_TIMEOUT_SEGUNDOS", default=10.0)
# retries of an outbound message after its first attempt on transient provider failures
# (timeouts, 5xx, 429), with exponential backoff from ENVIO_BACKOFF_BASE_SEGUNDOS doubling up
# to ENVIO_BACKOFF_MAX_SEGUNDOS, never sooner than the provider's Retry-After (capped at
# ENVIO_RETRY_AFTER_MAX_SEGUNDOS) (atendimento.services.envio)
ENVIO_MAX_TENTATIVAS = env.int("ENVIO_MAX_TENTATIVAS", default=5)
ENVIO_BACKOFF_BASE_SEGUNDOS = env.float("ENVIO_BACKOFF_BASE_SEGUNDOS", default=5.0)
ENVIO_BACKOFF_MAX_SEGUNDOS = env.int("ENVIO_BACKOFF_MAX_SEGUNDOS", default=300)
ENVIO_RETRY_AFTER_MAX_SEGUNDOS = env.int("ENVIO_RETRY_AFTER_MAX_SEGUNDOS", default=3600)
# the beat sweep re-queues outbound messages the broker refused after this many seconds, and
# any message still "pendente" after VARREDURA_MENSAGENS_ESQUECIDA_SEGUNDOS (a lost task;
# default: the longest Retry-After plus two backoffs), this many per run
VARREDURA_MENSAGENS_FILA_INDISPONIVEL_SEGUNDOS = env.int(
    "VARREDURA_MENSAGENS_FILA_INDISPONIVEL_SEGUNDOS", default=30
)
VARREDURA_MENSAGENS_ESQUECIDA_SEGUNDOS = env.int(
    "VARREDURA_MENSAGENS_ESQUECIDA_SEGUNDOS",
    default=ENVIO_RETRY_AFTER_MAX_SEGUNDOS + 2 * ENVIO_BACKOFF_MAX_SEGUNDOS,
)
VARREDURA_MENSAGENS_LOTE = env.int("VARREDURA_MENSAGENS_LOTE", default=200)
# seconds between two provider "typing…" calls for one ticket
DIGITANDO_INTERVALO_SEGUNDOS = env.int("DIGITANDO_INTERVALO_SEGUNDOS", default=5)
# ceiling of any channel's bulk-send rate, messages per second (a channel's own rate is its
# config's mensagens_por_segundo, else its adapter's taxa_lote_por_segundo)
LOTE_TAXA_MAXIMA = env.float("LOTE_TAXA_MAXIMA", default=1000.0)
# an SLA clock with less than this share of its window left is "about to breach": amber in the
# inbox, alerta_sla sent (atendimento.services.sla)
SLA_ALERTA_FRACAO = env.float("SLA_ALERTA_FRACAO", default=0.25)
# seconds of sending one run of the bulk-send task prepares before it runs again, and the
# most recipients one bulk send takes (atendimento.services.lote)
LOTE_JANELA_SEGUNDOS = env.float("LOTE_JANELA_SEGUNDOS", default=60.0)
LOTE_MAX_DESTINATARIOS = env.int("LOTE_MAX_DESTINATARIOS", default=10_000)
# longest wait between retries of a webhook-processing or media-download task (2^n seconds
# up to this); how long a status of a message not recorded yet is retried (canais.tasks.entrada,
# canais.webhooks_guardados)
WEBHOOK_BACKOFF_MAX_SEGUNDOS = env.float("WEBHOOK_BACKOFF_MAX_SEGUNDOS", default=300.0)
WEBHOOK_ESPERA_STATUS_SEGUNDOS = env.int("WEBHOOK_ESPERA_STATUS_SEGUNDOS", default=300)
# e-mail loop guard: more than EMAIL_LACO_MAX mails from one sender to one channel within
# EMAIL_LACO_JANELA_SEGUNDOS are an auto-responder storm (atendimento.services.email_entrada)
EMAIL_LACO_MAX = env.int("EMAIL_LACO_MAX", default=20)
EMAIL_LACO_JANELA_SEGUNDOS = env.int("EMAIL_LACO_JANELA_SEGUNDOS", default=600)
# seconds a website-chat visitor's signed media link stays valid (canais.webchat.conversa), and
# how long a visitor's token lets a returning visitor keep their conversation (90 days)
WEBCHAT_MIDIA_SEGUNDOS = env.int("WEBCHAT_MIDIA_SEGUNDOS", default=3600)
WEBCHAT_VISITANTE_SEGUNDOS = env.int("WEBCHAT_VISITANTE_SEGUNDOS", default=90 * 24 * 3600)
# seconds a burst of customer messages is gathered before one AI analysis / one bot answer
# (ia.tasks)
IA_ESPERA_ANALISE_SEGUNDOS = env.float("IA_ESPERA_ANALISE_SEGUNDOS", default=10.0)
IA_ESPERA_ROBO_SEGUNDOS = env.float("IA_ESPERA_ROBO_SEGUNDOS", default=4.0)
# group commit of the webhook rows of one server process (canais.gravacao)
WEBHOOK_GRAVACAO_EM_GRUPO = env.bool("WEBHOOK_GRAVACAO_EM_GRUPO", default=True)
WEBHOOK_GRUPO_MAX = env.int("WEBHOOK_GRUPO_MAX", default=200)
WEBHOOK_GRUPO_JANELA_MS = env.float("WEBHOOK_GRUPO_JANELA_MS", default=0.0)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 2},
    }
}

# ----------------------------------------------------------------------------- email
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="atendimento@localhost")

# ----------------------------------------------------------------------------- DRF / JWT / OpenAPI
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "atendimento.api.jwt.AutenticacaoJWT",  # simplejwt's, the Atendente in the same query
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "atendimento.api.filters.FiltrosDaLista",  # django-filter's, only the named filters
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"login": env("THROTTLE_LOGIN", default="10/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "atendimento.api.erros.tratar_excecao",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ConectCRM Atendimento API",
    "DESCRIPTION": "API do atendimento omnichannel: tickets, mensagens, canais, filas, atendentes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusTicketEnum": "atendimento.models.Ticket.Status",
        "StatusAtendenteEnum": "atendimento.models.Atendente.Status",
        "TipoCanalEnum": "canais.registry.escolhas",
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "SIGNING_KEY": JWT_SIGNING_KEY,
}

# ----------------------------------------------------------------------------- Channels
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "atendimento.realtime.camada.CamadaRedis",
        "CONFIG": {
            # redis-py 8 defaults to a 5 s read timeout, shorter than channels-redis' 5 s
            # BZPOPMIN: give it room, and cap the pool (bench/README.md).
            "hosts": [
                {
                    "address": REDIS_CANAIS_URL,
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    "max_connections": 1000,
                }
            ],
            "capacity": env.int("CHANNELS_CAPACITY", default=1000),
            "expiry": 60,
            "group_expiry": 3600,
            "prefix": env("CHANNELS_PREFIX", default="asgi"),
        },
    }
}

# Real time tunables (the only place with their defaults; atendimento/realtime/ajustes.py
# documents each and reads them at use).
REALTIME_OFFLINE_APOS_SEGUNDOS = env.float("REALTIME_OFFLINE_APOS_SEGUNDOS", default=30.0)
REALTIME_HEARTBEAT_SEGUNDOS = env.float("REALTIME_HEARTBEAT_SEGUNDOS", default=30.0)
REALTIME_DIGITANDO_EXPIRA_SEGUNDOS = env.float("REALTIME_DIGITANDO_EXPIRA_SEGUNDOS", default=8.0)
REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS = env.float(
    "REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS", default=4.0
)
REALTIME_FRAMES_POR_SEGUNDO = env.float("REALTIME_FRAMES_POR_SEGUNDO", default=20.0)
REALTIME_FRAMES_RAJADA = env.float("REALTIME_FRAMES_RAJADA", default=40.0)
REALTIME_FRAMES_DESCARTES = env.float("REALTIME_FRAMES_DESCARTES", default=40.0)
REALTIME_MAX_SALAS = env.int("REALTIME_MAX_SALAS", default=50)
REALTIME_PUBLICAR_FILA_MAX = env.int("REALTIME_PUBLICAR_FILA_MAX", default=10_000)
REALTIME_LACUNA_ESPERA_SEGUNDOS = env.float("REALTIME_LACUNA_ESPERA_SEGUNDOS", default=2.0)

# ----------------------------------------------------------------------------- Celery
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
# Celery's Django fixup closes every database connection before and after EACH task unless
# this is set (then once every 2 x N tasks): a new PostgreSQL backend per task.  Workers
# reuse connections as web requests do instead: conectcrm.celery closes them around each
# task by Django's own rules (CONN_MAX_AGE, CONN_HEALTH_CHECKS, a connection in error).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_DEFAULT_QUEUE = "webhooks"
CELERY_TASK_ROUTES = {
    "canais.tasks.process_webhook": {"queue": "webhooks"},
    "canais.tasks.varrer_webhooks_pendentes": {"queue": "webhooks"},
    "canais.tasks.podar_eventos_webhook": {"queue": "webhooks"},
    "canais.tasks.baixar_midia": {"queue": "messages"},
    "canais.tasks.baixar_inline": {"queue": "messages"},
    "canais.tasks.enviar_mensagem": {"queue": "messages"},
    "canais.tasks.enviar_midia": {"queue": "messages"},
    "canais.tasks.enviar_lote": {"queue": "messages"},
    "canais.tasks.reenviar_mensagem": {"queue": "messages"},
    "canais.tasks.varrer_mensagens_pendentes": {"queue": "messages"},
    "canais.tasks.digitando": {"queue": "messages"},
    "canais.tasks.marcar_lida_provedor": {"queue": "messages"},
    "canais.tasks.responder_callback": {"queue": "messages"},
    "canais.tasks.sincronizar_templates": {"queue": "messages"},
    "ia.tasks.alerta_churn": {"queue": "notifications"},
    "ia.tasks.*": {"queue": "ai-analysis"},
    "atendimento.tasks.*": {"queue": "notifications"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task not acked within this window is re-delivered (lost worker).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_timeout": 5,
    "socket_connect_timeout": 0.5,  # with one publish retry: a dead broker costs <= ~1 s
    # Publishing (webhook view, on_commit callbacks) must fail fast when Redis is down: the
    # event is already stored and the sweep re-queues it. kombu's default_channel otherwise
    # retries the connection for broker_connection_timeout with growing sleeps.
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # the desk that runs itself (atendimento.tasks, notifications queue)
    "alerta-sla": {
        "task": "atendimento.tasks.alerta_sla",
        "schedule": env.float("ALERTA_SLA_SEGUNDOS", default=60.0),
    },
    "distribuir-pendentes": {
        "task": "atendimento.tasks.distribuir_pendentes",
        "schedule": env.float("DISTRIBUICAO_VARREDURA_SEGUNDOS", default=60.0),
    },
    "expirar-menus": {
        "task": "atendimento.tasks.expirar_menus",
        "schedule": env.float("MENU_VARREDURA_SEGUNDOS", default=60.0),
    },
    "fechar-inativos": {
        "task": "atendimento.tasks.fechar_inativos",
        "schedule": env.float("FECHAMENTO_AUTOMATICO_SEGUNDOS", default=300.0),
    },
    "varrer-webhooks-pendentes": {
        "task": "canais.tasks.varrer_webhooks_pendentes",
        "schedule": env.float("VARREDURA_WEBHOOKS_SEGUNDOS", default=30.0),
    },
    "varrer-mensagens-pendentes": {
        "task": "canais.tasks.varrer_mensagens_pendentes",
        "schedule": env.float("VARREDURA_MENSAGENS_SEGUNDOS", default=60.0),
    },
    "podar-eventos-webhook": {  # LGPD retention of raw payloads, once a day
        "task": "canais.tasks.podar_eventos_webhook",
        "schedule": 24 * 3600.0,
    },
    "sincronizar-templates": {  # WhatsApp approved templates of every active channel, daily
        "task": "canais.tasks.sincronizar_templates",
        "schedule": 24 * 3600.0,
    },
}
CELERY_BEAT_SCHEDULE.update(
    {
        # notifications queue (atendimento/tasks/notificacoes.py)
        "ticket-sem-resposta": {
            "task": "atendimento.tasks.ticket_sem_resposta",
            "schedule": env.float("NOTIFICACAO_SEM_RESPOSTA_VARREDURA_SEGUNDOS", default=60.0),
        },
        "resumo-diario": {
            "task": "atendimento.tasks.resumo_diario",
            "schedule": crontab(hour=env.int("NOTIFICACAO_RESUMO_HORA", default=7), minute=0),
        },
        # ai-analysis queue: every recently active contact's churn risk, once a day
        "recalcular-churn": {
            "task": "ia.tasks.recalcular_churn",
            "schedule": crontab(hour=env.int("CHURN_RECALCULO_HORA", default=3), minute=15),
        },
    }
)
# minutes a customer may wait for an answer before the agents are told (queue and empresa
# settings override it); 0 turns the alert off
NOTIFICACAO_SEM_RESPOSTA_MIN = env.int("NOTIFICACAO_SEM_RESPOSTA_MIN", default=15)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# ----------------------------------------------------------------------------- AI
AI_PROVIDER = env("AI_PROVIDER", default="local")
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="")
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
ANTHROPIC_MODEL = env("ANTHROPIC_MODEL", default="claude-3-5-haiku-latest")
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL", default="")
# external providers: seconds per request, SDK retries (exponential backoff, Retry-After honoured)
# and the longest Retry-After wait accepted before a retry
AI_TIMEOUT = env.float("AI_TIMEOUT", default=20.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=2)
AI_ESPERA_MAXIMA = env.float("AI_ESPERA_MAXIMA", default=30.0)
# a request someone waits on (the suggested reply in the API/inbox): one try of at most this long
AI_TIMEOUT_INTERATIVO = env.float("AI_TIMEOUT_INTERATIVO", default=8.0)
# the dollar rate of AI costs in BRL: the Banco Central's PTAX OData API (manage.py
# atualizar_cotacao --bcb); COTACAO_BCB_AUTOMATICA fetches it daily (beat, COTACAO_BCB_HORA)
BCB_PTAX_URL = env(
    "BCB_PTAX_URL", default="https://olinda.bcb.gov.br/olinda/servico/PTAX/versao/v1/odata"
)
COTACAO_BCB_AUTOMATICA = env.bool("COTACAO_BCB_AUTOMATICA", default=False)
if COTACAO_BCB_AUTOMATICA:
    CELERY_BEAT_SCHEDULE["atualizar-cotacao-bcb"] = {
        "task": "ia.tasks.atualizar_cotacao_bcb",
        "schedule": crontab(hour=env.int("COTACAO_BCB_HORA", default=14), minute=30),
    }

# ----------------------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"simples": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "simples"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ----------------------------------------------------------------------------- security
# Safe by default in production; each can be relaxed by its variable (README, "Deploying").
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCAO)
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCAO)
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCAO else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCAO)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCAO)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips the client's own):
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (the production default); "" disables.
_proxy_ssl = env.list(
    "SECURE_PROXY_SSL_HEADER", default=["HTTP_X_FORWARDED_PROTO", "https"] if PRODUCAO else []
)
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl) if len(_proxy_ssl) == 2 else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every page: scripts and styles only from our own
# static files — no inline script anywhere (data reaches scripts through json_script/data-*).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # style="" attributes only (tag colours as CSS variables); <style> elements stay blocked
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"] if not PRODUCAO else ["'self'", "wss:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login attempts (django-axes): after AXES_FAILURE_LIMIT failures an account, and separately a
# client address, is locked out for AXES_COOLOFF_MINUTES (429); lockouts are logged.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "atendimento.seguranca.bloqueio.resposta_bloqueio"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=1 if PRODUCAO else 0)
AXES_VERBOSE = True
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# ----------------------------------------------------------------------------- retention
# processed webhook payloads (customers' personal data) are pruned after this many days
RETENCAO_EVENTOS_DIAS = env.int("RETENCAO_EVENTOS_DIAS", default=30)

# ----------------------------------------------------------------------------- website chat
WEBCHAT_MENSAGENS_POR_MINUTO = env.int("WEBCHAT_MENSAGENS_POR_MINUTO", default=30)
WEBCHAT_SESSOES_POR_MINUTO = env.int("WEBCHAT_SESSOES_POR_MINUTO", default=10)
