"""The webchat channel: the adapter (`adaptador`) and its provider modules."""

from canais.adapters.webchat.adaptador import AdaptadorWebchat

__all__ = ["AdaptadorWebchat"]
