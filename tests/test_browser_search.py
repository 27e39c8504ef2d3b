"""浏览器测试：网站的搜索找得到书里的词（issue 19）——每个章标题、每个术语表里的术语，讲解它的
那一页排在第一（scripts/book_search.py）。Helpers come from test_browser_reading.py.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from test_browser_reading import (
    PAGES,
    ROOT,
)

# ----------------------------------------------------------------------------- search

# The issue's examples: searched as one word, the index had only their parts.
ISSUE_WORDS = {
    "位置编码": "chapters/04_positional_encoding",
    "自注意力": "chapters/02_self_attention",
    "多头注意力": "chapters/02_self_attention",
    "词嵌入": "chapters/03_embedding",
}


def _glossary() -> dict[str, str]:
    """Each Chinese name in the glossary's table -> the first page its row links to."""
    terms = {}
    for line in (ROOT / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "](" not in cells[2]:
            continue
        target = cells[2].split("](", 1)[1].split(")", 1)[0]
        doc = target.rsplit(".", 1)[0]
        for name in re.split(r"[、（）]", cells[0]):
            if name.strip():
                terms[name.strip()] = doc
    return terms


GLOSSARY = _glossary()

# The results as the search page shows them: the first link's page, and how many.
SEARCH_RESULTS = """() => [...document.querySelectorAll('#search-results ul.search li > a')]
  .map(a => new URL(a.href).pathname)"""


def _search(page, site_url, query):
    page.goto(f"{site_url}/search.html?q={quote(query)}")
    page.wait_for_function(
        "() => document.querySelector('#search-results ul.search li') || "
        "/没有|did not match/.test(document.querySelector('#search-results')?.innerText || '')",
        timeout=20_000,
    )
    return [p.split("/", 1)[1].rsplit(".", 1)[0] for p in page.evaluate(SEARCH_RESULTS)[:1]]


@pytest.fixture(scope="module")
def search_page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    ctx.close()


def test_glossary_has_terms():
    assert len(GLOSSARY) >= 50, GLOSSARY
    assert GLOSSARY["位置编码"] == "chapters/04_positional_encoding"


@pytest.mark.parametrize("term", list(ISSUE_WORDS) + list(GLOSSARY))
def test_search_finds_glossary_term_explaining_page_first(search_page, site_url, term):
    expected = ISSUE_WORDS.get(term) or GLOSSARY[term]
    first = _search(search_page, site_url, term)
    assert first == [expected], f"搜索“{term}”：第一个结果 {first}，应为 {expected}"
    assert not search_page.errors, search_page.errors


def _titles(browser, site_url) -> dict[str, str]:
    ctx = browser.new_context()
    page = ctx.new_page()
    titles = {}
    try:
        for path in PAGES:
            page.goto(f"{site_url}/{path}")
            h1 = page.locator("article h1").first.evaluate(
                "h => [...h.childNodes].filter(n => !(n.classList && "
                "n.classList.contains('headerlink'))).map(n => n.textContent).join('').trim()"
            )
            titles[path.rsplit(".", 1)[0]] = h1
    finally:
        ctx.close()
    return titles


def test_search_finds_every_page_title(browser, site_url, search_page):
    """Each page's title, whole and without "第 N 章" and the English in brackets."""
    titles = _titles(browser, site_url)
    assert len(titles) == len(PAGES)
    misses = []
    for doc, title in titles.items():
        core = re.sub(r"^第\s*\d+\s*章\s*", "", title)
        core = re.sub(r"（[^）]*）|\([^)]*\)", "", core).strip()
        for query in {title, core} - {""}:
            first = _search(search_page, site_url, query)
            if first != [doc]:
                misses.append((query, first, doc))
    assert not misses, misses
    assert not search_page.errors, search_page.errors
