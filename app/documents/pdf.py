"""PDF conversion with LibreOffice, headless, with a timeout, several at a time.

One soffice process can run only once per user profile, so a single converter would
serialize every user. The pool keeps N profiles (N = cores, at most 4): each conversion
takes a free profile, so N documents convert at once; a profile stays initialised between
conversions, which saves LibreOffice's slow first start.

Starting soffice costs about 1 s; converting one more document inside a running soffice
about 0.1 s. So many documents (a mail merge) go to one soffice call: `convert_many`.
The profiles live in a temporary folder removed when the pool is closed, collected, or
the process exits (also a batch worker process).

A hanging LibreOffice must not take the web server with it: a request waits at most
`wait` seconds for a free profile, and at most `size` requests wait at a time (the others
are refused at once). So PDF work holds at most 2 x size request threads, fewer than the
server's (waitress: 8; the default size is at most 3), and every other page still answers.
"""

import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from contextlib import suppress
from multiprocessing import util
from pathlib import Path

ITALIAN = {"LANG": "it_IT.UTF-8", "LC_ALL": "it_IT.UTF-8"}
EXTRA_SECONDS_PER_DOCUMENT = 10  # the timeout of a call of many documents grows by this much


class PdfUnavailable(Exception):
    """LibreOffice is not installed on this server."""


class PdfFailed(Exception):
    """LibreOffice did not produce a PDF (timeout or error)."""


class PdfBusy(Exception):
    """Every converter stayed busy for longer than a request may wait: try again shortly."""


def soffice() -> str | None:
    """Path of LibreOffice's command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


class PdfPool:
    """A fixed set of LibreOffice profiles, used one conversion at a time each."""

    def __init__(self, size: int | None = None, timeout: float = 30, root: Path | None = None,
                 wait: float = 5):
        self.size = size or max(1, min(os.cpu_count() or 1, 3))
        self.timeout, self.wait = timeout, wait
        self._waiting = threading.BoundedSemaphore(self.size)  # callers waiting for a profile
        self._root = Path(root) if root else None
        self._cleanup = None
        self._lock = threading.Lock()
        self._free: queue.Queue = queue.Queue()
        for index in range(self.size):
            self._free.put(index)

    @property
    def root(self) -> Path:
        """The profiles' folder, made on first use: a process that never converts leaves none."""
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="cartella-lo-"))
                # Only a folder the pool made is the pool's to remove. multiprocessing's
                # Finalize runs at exit in worker processes too, and never in a forked child
                # for its parent.
                self._cleanup = util.Finalize(
                    self, shutil.rmtree, args=(str(self._root),),
                    kwargs={"ignore_errors": True}, exitpriority=10)
            return self._root

    @property
    def available(self) -> bool:
        return soffice() is not None

    def close(self) -> None:
        """Remove the profiles' temporary folder now (if the pool made it)."""
        if self._cleanup is not None:
            self._cleanup()

    def convert(self, content: bytes, suffix: str) -> bytes:
        """The PDF of a .docx or .xlsx given as bytes."""
        result = self.convert_many([content], suffix)[0]
        if isinstance(result, PdfFailed):
            raise result
        return result

    def convert_many(self, contents: list[bytes], suffix: str) -> list[bytes | PdfFailed]:
        """The PDFs of many documents from one soffice start; a failure stays in its place."""
        command = soffice()
        if command is None:
            raise PdfUnavailable("LibreOffice non è installato su questo server")
        if not contents:
            return []
        timeout = self.timeout + EXTRA_SECONDS_PER_DOCUMENT * (len(contents) - 1)
        index = self._take()
        profile = self.root / f"profilo-{index}"
        try:
            with tempfile.TemporaryDirectory(prefix="cartella-pdf-") as work:
                sources = [Path(work) / f"documento-{i:04d}{suffix}"
                           for i in range(len(contents))]
                for source, content in zip(sources, contents, strict=True):
                    source.write_bytes(content)
                problem = _run_soffice(command, profile, sources, Path(work), timeout)
                return [_read_pdf(source.with_suffix(".pdf"), problem) for source in sources]
        finally:
            self._free.put(index)

    def _take(self) -> int:
        """A free profile, waiting at most `wait` seconds and only if few others wait."""
        with suppress(queue.Empty):
            return self._free.get_nowait()
        if not self._waiting.acquire(blocking=False):
            raise PdfBusy("tutti i convertitori PDF sono occupati")
        try:
            return self._free.get(timeout=self.wait)
        except queue.Empty:
            raise PdfBusy(f"nessun convertitore PDF libero entro {self.wait:.0f} secondi") from None
        finally:
            self._waiting.release()


def _run_soffice(command: str, profile: Path, sources: list[Path], outdir: Path,
                 timeout: float) -> str:
    """Convert the files in one soffice run; what went wrong ("" if it ended by itself)."""
    process = subprocess.Popen(
        [command, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, sources)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, **ITALIAN})
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # soffice starts soffice.bin as a child: end the whole group, not just the wrapper.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"conversione in PDF oltre {timeout:.0f} secondi"
    if process.returncode:
        return "LibreOffice ha rifiutato il documento: " + stderr.decode(errors="replace")[-300:]
    return ""


def _read_pdf(target: Path, problem: str) -> bytes | PdfFailed:
    """A finished PDF, or why there is none (a run cut by the timeout may leave half a file)."""
    if target.exists():
        content = target.read_bytes()
        if not problem or content.rstrip().endswith(b"%%EOF"):
            return content
    return PdfFailed(problem or "LibreOffice non ha prodotto il PDF")

