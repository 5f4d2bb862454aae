"""The parts of an OPC package (a DOCX) that a reader needs, found as python-docx finds them.

python-docx's ``Document()`` reads every part the relationships reach and parses every XML part
it has a class for (styles, numbering, settings, ...): about 14 ms for one page of text in
python-docx's default template, whose two style parts inflate to 800 KB of XML. The text and
the metadata need two parts, the main document and the core properties, so only those are read
and parsed here, with python-docx's own parser and element classes. The lookups follow
python-docx 1.2: the package relationship of each type (``part_related_by``), the target
resolved against ``/`` (``PackURI.from_rel_ref``), and the content type from
``[Content_Types].xml``, an override for the part name before the default for its extension,
both without regard to case.
"""

from __future__ import annotations

import zipfile
from typing import Any

from docx.opc.constants import RELATIONSHIP_TARGET_MODE as RTM
from docx.opc.oxml import oxml_parser
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI, PackURI
from lxml import etree

from llm_lineage.common.errors import LlmLineageError


class BadPackage(LlmLineageError, ValueError):
    """The package's relationships or parts are not what a DOCX holds."""


class PartMissing(LlmLineageError, KeyError):
    """The package has no relationship of a type, or no ZIP entry where one points."""

    def __str__(self) -> str:
        return str(self.args[0])  # the message, not KeyError's quoted repr of it


class Package:
    """The content types and package relationships of an opened (and checked) ZIP package."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        types = self._xml(CONTENT_TYPES_URI)
        self.overrides = {o.partname.lower(): o.content_type for o in types.overrides if o.partname}
        self.defaults = {d.extension.lower(): d.content_type for d in types.defaults if d.extension}
        try:
            relationships = self._xml(PACKAGE_URI.rels_uri).Relationship_lst
        except PartMissing:  # python-docx: no package relationships at all
            relationships = []
        self.relationships = [(r.reltype, r.target_ref, r.target_mode) for r in relationships]

    def _xml(self, partname: PackURI) -> Any:
        """A part parsed into python-docx's OPC element classes (``CT_Types``, ...)."""
        return etree.fromstring(self.blob(partname), oxml_parser)

    def blob(self, partname: PackURI) -> bytes:
        try:
            return self.archive.read(partname.membername)
        except KeyError:
            raise PartMissing(f"no part {partname} in the package") from None

    def related(self, reltype: str) -> PackURI:
        """The part name of the one package relationship of ``reltype``; PartMissing when there
        is none, BadPackage (a ValueError) when there are several or it points outside the package."""
        matching = [(target, mode) for kind, target, mode in self.relationships if kind == reltype]
        if not matching:
            raise PartMissing(f"no relationship of type '{reltype}' in the package")
        if len(matching) > 1:
            raise BadPackage(f"multiple relationships of type '{reltype}' in the package")
        target, mode = matching[0]
        if mode == RTM.EXTERNAL:
            raise BadPackage(f"the relationship of type '{reltype}' points outside the package")
        return PackURI.from_rel_ref(PACKAGE_URI, target)

    def content_type(self, partname: PackURI) -> str:
        found = self.overrides.get(partname.lower()) or self.defaults.get(partname.ext.lower())
        if found is None:
            raise PartMissing(f"no content type for part {partname} in [Content_Types].xml")
        return found
