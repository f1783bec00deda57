"""PDF conversion with LibreOffice, headless, with a timeout, several at a time.

One soffice process can run only once per user profile, so a single converter would
serialize every user. The pool keeps N profiles (N = cores, at most 4): each conversion
takes a free profile, so N documents convert at once; a profile stays initialised between
conversions, which saves LibreOffice's slow first start.
"""

import os
import queue
import shutil
import subprocess
import tempfile
from pathlib import Path


class PdfUnavailable(Exception):
    """LibreOffice is not installed on this server."""


class PdfFailed(Exception):
    """LibreOffice did not produce a PDF (timeout or error)."""


def soffice() -> str | None:
    """Path of LibreOffice's command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


class PdfPool:
    """A fixed set of LibreOffice profiles, used one conversion at a time each."""

    def __init__(self, size: int | None = None, timeout: int = 90, root: Path | None = None):
        self.size = size or max(1, min(os.cpu_count() or 1, 4))
        self.timeout = timeout
        self.root = Path(root or tempfile.mkdtemp(prefix="cartella-lo-"))
        self._free: queue.Queue = queue.Queue()
        for index in range(self.size):
            self._free.put(self.root / f"profilo-{index}")

    @property
    def available(self) -> bool:
        return soffice() is not None

    def convert(self, content: bytes, suffix: str) -> bytes:
        """The PDF of a .docx or .xlsx given as bytes."""
        command = soffice()
        if command is None:
            raise PdfUnavailable("LibreOffice non è installato su questo server")
        profile = self._free.get()
        try:
            with tempfile.TemporaryDirectory(prefix="cartella-pdf-") as work:
                source = Path(work) / f"documento{suffix}"
                source.write_bytes(content)
                try:
                    subprocess.run(
                        [command, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                         "--norestore", "--convert-to", "pdf", "--outdir", work, str(source)],
                        check=True, capture_output=True, timeout=self.timeout,
                        env={**os.environ, "LANG": "it_IT.UTF-8", "LC_ALL": "it_IT.UTF-8"})
                except subprocess.TimeoutExpired as exc:
                    raise PdfFailed(f"conversione in PDF oltre {self.timeout} secondi") from exc
                except subprocess.CalledProcessError as exc:
                    raise PdfFailed("LibreOffice ha rifiutato il documento: "
                                    + exc.stderr.decode(errors="replace")[-300:]) from exc
                target = source.with_suffix(".pdf")
                if not target.exists():
                    raise PdfFailed("LibreOffice non ha prodotto il PDF")
                return target.read_bytes()
        finally:
            self._free.put(profile)
