"""Text of inbound e-mails: charset decoding, conservative quote stripping, HTML → text.

Stripping is deliberately conservative: it cuts only at an unambiguous reply marker (Gmail /
Apple "On … wrote:", Outlook's "From:/Sent:" block or "-----Original Message-----") and a
trailing block of ``>`` lines; when that would leave nothing, the text stays whole.  The full
text is always kept by the caller (``dados["texto_completo"]``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: "On Tue, 20 Apr 2020 at 10:00, Ana <ana@x.com> wrote:" and its translations
_ESCREVEU = re.compile(
    r"^\s*(?:On|Em|El|Le|Am|Il|Op)\s.{0,400}\b"
    r"(?:wrote|escreveu|escribió|a\s+écrit|schrieb|ha\s+scritto|schreef)\s*:\s*$",
    re.IGNORECASE,
)
_SEPARADOR = re.compile(
    r"^\s*(?:-{3,}\s*(?:Original Message|Mensagem original|Mensaje original|Message d'origine"
    r"|Ursprüngliche Nachricht|Forwarded message|Mensagem encaminhada)\s*-{3,}|_{20,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_DE = re.compile(r"^\s*\*?(?:From|De|Von)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_DATA = re.compile(
    r"^\s*\*?(?:Sent|Date|Enviado|Enviada|Data|Fecha|Gesendet|Envoyé)\s*:\*?\s*\S", re.IGNORECASE
)


def decodificar(conteudo: bytes, charset: str) -> str:
    """Bytes in a declared charset; unknown charsets and bad bytes never raise."""
    try:
        return conteudo.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return conteudo.decode("utf-8", errors="replace")


def _marcador(linhas: list[str], i: int) -> bool:
    linha = linhas[i]
    if _SEPARADOR.match(linha) or _ESCREVEU.match(linha):
        return True
    seguinte = linhas[i + 1] if i + 1 < len(linhas) else ""
    # Gmail wraps a long attribution over two lines
    if seguinte and _ESCREVEU.match(f"{linha.rstrip()} {seguinte.strip()}"):
        return True
    if _OUTLOOK_DE.match(linha):
        return any(_OUTLOOK_DATA.match(outra) for outra in linhas[i + 1 : i + 4])
    return False


def sem_citacao(texto: str) -> str:
    """The new part of a reply (trailing whitespace removed); the whole text when unsure."""
    linhas = texto.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    corte = next((i for i in range(len(linhas)) if _marcador(linhas, i)), len(linhas))
    novas = linhas[:corte]
    while novas and (not novas[-1].strip() or novas[-1].lstrip().startswith(">")):
        novas.pop()
    resultado = "\n".join(novas).rstrip()
    return resultado if resultado.strip() else "\n".join(linhas).strip()


class _Texto(HTMLParser):
    BLOCOS = frozenset(
        {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
         "ul", "ol", "section", "article", "header", "footer", "pre"}
    )  # fmt: skip
    IGNORADOS = frozenset({"script", "style", "head", "title", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.partes: list[str] = []
        self.ignorando = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.IGNORADOS:
            self.ignorando += 1
        elif tag in self.BLOCOS:
            self.partes.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.IGNORADOS:
            self.ignorando = max(self.ignorando - 1, 0)
        elif tag in self.BLOCOS:
            self.partes.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.ignorando:
            self.partes.append(data)


def texto_do_html(html: str) -> str:
    """Readable text of an HTML-only e-mail (quoted ``<blockquote>`` parts left out)."""
    leitor = _Texto()
    leitor.feed(html)
    leitor.close()
    linhas = (" ".join(linha.split()) for linha in "".join(leitor.partes).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(linhas)).strip()
