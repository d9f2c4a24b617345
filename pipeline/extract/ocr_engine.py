"""OCR engines: images of single text lines in, text with a confidence (0-100) and character positions out.

Layout (which lines, where) is found from the page image before an engine is asked, so an engine only recognises:
``Engine.read(images)`` takes greyscale crops, each one printed line, and returns a ``Reading`` per crop. Every
reading also carries a digits-only reading of the same crop, for figures (labels are matched fuzzily later, but a
figure must be exact).

* ``rapidocr`` (default): PP-OCRv4 recognition (a CRNN with CTC output) run by onnxruntime; the model ships inside
  the ``rapidocr-onnxruntime`` wheel, so nothing is downloaded at run time. One forward pass gives both readings: the
  free one, and the digits-only one decoded from the same per-column probabilities with every class but the digits
  masked out.
* ``tesseract``: Tesseract through tesserocr (language data from Debian's ``tesseract-ocr-chi-sim``), one line per
  call; the digits-only reading is a second call with a character whitelist.

Engines are loaded once per process and thread (``get_engine``): loading a model takes a fraction of a second.
"""

from __future__ import annotations

import glob
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import DependencyMissing

DIGITS = "0123456789.-+/%"
REC_HEIGHT = 48  # PP-OCR's recognition input height
BATCH_PIXELS = 48 * 2400  # pixels of input width summed over one batch (bounded memory, similar widths together)
MAX_BATCH = 32
TESSERACT_MISSING = "install Tesseract: apt-get install tesseract-ocr tesseract-ocr-chi-sim"
RAPIDOCR_MISSING = 'install RapidOCR: pip install "xxgk[ocr]" (rapidocr-onnxruntime, which ships its models)'


@dataclass(frozen=True)
class Reading:
    """One line read: ``text`` and its ``confidence`` (0-100, the weakest character's where the engine says per
    character), each character's centre as a share of the crop's width (``positions``), and the digits-only reading
    of the same crop (``digits``, ``digits_confidence``)."""

    text: str
    confidence: float
    positions: tuple[float, ...] = ()
    digits: str = ""
    digits_confidence: float = 0.0


class Engine(Protocol):
    name: str

    def read(self, images: list[np.ndarray]) -> list[Reading]: ...


# --- RapidOCR (PP-OCRv4 recognition through onnxruntime) -----------------------------------------------------------


def rapidocr_model() -> Path | None:
    """The PP-OCR recognition model shipped inside the rapidocr-onnxruntime wheel, or None if it is not installed."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr_onnxruntime
    except ImportError:
        return None
    found = sorted(glob.glob(os.path.join(os.path.dirname(rapidocr_onnxruntime.__file__), "models", "*rec*.onnx")))
    return Path(found[-1]) if found else None


class RapidOcr:
    """PP-OCRv4 text-line recognition (the model of the rapidocr-onnxruntime wheel) run directly by onnxruntime.

    Lines are batched by width (a batch is padded to its widest line) without RapidOCR's 320-pixel minimum width, so
    a lone digit costs a narrow input, not a wide one.
    """

    name = "rapidocr"

    def __init__(self, threads: int | None = None):
        import onnxruntime as ort

        model = rapidocr_model()
        if model is None:
            raise DependencyMissing(RAPIDOCR_MISSING)
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        chars = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.chars = ["", *chars, " "]  # CTC blank first; the model's last class is a space
        digit_ids = [i for i, c in enumerate(self.chars) if c and c in DIGITS]
        self.digit_classes = np.array([0, *digit_ids])

    def read(self, images: list[np.ndarray]) -> list[Reading]:
        out: list[Reading] = [Reading("", 0.0)] * len(images)
        widths = [self._width(im) for im in images]
        for batch in _batches(widths):
            probs = self._run([images[i] for i in batch], [widths[i] for i in batch])
            widest = max(widths[i] for i in batch)
            for k, i in enumerate(batch):
                out[i] = self._decode(probs[k], widths[i] / widest)
        return out

    @staticmethod
    def _width(img: np.ndarray) -> int:
        h, w = img.shape[:2]
        return max(REC_HEIGHT // 2, math.ceil(REC_HEIGHT * w / max(h, 1)))

    def _run(self, images: list[np.ndarray], widths: list[int]) -> np.ndarray:
        import cv2

        batch = np.zeros((len(images), 3, REC_HEIGHT, max(widths)), np.float32)
        for k, (img, w) in enumerate(zip(images, widths, strict=True)):
            resized = cv2.resize(img, (w, REC_HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            batch[k, :, :, :w] = (resized / 127.5 - 1.0)[None]
        return self.session.run(None, {self.input: batch})[0]

    def _decode(self, probs: np.ndarray, share: float) -> Reading:
        """CTC decoding of one line's class probabilities (time steps x classes), free and digits-only."""
        steps = max(1, min(len(probs), round(len(probs) * share)))
        probs = probs[:steps]
        text, conf, pos = _ctc(probs.argmax(axis=1), probs.max(axis=1), self.chars, steps)
        # digits-only: the same columns with every other class masked out; a character's confidence is its share
        # of the digits' probability (how sure the digit is *which* digit, once a digit is taken to be there)
        sub = probs[:, self.digit_classes]
        ids = self.digit_classes[sub.argmax(axis=1)]
        sure = np.asarray(sub[:, 1:].max(axis=1) / np.maximum(sub[:, 1:].sum(axis=1), 1e-9))
        digits, dconf, _ = _ctc(ids, sure, self.chars, steps)
        return Reading(text, conf, pos, digits, dconf)


