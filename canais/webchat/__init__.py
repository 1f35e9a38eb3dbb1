"""The website live chat's own rooms: visitor tokens, per-visitor limits, the visitor's
websocket and the pages the widget loads (the adapter is ``canais.adapters.webchat``)."""
