"""E-mails as log entries: an RFC 822 message or an mbox in, the lines of e-mail entries out.

The entry has the shape of the e-mails pasted into the user's own log (FORMAT.md C5)::

    ""Bruce Rogers" <brogers@suse.com>"_email_"[opensuse-virtual] Proposed KVM ..."_20140211_1747
    All,
    ...

The header line holds the From header as written (RFC 2047 encoded words decoded), the
subject, and the Date header in local time; then the body as plain text: the text/plain
part, else the HTML part turned into text (paragraphs and line breaks kept, scripts and
styles dropped). Attachments are named on a last line. Parsing is the standard library's
``email`` package. Pure: bytes in, lines out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from worklog.format.writer import text_lines

_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Mail:
    """One message, ready to append: the header line and the body lines."""

    sender: str
    subject: str
    date: datetime | None  # local time, naive
    body: list[str]

    @property
    def header_line(self) -> str:
        stamp = self.date.strftime("_%Y%m%d_%H%M") if self.date else ""
        return f'"{_safe(self.sender)}"_email_"{_safe(self.subject)}"{stamp}'

    @property
    def lines(self) -> list[str]:
        return [self.header_line, *self.body]


def sender_display(sender: str) -> str:
    """A sender as a person reads it: the display name with its quoting undone
    (``"O'Brien, Pat \\"PJ\\"" <pj@example.org>`` is ``O'Brien, Pat "PJ"``), else the
    address; a sender without an address (``"Jonas Berg"``) as written, unquoted."""
    if "@" in sender or "<" in sender:
        name, address = parseaddr(sender)
        if name.strip() or address.strip():
            return (name or address).strip()
    return sender.strip().strip('"').strip()


class NotMailError(ValueError):
    """A message without any e-mail header: not an e-mail (``index`` counts from 1)."""

    def __init__(self, index: int) -> None:
        super().__init__(f"message {index} has no e-mail header "
                         f"({', '.join(MAIL_HEADERS[:3])}...): not an e-mail")
        self.index = index


#: Headers of which an e-mail has at least one.
MAIL_HEADERS = ("From", "Subject", "Date", "To", "Cc", "Message-ID", "Received",
                "Return-Path", "MIME-Version", "Reply-To", "Sender", "In-Reply-To")


def _safe(value: str) -> str:
    """A header value on one line that cannot end the sender early (rule C5)."""
    return _CONTROL.sub(" ", value).replace('"_email_"', '" email "').strip()


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of ``data``: one, or each message of an mbox (``From `` lines start
    them; ``>From`` quoting in bodies is undone, as mboxrd writes it)."""
    if not data.startswith(b"From "):
        return [data] if data.strip() else []
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    messages: list[bytes] = []
    for start, end in zip(starts, [*starts[1:], len(data)], strict=True):
        chunk = data[start:end]
        first_break = chunk.find(b"\n")
        body = chunk[first_break + 1 :] if first_break >= 0 else b""
        body = _QUOTED_FROM.sub(rb"\1", body)
        if body.strip():
            messages.append(body)
    return messages


def decode_header_value(raw: str | None) -> str:
    """A header as written, unfolded, with RFC 2047 encoded words decoded; 8-bit bytes
    (raw UTF-8 headers) read as UTF-8."""
    if raw is None:
        return ""
    value = _FOLD.sub("", str(raw))
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    try:
        decoded = str(make_header(decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError):
        decoded = value
    return decoded.strip()


def local_date(raw: str | None, tz: tzinfo | None = None) -> datetime | None:
    """The Date header in local time (``tz``; the system's by default), or None."""
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(_FOLD.sub("", raw))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(tz)
    return when.replace(tzinfo=None, second=0, microsecond=0)


def parse_message(data: bytes, tz: tzinfo | None = None) -> Mail:
    """One RFC 822 message as an e-mail entry's content."""
    raw = BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return Mail(
        sender=decode_header_value(raw.get("From")),
        subject=decode_header_value(raw.get("Subject")),
        date=local_date(raw.get("Date"), tz),
        body=body_lines(message),
    )


def parse_mail(data: bytes, tz: tzinfo | None = None) -> list[Mail]:
    """Every message of a message or an mbox; NotMailError for a message without any
    e-mail header (text that is no e-mail)."""
    chunks = split_mbox(data)
    for index, chunk in enumerate(chunks, 1):
        headers = BytesParser(policy=policy.compat32).parsebytes(chunk, headersonly=True)
        if not any(headers.get(name) is not None for name in MAIL_HEADERS):
            raise NotMailError(index)
    return [parse_message(chunk, tz) for chunk in chunks]


def body_lines(message: EmailMessage) -> list[str]:
    """The body as plain text lines: text/plain, else HTML as text; attachments named."""
    part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if isinstance(part, EmailMessage):
        text = _content(part)
        if part.get_content_subtype() == "html":
            text = html_to_text(text)
    lines = text_lines(text)
    while lines and not lines[0].strip():
        lines.pop(0)
    names = [_attachment_name(p) for p in message.iter_attachments()]
    if names:
        lines += ["", "attachments: " + ", ".join(names)]
    return lines


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _attachment_name(part: Message) -> str:
    name = part.get_filename()
    return decode_header_value(name) if name else part.get_content_type()


# --- HTML to text ----------------------------------------------------------------------

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table",
                        "ul", "ol", "pre", "hr", "dl"})
_LINE = frozenset({"br", "div", "li", "tr", "dt", "dd", "section", "article", "header",
                   "footer", "address", "figure"})


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.links: list[str | None] = []

    def _break(self, count: int) -> None:
        text = "".join(self.out)
        have = len(text) - len(text.rstrip("\n")) if text.strip() else count
        self.out.append("\n" * max(0, count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)
        if tag == "pre":
            self.pre += 1
        elif tag == "li":
            self.out.append("- ")
        elif tag in ("td", "th") and "".join(self.out).rstrip(" ")[-1:] not in ("", "\n"):
            self.out.append("  ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE and tag != "br":
            self._break(1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://")) and \
                    href not in "".join(self.out[-3:]):
                self.out.append(f" <{href}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.out.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        current = "".join(self.out[-1:])
        if text.startswith(" ") and (not current or current.endswith((" ", "\n"))):
            text = text[1:]
        self.out.append(text)


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail: block elements become line breaks and paragraphs,
    list items ``- ``, links keep their address; scripts and styles are dropped."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = [line.rstrip() for line in "".join(maker.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
