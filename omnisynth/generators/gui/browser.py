"""A long-lived, locked-down Chromium for rendering untrusted HTML, driven by Playwright.

One `Browser` per worker process (a Ray actor keeps it warm across samples). Playwright's
async API runs on an event loop in a thread of our own: every call from any thread goes
through `_call`, which bounds it with a timeout, so a page that hangs (an endless script)
costs its sample a `page_timeout`, never the worker. (The sync API cannot be used from
Ray actors: their calls arrive on other threads than the one that started it.)

Lock-down, all of it on, for synthetic and user pages alike:
- every request is routed: only `file://` URLs inside the page's own folder load;
  http(s), other file paths, and WebSockets are refused; the context is offline and
  service workers are blocked; WebRTC may not use non-proxied UDP;
- script and load time are bounded (`timeout_s`), the JS heap is capped (`js_heap_mb`:
  a page that allocates without end crashes its own tab, which is reported as
  `tab_crashed`);
- a browser that died is relaunched on the next page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from omnisynth.generators.errors import InputError
from omnisynth.generators.gui.dom import EXTRACT_JS, HIT_JS

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """Debian's Chromium (`OMNISYNTH_CHROMIUM` overrides); Playwright's own download is not used."""
    env = os.environ.get("OMNISYNTH_CHROMIUM")
    if env:
        return env
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise RuntimeError("no Chromium found: install Debian's `chromium` (apt-get install chromium) or set "
                       "OMNISYNTH_CHROMIUM to its path")


@dataclass
class Screen:
    """What a page showed: the screenshot and the live DOM's element list."""

    png: bytes
    width: int
    height: int
    dom: dict


class Tab:
    """One open page; every method is synchronous and bounded by the browser's timeout."""

    def __init__(self, browser: Browser, page, context, owns_context: bool):
        self.browser, self.page, self.context, self.owns_context = browser, page, context, owns_context

    def extract(self) -> dict:
        return self.browser._call(self.page.evaluate(EXTRACT_JS), "extract")

    def _shot(self):
        # synthetic screens hide their caret in CSS and have no animations: skip Playwright's injected styles
        if self.owns_context:
            return self.page.screenshot(type="png", animations="disabled", caret="hide", scale="device")
        return self.page.screenshot(type="png", animations="allow", caret="initial", scale="device")

    def screenshot(self) -> bytes:
        return self.browser._call(self._shot(), "screenshot")

    def screen(self) -> Screen:
        """DOM read-back and screenshot of the same state (run together: the page does not change between)."""
        async def both():
            return await asyncio.gather(self.page.evaluate(EXTRACT_JS), self._shot())

        dom, png = self.browser._call(both(), "screen")
        w, h = round(dom["viewport"][0] * dom["dpr"]), round(dom["viewport"][1] * dom["dpr"])
        return Screen(png, w, h, dom)

    def owner_at(self, points_px: list[tuple[float, float]]) -> list[str | None]:
        """The `data-oid` of the element (or its nearest marked ancestor) topmost at each pixel point."""
        return self.browser._call(self.page.evaluate(HIT_JS, [list(p) for p in points_px]), "hit_test")

    def evaluate(self, script: str, arg=None):
        return self.browser._call(self.page.evaluate(script, arg), "evaluate")

    def click(self, x_px: float, y_px: float, dpr: float) -> None:
        self.browser._dirty.add(self.page)
        self.browser._call(self.page.mouse.click(x_px / dpr, y_px / dpr), "click")

    def type(self, text: str) -> None:
        self.browser._call(self.page.keyboard.type(text), "type")

    def select(self, oid: str, label: str) -> None:
        self.browser._dirty.add(self.page)
        self.browser._call(self.page.select_option(f'[data-oid="{oid}"]', label=label, timeout=2000), "select")

    def scroll(self, x_px: float, y_px: float, dy_css: float, dpr: float) -> None:
        self.browser._dirty.add(self.page)

        async def wheel():
            await self.page.mouse.move(x_px / dpr, y_px / dpr)
            await self.page.mouse.wheel(0, dy_css)
            # the wheel event is handled asynchronously: wait until the scroll position holds still
            await self.page.evaluate("""() => new Promise(done => { let last = -1, same = 0;
              const tick = () => { const y = window.scrollY; same = (y === last) ? same + 1 : 0; last = y;
                if (same >= 3) done(); else requestAnimationFrame(tick); }; requestAnimationFrame(tick); })""")
        self.browser._call(wheel(), "scroll")

    def close(self) -> None:
        target = self.context if self.owns_context else self.page
        try:
            self.browser._call(target.close(), "close")
        except InputError:
            self.browser.restart()


