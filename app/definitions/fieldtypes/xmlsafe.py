"""Characters XML forbids (and so .xlsx and .docx): removed in one place, on input and output.

A vertical tab or a form feed pasted from another program is invisible on screen, but an
Excel or Word file containing it cannot be written (or opened). Tab, newline and carriage
return are allowed and kept.
"""

import re

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_illegal(text: str) -> str:
    """`text` without the characters XML 1.0 forbids; the same object when there are none."""
    return ILLEGAL.sub("", text) if ILLEGAL.search(text) else text


def xml_text(value):
    """A value to write into a document: text cleaned, anything else as it is."""
    return strip_illegal(value) if isinstance(value, str) else value
