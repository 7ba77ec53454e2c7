"""An answer's brotli encoder is let go once the answer is out (a stranger's third walk of issue 15, B): each one takes
~1.3 MB when it compresses, and Litestar's facade, caught in the request's reference cycles, kept it until a full
collection of the garbage collector, rare once start-up's objects are frozen: 211 answered log-ins held ~280 MB for
more than 30 s after a flood. The collector is paused here, as it is between its rare full collections."""

from __future__ import annotations

import gc

from litestar.middleware.compression.brotli_facade import BrotliCompression

from tests.conftest import log_in


async def test_an_answers_brotli_encoder_is_let_go_once_it_is_out(client):
    gc.collect()
    gc.disable()
    try:
        page = await client.get("/login", headers={"accept-encoding": "br"})
        wrong = await log_in(client, "13800000002", "wrong-password")
        facades = [o for o in gc.get_objects() if isinstance(o, BrotliCompression)]
    finally:
        gc.enable()
    assert page.headers["content-encoding"] == "br" and "登录" in page.text  # still compressed, and reads
    assert wrong.status_code == 401
    assert facades  # the answers' facades, still held by their requests' cycles
    assert all(facade.compressor is None for facade in facades)