class Browser:
    """A Chromium kept warm for one worker; `open()` gives a locked-down tab."""

    def __init__(self, timeout_s: float = 10.0, js_heap_mb: int = 256, settle_ms: int = 0):
        self.timeout_s, self.js_heap_mb, self.settle_ms = timeout_s, js_heap_mb, settle_ms
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pw = self._browser = None
        self._shared: dict[float, tuple] = {}  # device scale -> (context, page) reused for synthetic HTML
        self._dirty: set = set()  # reused pages that were scrolled or clicked: reset before the next screen
        self.launches = 0

    # -- lifecycle -------------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._loop.set_exception_handler(_quiet_on_shutdown)
            self._thread = threading.Thread(target=self._loop.run_forever, name="omnisynth-browser", daemon=True)
            self._thread.start()
        if self._browser is None or not self._browser.is_connected():
            self._launch()

    def _launch(self) -> None:
        from playwright.async_api import async_playwright

        async def launch():
            if self._pw is None:
                self._pw = await async_playwright().start()
            return await self._pw.chromium.launch(executable_path=chromium_path(), args=[
                f"--js-flags=--max-old-space-size={self.js_heap_mb}",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                "--webrtc-ip-handling-policy=disable_non_proxied_udp",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--font-render-hinting=none", "--disable-smooth-scrolling",
            ])

        self._shared, self._dirty = {}, set()
        self._browser = asyncio.run_coroutine_threadsafe(launch(), self._loop).result(60)
        self.launches += 1

    def restart(self) -> None:
        """Drop the browser (dead or wedged); the next `open` launches a fresh one."""
        old, self._browser, self._shared, self._dirty = self._browser, None, {}, set()
        if old is not None:
            try:
                asyncio.run_coroutine_threadsafe(old.close(), self._loop).result(10)
            except Exception:  # a dead browser cannot close; its process is gone or goes with the driver
                pass

    def close(self) -> None:
        if self._loop is None:
            return
        self.restart()
        if self._pw is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._pw.stop(), self._loop).result(10)
            except Exception:
                pass
            self._pw = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop = self._thread = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- calls -----------------------------------------------------------------------------
    def _call(self, coro, what: str):
        """Run a coroutine on the browser's loop, bounded; page failures become InputError."""
        from playwright.async_api import Error as PlaywrightError

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, self.timeout_s), self._loop)
        try:
            return future.result(self.timeout_s + 5)
        except (TimeoutError, asyncio.TimeoutError):
            future.cancel()
            raise InputError("page_timeout", f"{what} took longer than {self.timeout_s:g} s "
                                             "(a script that never ends, or a page that never loads)") from None
        except PlaywrightError as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "crash" in msg.lower():
                raise InputError("tab_crashed", f"{what}: the tab crashed ({msg[:200]})") from None
            if "closed" in msg.lower() and self._browser is not None and not self._browser.is_connected():
                self.restart()
                raise InputError("browser_crashed", f"{what}: the browser died ({msg[:200]}); restarted") from None
            if "Timeout" in msg:
                raise InputError("page_timeout", f"{what}: {msg[:300]}") from None
            raise InputError("page_error", f"{what}: {msg[:300]}") from None

    async def _guard(self, context, root: Path | None) -> None:
        async def route(r):
            if root is not None and _inside(r.request.url, root):
                await r.continue_()
            else:
                await r.abort("blockedbyclient")

        await context.route("**/*", route)
        await context.route_web_socket("**/*", lambda ws: ws.close())

    async def _new_context(self, viewport: tuple[int, int], scale: float, root: Path | None):
        context = await self._browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=scale, offline=True,
            service_workers="block", accept_downloads=False, java_script_enabled=True, bypass_csp=False,
            locale="en-US", timezone_id="UTC", color_scheme="light", reduced_motion="reduce")
        context.set_default_timeout(self.timeout_s * 1000)
        await self._guard(context, root)
        return context

    def open(self, *, html: str | None = None, path: Path | None = None, viewport: tuple[int, int],
             scale: float = 1.0) -> Tab:
        """A tab showing synthetic `html` (a shared, reused page) or the user's file `path` (its own context,
        which may read files only inside the file's folder)."""
        self._ensure()
        if html is not None:
            return self._call(self._open_html(html, viewport, scale), "set_content")
        return self._call(self._open_file(Path(path), viewport, scale), "load")

    async def _open_html(self, html: str, viewport, scale) -> Tab:
        shared = self._shared.get(scale)
        if shared is None or shared[1].is_closed():
            context = await self._new_context(viewport, scale, None)
            page = await context.new_page()
            shared = self._shared[scale] = (context, page)
        context, page = shared
        if page.viewport_size != {"width": viewport[0], "height": viewport[1]}:
            await page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        try:
            await page.set_content(html, wait_until="load")
            if page in self._dirty:  # a reused page keeps scroll offset and pointer across documents: reset
                self._dirty.discard(page)
                await page.evaluate("window.scrollTo(0, 0)")
                await page.mouse.move(-1, -1)
        except BaseException:  # also a cancelled (timed-out) load: the wedged page is not reused
            await _discard(page)
            self._shared.pop(scale, None)
            raise
        return Tab(self, page, context, owns_context=False)

    async def _open_file(self, path: Path, viewport, scale) -> Tab:
        context = await self._new_context(viewport, scale, path.resolve().parent)
        page = await context.new_page()
        try:
            await page.goto(path.resolve().as_uri(), wait_until="load")
            if self.settle_ms:
                await page.wait_for_timeout(self.settle_ms)
        except BaseException:
            await _discard(context)
            raise
        return Tab(self, page, context, owns_context=True)


def _quiet_on_shutdown(loop, context) -> None:
    """Playwright's pending futures fail when its driver goes away with the worker: not worth a traceback."""
    exc = context.get("exception")
    if exc is not None and ("Connection closed" in str(exc) or "Target" in str(exc) and "closed" in str(exc)):
        return
    loop.default_exception_handler(context)


async def _discard(target) -> None:
    try:
        await asyncio.wait_for(target.close(), 5)
    except Exception:
        pass


def _inside(url: str, root: Path) -> bool:
    """A file:// URL whose real path lies inside `root` (symlinks resolved)."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return False
    try:
        return Path(unquote(parsed.path)).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False
