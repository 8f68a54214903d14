"""Untrusted HTML: no request leaves the page, no file outside its folder is read, hostile pages
cost one sample each (quarantined with the reason) and a dead browser is relaunched.

Every server here listens on loopback (127.0.0.1, and 127.0.0.2/127.0.0.3 standing in for
remote hosts); no test aims at any other address.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import socketserver
import threading
import time
from pathlib import Path

import psutil
import pytest

from omnisynth.generators.gui.browser import Browser, chromium_path
from omnisynth.generators.errors import InputError
from omnisynth.pipelines.dag import build_stages
from omnisynth.pipelines.stages import run_chain
from omnisynth.schemas.recipe import load_recipe
from omnisynth.schemas.truth import SampleSpec, WorkItem


class Recorder:
    """Loopback listeners that record every connection, HTTP request and UDP datagram they get."""

    def __init__(self):
        self.hits: list[str] = []
        self.servers, self.ports = [], {}
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                recorder.hits.append(f"{self.server.server_address[0]} GET {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<p>leaked</p>")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        for host in ("127.0.0.1", "127.0.0.2"):
            srv = socketserver.ThreadingTCPServer((host, 0), Handler)
            srv.daemon_threads = True
            self.servers.append(srv)
            self.ports[host] = srv.server_address[1]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.raw = socket.socket()
        self.raw.bind(("127.0.0.3", 0))
        self.raw.listen()
        self.ports["127.0.0.3"] = self.raw.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        # the STUN server a page names: WebRTC's binding requests are UDP datagrams, read by
        # `datagrams()` straight from the socket (loopback delivers a sent datagram at once)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.3", 0))
        self.udp.setblocking(False)
        self.ports["stun"] = self.udp.getsockname()[1]
        self.received: list[tuple[str, int]] = []

    def _accept(self):
        while True:
            try:
                conn, _ = self.raw.accept()
            except OSError:
                return
            self.hits.append("127.0.0.3 connection")
            conn.close()

    def datagrams(self) -> list[tuple[str, int]]:
        """Every datagram's sender so far (the socket is drained without waiting)."""
        while True:
            try:
                _, sender = self.udp.recvfrom(65536)
            except BlockingIOError:
                return self.received
            self.received.append(sender)

    def close(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        self.raw.close()
        self.udp.close()


@pytest.fixture
def recorder():
    r = Recorder()
    yield r
    r.close()


def hostile_page(ports: dict) -> str:
    """Every way out we know of, all aimed at loopback. Each attempt that can report its end does
    (`settle`); when all have, the page makes its last attempt, a top-level navigation: a tab
    that shows the error page of that refused navigation has tried everything."""
    a, b, c = (f"127.0.0.1:{ports['127.0.0.1']}", f"127.0.0.2:{ports['127.0.0.2']}", f"127.0.0.3:{ports['127.0.0.3']}")
    stun = f"127.0.0.3:{ports['stun']}"
    return f"""<!doctype html><html><head><script>
const waiting = new Set(["css", "prefetch", "script", "img", "frame", "video", "form", "fetch", "xhr", "ws-raw",
                         "ws-http", "events", "webrtc"]);
function settle(what) {{
  waiting.delete(what);
  if (waiting.size === 0) location.href = "http://{b}/navigate";
}}
</script>
<link rel="stylesheet" href="http://{b}/style.css" onload="settle('css')" onerror="settle('css')">
<link rel="prefetch" href="http://{a}/prefetch" onload="settle('prefetch')" onerror="settle('prefetch')">
<script src="http://{b}/script.js" onload="settle('script')" onerror="settle('script')"></script></head><body>
<button>Start</button><img src="http://{a}/img.png" onload="settle('img')" onerror="settle('img')">
<iframe src="http://{b}/frame" onload="settle('frame')"></iframe><iframe name=sink id=sink></iframe>
<video src="http://{a}/video.mp4" autoplay onloadeddata="settle('video')" onerror="settle('video')"></video>
<form id=f action="http://{a}/form" method=post target=sink><input name=q value=1></form>
<script>
fetch("http://{a}/fetch").catch(() => 0).finally(() => settle("fetch"));
const x = new XMLHttpRequest(); x.onloadend = () => settle("xhr"); x.open("GET", "http://{b}/xhr"); x.send();
for (const [name, url] of [["ws-raw", "ws://{c}/ws"], ["ws-http", "ws://{a}/ws"]]) {{
  try {{ new WebSocket(url).onclose = () => settle(name); }} catch (e) {{ settle(name); }}
}}
try {{ const es = new EventSource("http://{b}/events"); es.onerror = () => {{ es.close(); settle("events"); }}; }}
catch (e) {{ settle("events"); }}
navigator.sendBeacon("http://{a}/beacon", "x");
try {{ const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:{stun}"}}]}}); pc.createDataChannel("d");
      pc.onicegatheringstatechange = () => {{ if (pc.iceGatheringState === "complete") settle("webrtc"); }};
      pc.createOffer().then(o => pc.setLocalDescription(o)); }} catch (e) {{ settle("webrtc"); }}
setTimeout(() => {{ document.getElementById("sink").onload = () => settle("form");
                    document.getElementById("f").submit(); }}, 50);
</script></body></html>"""


BLOCKED = "chrome-error://chromewebdata/"  # where Chromium leaves a tab whose navigation was refused


def tried_everything(recorder: Recorder, tab) -> None:
    """Wait until the tab shows the error page of its refused last attempt, or anything got out."""
    deadline = time.monotonic() + 60
    while tab.page.url != BLOCKED and not recorder.hits and not recorder.datagrams():
        if time.monotonic() > deadline:
            pending = tab.evaluate("[...waiting]")
            raise AssertionError(f"the page did not get through its attempts in 60 s; still waiting on {pending}")
        time.sleep(0.05)


def test_no_request_leaves_the_page(tmp_path, recorder):
    page = tmp_path / "site" / "index.html"
    page.parent.mkdir()
    page.write_text(hostile_page(recorder.ports))
    browser = Browser(timeout_s=30, settle_ms=800)
    try:
        tab = browser.open(path=page, viewport=(800, 600))
        tried_everything(recorder, tab)
        tab.close()
        html_tab = browser.open(html=hostile_page(recorder.ports), viewport=(800, 600))
        tried_everything(recorder, html_tab)
    finally:
        browser.close()
    # no request, no connection, and no UDP datagram (WebRTC's STUN to the page's own server)
    leaks = (recorder.hits, recorder.datagrams())
    assert leaks == ([], []), f"requests and connections: {leaks[0]}; UDP datagrams from: {leaks[1]}"

    # the same page in a browser without our lock-down does reach the servers: the test can fail
    def leaked() -> bool:
        return (any("/fetch" in h for h in recorder.hits) and any(h.startswith("127.0.0.2") for h in recorder.hits)
                and "127.0.0.3 connection" in recorder.hits and bool(recorder.datagrams()))

    async def unguarded():
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            b = await p.chromium.launch(executable_path=chromium_path())
            pg = await b.new_page()
            await pg.goto(page.as_uri())
            deadline = time.monotonic() + 60
            while not leaked() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await b.close()

    asyncio.run(unguarded())
    assert leaked(), (recorder.hits, recorder.datagrams())


def test_files_outside_the_page_folder_cannot_be_read(tmp_path):
    site, secret = tmp_path / "site", tmp_path / "secret"
    (site / "sub").mkdir(parents=True)
    secret.mkdir()
    from PIL import Image

    Image.new("RGB", (20, 20), (255, 0, 0)).save(secret / "s.png")
    Image.new("RGB", (20, 20), (0, 255, 0)).save(site / "sub" / "ok.png")
    (secret / "t.html").write_text("<p id=s>SECRET</p>")
    (site / "link.png").symlink_to(secret / "s.png")
    (site / "index.html").write_text("""<!doctype html><body><button>Go</button>
<img id=ok src="sub/ok.png"><img id=out src="../secret/s.png"><img id=abs src="%s"><img id=sym src="link.png">
<iframe id=f src="../secret/t.html"></iframe>
<script>fetch('../secret/t.html').then(r => r.text()).then(t => document.title = t).catch(() => document.title = 'blocked');
</script></body>""" % (secret / "s.png").as_uri())
    browser = Browser(timeout_s=10, settle_ms=500)
    try:
        tab = browser.open(path=site / "index.html", viewport=(800, 600))
        widths = tab.evaluate("['ok', 'out', 'abs', 'sym'].map(id => document.getElementById(id).naturalWidth)")
        assert widths == [20, 0, 0, 0]
        assert "SECRET" not in tab.evaluate("document.title")
        frame_text = [tab.browser._call(f.evaluate("document.body ? document.body.innerText : ''"), "frame")
                      for f in tab.page.frames[1:]]
        assert not any("SECRET" in t for t in frame_text), frame_text
        tab.close()
    finally:
        browser.close()


HOSTILE = {
    "loop.html": ("<button>Stuck</button><script>while (true) {}</script>", "page_timeout"),
    "late_loop.html": ("<button>Later</button><script>setTimeout(() => { while (true) {} }, 0)</script>", "page_timeout"),
    "oom.html": ("<button>Hungry</button><script>const a = []; while (true) a.push(new Array(1e6).fill(Math.random()));"
                 "</script>", "tab_crashed"),
    "empty.html": ("", "empty_page"),
    "blank.html": ("<html><body>   </body></html>", "empty_page"),
    "text_only.html": ("<p>Just some text and no controls at all.</p>", "no_targets"),
    "binary.html": (bytes(range(256)) * 8, "not_html"),
}
IN_INVENTORY = {"empty.html", "binary.html"}  # no page by their bytes: reported once before any sample


def test_hostile_pages_are_quarantined_and_the_run_goes_on(tmp_path, run_recipe):
    site = tmp_path / "pages"
    site.mkdir()
    for name, (body, _) in HOSTILE.items():
        (site / name).write_bytes(body if isinstance(body, bytes) else body.encode())
    (site / "good.html").write_text("<button>Save</button> <button>Open</button> <a href='#x'>Help</a>")
    n = len(HOSTILE) + 1 - len(IN_INVENTORY)
    # a timeout no honest page misses on a loaded machine; the endless loops still reach it
    out, summary = run_recipe("html_corpus_grounding", generator__path=str(site), num_samples="all",
                              generator__timeout_s=15, generator__settle_ms=100, output__samples_per_shard=n,
                              runtime__rows_per_task=n)
    assert summary.recipe.num_samples == n
    inventory = [json.loads(line) for line in (out / "inventory.jsonl").read_text().splitlines()]
    assert {r["file"]: r["reason"] for r in inventory if r.get("reason")} == {
        name: reason for name, (_, reason) in HOSTILE.items() if name in IN_INVENTORY}
    rows = [json.loads(line) for line in (out / "quarantine" / "shard-000000.jsonl").read_text().splitlines()]
    got = {r["source"]["file"]: r["reason"] for r in rows}
    assert got == {name: reason for name, (_, reason) in HOSTILE.items() if name not in IN_INVENTORY}
    assert summary.kept == 1
    assert all(r["detail"] for r in rows)


def _chromium_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]


