"""Archival finishing of a report PDF: XMP metadata, PDF/A identification, sRGB output intent
and embedded files as associated files.

ReportLab writes the pages (every font embedded: DejaVu subsets, see :mod:`.fonts`); this
module rewrites the file once with pypdf so that it carries:

- an uncompressed XMP metadata stream (Dublin Core title, creator, description; PDF
  keywords and producer; XMP creator tool and dates; ``pdfaid:part`` / ``conformance``)
  agreeing with the document information dictionary;
- an ``/OutputIntents`` entry (``GTS_PDFA1``) with the shipped sRGB ICC profile
  (``icc/sRGB-lcms2.icc``);
- the print flag on every annotation (links of the contents);
- each attachment as an associated file (``/AF``, ``/AFRelationship /Supplement``, MIME
  subtype, size and date).

Identification: PDF/A-2b when nothing is attached; PDF/A-3b when files are attached (the
evidence bundle is JSON, and PDF/A-2 allows only PDF/A attachments; PDF/A-3 allows any
file as an associated file). The file is not tagged (no structure tree), so it makes no
level "a" or "u" claim, and it has not been validated by veraPDF here (README).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from xml.sax.saxutils import escape

from mlops_desktop.core.errors import MlopsError

ICC_FILE = "sRGB-lcms2.icc"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


@dataclass(frozen=True, slots=True)
class DocInfo:
    title: str
    author: str
    subject: str
    keywords: Sequence[str]
    creator: str
    producer: str
    created: datetime
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    data: bytes
    mime: str = "application/json"
    description: str = ""


def srgb_profile() -> bytes:
    """The shipped sRGB ICC profile (LittleCMS built-in, no copyright)."""
    try:
        return (resources.files("mlops_desktop.reports") / "icc" / ICC_FILE).read_bytes()
    except OSError as exc:
        raise MlopsError(f"The sRGB profile {ICC_FILE} is missing from the installation ({exc}).",
                         "Reinstall mlops-desktop; the package must ship mlops_desktop/reports/icc/.") from exc


def pdf_date(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def xmp_packet(info: DocInfo, part: int) -> bytes:
    """The XMP packet (UTF-8) for ``info`` and PDF/A ``part`` (conformance B)."""
    e = escape
    created = xmp_date(info.created)
    keywords = ", ".join(info.keywords)
    body = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(info.subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{e(info.lang)}</rdf:li></rdf:Bag></dc:language>
   <pdf:Keywords>{e(keywords)}</pdf:Keywords>
   <pdf:Producer>{e(info.producer)}</pdf:Producer>
   <xmp:CreatorTool>{e(info.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{created}</xmp:CreateDate>
   <xmp:ModifyDate>{created}</xmp:ModifyDate>
   <xmp:MetadataDate>{created}</xmp:MetadataDate>
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return body.encode("utf-8")


def finish(pdf: bytes, info: DocInfo, attachments: Sequence[Attachment] = ()) -> tuple[bytes, int]:
    """``pdf`` rewritten as an archival file (module docstring), and its page count."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = b"%PDF-1.7"
    part = 3 if attachments else 2
    date = pdf_date(info.created)
    writer.add_metadata({
        "/Title": info.title, "/Author": info.author, "/Subject": info.subject,
        "/Keywords": ", ".join(info.keywords), "/Creator": info.creator, "/Producer": info.producer,
        "/CreationDate": date, "/ModDate": date,
    })
    root = writer._root_object  # noqa: SLF001 (pypdf exposes the catalog only this way)
    meta = DecodedStreamObject()
    meta.set_data(xmp_packet(info, part))
    meta[NameObject("/Type")] = NameObject("/Metadata")
    meta[NameObject("/Subtype")] = NameObject("/XML")
    root[NameObject("/Metadata")] = writer._add_object(meta)  # noqa: SLF001
    icc = DecodedStreamObject()
    icc.set_data(srgb_profile())
    icc[NameObject("/N")] = NumberObject(3)
    icc_ref = writer._add_object(icc.flate_encode())  # noqa: SLF001
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(OUTPUT_CONDITION),
        NameObject("/Info"): TextStringObject(OUTPUT_CONDITION),
        NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
        NameObject("/DestOutputProfile"): icc_ref,
    })
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])  # noqa: SLF001
    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            obj[NameObject("/F")] = NumberObject(4)  # print
    associated = ArrayObject()
    for att in attachments:
        embedded = writer.add_attachment(att.name, att.data)
        spec = embedded.pdf_object
        spec[NameObject("/AFRelationship")] = NameObject("/Supplement")
        spec[NameObject("/UF")] = TextStringObject(att.name)
        if att.description:
            spec[NameObject("/Desc")] = TextStringObject(att.description)
        ef = spec["/EF"].get_object()
        assert isinstance(ef, DictionaryObject)
        stream = ef["/F"].get_object()
        assert isinstance(stream, DictionaryObject)
        stream[NameObject("/Subtype")] = NameObject("/" + att.mime)
        stream[NameObject("/Params")] = DictionaryObject({
            NameObject("/Size"): NumberObject(len(att.data)),
            NameObject("/ModDate"): TextStringObject(date),
        })
        associated.append(spec.indirect_reference or writer._add_object(spec))  # noqa: SLF001
    if attachments:
        root[NameObject("/AF")] = associated
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue(), len(reader.pages)
