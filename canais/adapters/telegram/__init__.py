"""The telegram channel: the adapter (`adaptador`) and its provider modules."""

from canais.adapters.telegram.adaptador import AdaptadorTelegram

__all__ = ["AdaptadorTelegram"]
