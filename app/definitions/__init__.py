"""Form definitions: loading forms/*.yaml, the field-type registry, expressions."""

from .compiled import Form, FormState
from .errors import DefinitionError, Problem
from .loader import Library, load_library

__all__ = ["DefinitionError", "Form", "FormState", "Library", "Problem", "load_library"]
