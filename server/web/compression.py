"""Answers are compressed with brotli (gzip for browsers without it), and each answer's encoder gives its memory back
as soon as the answer is compressed.

A stranger's third walk of issue 15 (B) found the server at ~600 MB for more than 30 s after a flood of wrong log-ins,
and the cause was not argon2 (its 64 MiB is mmapped and given back after each check): a brotli encoder takes ~1.3 MB
when it first compresses (quality 5), and Litestar's facade keeps it until the facade itself is freed. The facade
lives in a closure of the request's `send`, which sits in reference cycles (Jinja's macros, exceptions' frames) that
only a full collection of the garbage collector frees, and those are rare once start-up's objects are frozen
(app.py: gc.freeze): 211 answered requests still held their encoders (~280 MB) after the flood. Here the encoder
is let go when its answer is finished, whatever still holds the facade.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.middleware.compression.brotli_facade import BrotliCompression


class BrotliLetGo(BrotliCompression):
    def close(self) -> None:
        super().close()
        self.compressor = None  # the ~1.3 MB of its state, freed now rather than at the next full collection


def compression_config() -> CompressionConfig:
    """A phone on a weak signal downloads a third of the bytes (issue 3 budgets the first visit at 60 KB). Brotli
    (quality 5: no more CPU than gzip 6) where the browser asks for it, as every browser does over https: a first
    visit of the door screen 57 KB instead of 60, its page a fifth smaller (decision 0020). gzip at level 6 for the
    others: within 0.5% of level 9 on htmx, for less CPU on every page."""
    config = CompressionConfig(
        backend="brotli", brotli_quality=5, brotli_gzip_fallback=True, gzip_compress_level=6, minimum_size=500
    )
    config.compression_facade = BrotliLetGo  # after its __post_init__, which names Litestar's own facade
    return config
