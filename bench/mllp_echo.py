"""A bare MLLP acknowledger for bench/mllp_bench.py: the ceiling for MLLP throughput.

asyncio like carebridge's listener, persistent connections, frames in order per
connection; each frame's MSH parsed and an AA built with carebridge's codec (what any
receiver must do to answer); nothing validated, nothing stored.

    .venv/bin/python bench/mllp_echo.py PORT
"""

from __future__ import annotations

import asyncio
import sys

from carebridge.hl7 import er7, framing
from carebridge.hl7.ack import build_ack


async def _connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    decoder = framing.MLLPDecoder()
    number = 0
    while data := await reader.read(65536):
        for frame in decoder.feed(data):
            number += 1
            ack = build_ack(er7.parse(frame), "AA", control_id=f"ECHO{number}")
            writer.write(framing.frame(ack.encode()))
        await writer.drain()
    writer.close()


async def _main(port: int) -> None:
    server = await asyncio.start_server(_connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1])))
