"""The twilio channel: the adapter (`adaptador`) and its provider modules."""

from canais.adapters.twilio.adaptador import AdaptadorTwilio

__all__ = ["AdaptadorTwilio"]
