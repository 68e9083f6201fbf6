"""A slow OpenAI-compatible server for benchmarks: POST /v1/chat/completions answers after
DELAY seconds with article ideas (what the ideas module asks for) and a usage block;
GET /stats gives the calls in flight, the peak since the last POST /reset, and how many
were answered. asyncio, HTTP/1.1 keep-alive: thousands of calls can wait at once.

    python bench/wire.py PORT DELAY
"""

import asyncio
import json
import sys
import time

IDEA = {
    "title": "A useful article",
    "description": "What a reader wants to know.",
    "content_structure": "guide",
    "outline": [{"heading": f"Part {n}", "points": ["a point"]} for n in range(1, 4)],
    "primary_keyword": "keyword",
    "covered_keywords": [],
    "target_word_count": 1200,
}
ANSWER = json.dumps({"ideas": [IDEA, {**IDEA, "title": "Another"}, {**IDEA, "title": "A third"}]})


class Stats:
    in_flight = peak = served = 0
    started = time.monotonic()


def completion(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 400, "completion_tokens": 300, "total_tokens": 700},
        }
    ).encode()


async def handle(reader, writer, delay: float):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
            }
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            if method == "POST" and path.startswith("/v1/chat/completions"):
                Stats.in_flight += 1
                Stats.peak = max(Stats.peak, Stats.in_flight)
                try:
                    await asyncio.sleep(delay)
                finally:
                    Stats.in_flight -= 1
                Stats.served += 1
                model = (json.loads(body or b"{}") or {}).get("model", "gpt-4o-mini")
                payload, status = completion(model), "200 OK"
            elif path == "/stats":
                payload, status = (
                    json.dumps(
                        {"in_flight": Stats.in_flight, "peak": Stats.peak, "served": Stats.served}
                    ).encode(),
                    "200 OK",
                )
            elif path == "/reset":
                Stats.peak, Stats.served = Stats.in_flight, 0
                payload, status = b"{}", "200 OK"
            else:
                payload, status = b'{"error": {"message": "no such route"}}', "404 Not Found"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int, delay: float):
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, delay), "127.0.0.1", port, backlog=4096, limit=1 << 20
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
