"""The email channel: the adapter (`adaptador`) and its provider modules."""

from canais.adapters.email.adaptador import AdaptadorEmail

__all__ = ["AdaptadorEmail"]
