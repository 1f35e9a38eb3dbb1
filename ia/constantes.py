from __future__ import annotations

#: Size of the knowledge-base embeddings: the small multilingual embedders that run offline here
#: (multilingual-e5-small, all-MiniLM-L6-v2) produce 384 dimensions.
DIMENSOES_EMBEDDING = 384
