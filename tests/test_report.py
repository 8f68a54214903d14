"""The HTML report, opened in real headless Chromium: every card renders, every image loads,
nothing is fetched from anywhere but the file itself."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def long_output(ray_session, tmp_path_factory):
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    out = tmp_path_factory.mktemp("report") / "doc_long_qa"
    run(load_recipe("doc_long_qa", [("num_samples", 6), ("generator.pages", [2, 3]), ("generator.dpi", 60),
                                             ("generator.families", ["report", "table", "chart"])]), out)
    return out


def test_report_renders_every_card_and_image_offline(long_output, tmp_path):
    from playwright.sync_api import sync_playwright

    from omnisynth.cli import main

    report = tmp_path / "report.html"
    assert main(["inspect", str(long_output), "--n", "5", "--html", str(report)]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        foreign = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (foreign.append(route.request.url), route.abort()))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        cards = page.locator("article.card")
        assert cards.count() == 5
        broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length")
        assert broken == 0
        pages_per_card = page.evaluate(
            "Array.from(document.querySelectorAll('article.card')).map(c => c.querySelectorAll('img.page').length)")
        keys = page.evaluate("Array.from(document.querySelectorAll('article.card')).map(c => c.dataset.key)")
        assert keys == sorted(keys) and keys[0].startswith("doc_long_qa-s0-")
        assert all(n in (2, 3) for n in pages_per_card)  # real pages only, no blank padding members
        assert page.locator("figure.hist svg").count() == 3
        assert "doc_long_qa/" in page.locator("table.counts").first.inner_text()
        assert page.locator(".assistant").count() == 5
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert foreign == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