def test_a_dead_browser_is_relaunched():
    browser = Browser(timeout_s=10)
    try:
        browser.open(html="<button>One</button>", viewport=(400, 300)).screen()
        assert browser.launches == 1
        victims = _chromium_children()
        assert victims
        for p in victims:
            p.kill()
        psutil.wait_procs(victims, timeout=10)
        try:  # the browser notices the death before the next page (or loses that one page, with the reason)
            screen = browser.open(html="<button>Three</button>", viewport=(400, 300)).screen()
        except InputError as err:
            assert err.reason in {"browser_crashed", "page_error", "tab_crashed"}
            screen = browser.open(html="<button>Three</button>", viewport=(400, 300)).screen()
        assert [e["name"] for e in screen.dom["elements"]] == ["Three"]
        assert browser.launches == 2
    finally:
        browser.close()
    assert not _chromium_children()


def test_render_stage_survives_a_browser_crash():
    recipe = load_recipe("gui_grounding", [("generator.families", ["form"])])
    stages = build_stages(recipe, "/nonexistent")
    gen = stages[0].generator
    try:
        first = run_chain(stages[:-1], [WorkItem(SampleSpec(recipe.name, 0, 0, 0))])
        assert first[0].rejection is None
        for p in _chromium_children():
            p.kill()
        items = run_chain(stages[:-1], [WorkItem(SampleSpec(recipe.name, 0, i, 0)) for i in (1, 2, 3)])
        assert [it.rejection for it in items][1:] == [None, None]
        assert items[0].rejection is None or items[0].rejection.reason in {"browser_crashed", "page_error", "tab_crashed"}
        assert gen.browser.launches == 2
    finally:
        gen.close()


def test_screenshots_refused_over_the_pixel_cap():
    from omnisynth.schemas.recipe import RecipeError

    with pytest.raises(RecipeError, match="generator.*max_pixels"):
        load_recipe("gui_grounding", [("generator.viewports", [[3840, 2160]]), ("generator.scales", [2.0])])
    assert Path(chromium_path()).exists()
