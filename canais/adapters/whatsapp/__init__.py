"""The whatsapp channel: the adapter (`adaptador`) and its provider modules."""

from canais.adapters.whatsapp.adaptador import AdaptadorWhatsApp

__all__ = ["AdaptadorWhatsApp"]