def _batches(widths: list[int]) -> list[list[int]]:
    """Indices of the lines in batches of similar width (narrow first): a batch is padded to its widest line, so
    lines are sorted by width, and a batch holds at most ``MAX_BATCH`` lines and ``BATCH_PIXELS`` of padded width."""
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    out: list[list[int]] = []
    for i in order:
        if out and len(out[-1]) < MAX_BATCH and widths[i] * (len(out[-1]) + 1) <= BATCH_PIXELS:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _ctc(ids: np.ndarray, probs: np.ndarray, chars: list[str], steps: int) -> tuple[str, float, tuple[float, ...]]:
    """Best-path CTC: repeated classes collapsed, blanks dropped. Confidence is the weakest kept character's
    probability (0-100): one doubtful digit makes the figure doubtful."""
    keep = np.ones(len(ids), bool)
    keep[1:] = ids[1:] != ids[:-1]
    keep &= ids != 0
    at = np.flatnonzero(keep)
    text = "".join(chars[i] for i in ids[at])
    if not text.strip():
        return "", 0.0, ()
    conf = float(probs[at].min()) * 100
    return text, conf, tuple(float((t + 0.5) / steps) for t in at)


# --- Tesseract -----------------------------------------------------------------------------------------------------


def tessdata_dir(lang: str) -> str | None:
    """The folder holding ``<lang>.traineddata``: $TESSDATA_PREFIX, then the usual Debian and local places."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata", "/usr/local/share/tesseract-ocr/tessdata"]
    for d in candidates:
        if d and os.path.isfile(os.path.join(d, f"{lang}.traineddata")):
            return d
    return None


class Tesseract:
    """Tesseract, one line per call (page segmentation: a single line), confidence from its mean word confidence."""

    name = "tesseract"

    def __init__(self, lang: str):
        try:
            import tesserocr
        except ImportError as e:
            raise DependencyMissing(TESSERACT_MISSING + ' (and its binding: pip install "xxgk[ocr]")') from e
        path = tessdata_dir(lang)
        if path is None:
            raise DependencyMissing(TESSERACT_MISSING)
        self.text = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
        self.digits = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
        self.digits.SetVariable("tessedit_char_whitelist", DIGITS)

    def read(self, images: list[np.ndarray]) -> list[Reading]:
        out = []
        for img in images:
            text, conf = self._one(self.text, img)
            digits, dconf = self._one(self.digits, img)
            n = len(text)
            out.append(Reading(text, conf, tuple((k + 0.5) / n for k in range(n)), digits, dconf))
        return out

    @staticmethod
    def _one(api, img: np.ndarray) -> tuple[str, float]:
        from PIL import Image

        api.SetImage(Image.fromarray(img))
        text = "".join(api.GetUTF8Text().split())
        return text, (float(api.MeanTextConf()) if text else 0.0)


# --- loading -------------------------------------------------------------------------------------------------------


def available(name: str, lang: str = "chi_sim") -> bool:
    """Is the engine installed (package and model or language data)?"""
    if name == "rapidocr":
        return rapidocr_model() is not None
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata_dir(lang) is not None


_local = threading.local()


def get_engine(name: str, lang: str = "chi_sim", threads: int | None = None) -> Engine:
    """The engine ``name``, loaded once per thread and kept.

    Raises:
        DependencyMissing: the engine's package, model or language data is not installed.
    """
    key = (name, lang, threads)
    cache = getattr(_local, "engines", None)
    if cache is None:
        cache = _local.engines = {}
    if key not in cache:
        cache[key] = RapidOcr(threads) if name == "rapidocr" else Tesseract(lang)
    return cache[key]
