"""YAML that a user uploads (a saved import mapping): plain data, no aliases, a size cap.

`yaml.safe_load` builds only plain data, but it follows aliases: a few hundred bytes of
nested aliases ("billion laughs") expand into gigabytes once the data is walked or
serialised. A file written by Cartella never uses anchors or aliases, so they are refused
outright, while the file is still being parsed, together with files over the size cap and
nesting too deep to be data.
"""

import yaml

MAX_BYTES = 64 * 1024
MAX_DEPTH = 50


class UnsafeYaml(ValueError):
    """The uploaded YAML is refused; the message says why, in Italian."""


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors, aliases and deep nesting."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise UnsafeYaml("usa ancore o alias YAML («&», «*»), che un file scritto da "
                             "Cartella non contiene mai")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise UnsafeYaml(f"ha più di {MAX_DEPTH} livelli annidati")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_user_yaml(content: bytes, name: str, max_bytes: int = MAX_BYTES):
    """Parse an uploaded YAML file into plain data, or raise UnsafeYaml naming the file."""
    if len(content) > max_bytes:
        raise UnsafeYaml(f"«{name}» è troppo grande (al massimo {max_bytes // 1024} KB).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsafeYaml(f"«{name}» non è un file di testo UTF-8.") from None
    try:
        return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - derives from SafeLoader
    except UnsafeYaml as exc:
        raise UnsafeYaml(f"«{name}» è rifiutato: {exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" alla riga {mark.line + 1}" if mark else ""
        raise UnsafeYaml(f"«{name}» non è un file YAML leggibile{where}.") from None
