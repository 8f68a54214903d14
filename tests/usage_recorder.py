"""A loopback HTTP server standing in for Ray's and vLLM's usage-report hosts: it records every request.

Tests point `RAY_USAGE_STATS_REPORT_URL` / `VLLM_USAGE_STATS_SERVER` at it (both are the
libraries' own settings for where reports go), so a process that reports is seen doing so,
on loopback, instead of reaching a public host.
"""

from __future__ import annotations

import http.server
import json
import threading


class UsageRecorder:
    """`with UsageRecorder() as rec:` -> rec.url; rec.reports: the JSON bodies posted, in order."""

    def __init__(self):
        self.reports: list[dict] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    recorder.reports.append(json.loads(body or b"{}"))
                except ValueError:
                    recorder.reports.append({"raw": body.decode(errors="replace")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def usage_reports(self) -> list[dict]:
        """Reports that carry usage data (Ray's "reporting is disabled" notice carries none: schema, source, time)."""
        return [r for r in self.reports if set(r) - {"schema_version", "source", "collect_timestamp_ms"}
                and any(v is not None for k, v in r.items()
                        if k not in ("schema_version", "source", "collect_timestamp_ms"))]

    def __enter__(self) -> UsageRecorder:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
