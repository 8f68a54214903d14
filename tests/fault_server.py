"""A small OpenAI-compatible server for protocol and fault cases only (real replies come from vLLM).

It listens on 127.0.0.1 and answers `/v1/models` and `/v1/chat/completions` from a script
of behaviours consumed one per chat request (the last one repeats):
  ok            200 with `content` (a JSON string) as the assistant message
  text:T        200 with T, verbatim, as the assistant message (a reply that is not valid for the schema)
  length        200 with the first half of `content` and finish_reason "length" (generation hit max_tokens)
  500 / 429 / 400  that status with a short JSON error
  sleep:S       wait S seconds, then answer ok
  malformed     200 whose body is not JSON
  truncated     200 whose Content-Length promises more bytes than are sent, then close
  reset         close the connection without answering
  down          like reset, for every later request too
It records each chat request's headers and payload for the test to inspect.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer:
    def __init__(self, model: str = "fault-model", content: str = '{"caption": "a test caption"}'):
        self.model, self.content = model, content
        self.script: list[str] = ["ok"]
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.dead = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, length: int | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def _reset(self):
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
                self.connection.close()

            def do_GET(self):
                if server.dead:
                    return self._reset()
                if self.path.rstrip("/").endswith("/models"):
                    return self._send(200, json.dumps({"object": "list", "data": [{"id": server.model}]}).encode())
                self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append({"headers": dict(self.headers), "payload": payload, "time": time.monotonic()})
                    step = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                    if step == "down":
                        server.dead = True
                if server.dead or step == "reset":
                    return self._reset()
                if step.startswith("sleep:"):
                    time.sleep(float(step.split(":", 1)[1]))
                    step = "ok"
                if step in ("500", "429", "400"):
                    return self._send(int(step), json.dumps({"error": {"message": f"scripted {step}"}}).encode())
                if step == "malformed":
                    return self._send(200, b"{this is not json")
                content, finish = server.content, "stop"
                if step.startswith("text:"):
                    content = step.split(":", 1)[1]
                elif step == "length":
                    content, finish = content[: len(content) // 2], "length"
                body = json.dumps({"id": "x", "object": "chat.completion", "model": server.model,
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                                "finish_reason": finish}],
                                   "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
                if step == "truncated":
                    self._send(200, body[: len(body) // 2], length=len(body))
                    return self._reset()
                self._send(200, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def set(self, *script: str) -> None:
        with self.lock:
            self.script = list(script)
            self.dead = False
            self.requests.clear()
