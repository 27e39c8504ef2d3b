"""Sphinx extension: the site's search finds the book's own words (issue 19).

Loaded by the build (``_config.yml``: ``sphinx: local_extensions: {book_search: scripts}``).

Sphinx's Chinese search cuts every page into words with jieba when it builds the index, but
looks a query up as one word: ``位置编码`` was indexed as ``位置`` and ``编码`` and found
nothing. This extension replaces the ``zh`` search language with one that

- teaches jieba every term of the glossary (``glossary.md``), so ``位置编码``, ``自注意力`` and
  ``多头注意力`` are words of the index (beside their parts), and keeps the glossary's
  one-character terms (``键``, ``值``) that Sphinx drops from the index otherwise;
- cuts the query in the browser the same way: each run of Chinese characters into the
  longest words the index has, left to right (characters the index has no word for are left
  out, so ``的`` or a stray ``第`` does not make every page miss), and English words are not
  stemmed on either side (Sphinx stemmed them differently in the index and in the query);
- ranks first the page that explains the query: for a glossary term, the first page its row
  links to; for a page's title (with or without ``第 N 章`` and the English in brackets),
  that page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sphinx.search import languages
from sphinx.search.zh import SearchChinese

# A glossary row: | 中文 | English | [第 2 章](chapters/02_self_attention.ipynb)… |
_ROW = re.compile(r"^\|([^|]+)\|[^|]*\|([^|]*)\|\s*$")
_LINK = re.compile(r"\]\(([^)#\s]+?)(?:\.ipynb|\.md)(?:#[^)]*)?\)")
_TERM_SPLIT = re.compile(r"[、，,（）()]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def glossary_terms(path: Path) -> dict[str, str]:
    """Each Chinese term of the glossary's table -> the page that explains it first.

    A cell with several names (``查询、键、值``, ``token（词元）``) gives each one."""
    terms: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        link = _LINK.search(m.group(2))
        if not link:
            continue  # the header and the ruled-out table below have no links
        for term in _TERM_SPLIT.split(m.group(1)):
            term = term.strip()
            if term:
                terms[term] = link.group(1)
    return terms


# Inserted into _static/language_data.js, which search.html loads after searchtools.js: this
# splitQuery and Scorer replace the defaults there. __TERMS__ becomes {term: docname}.
_JS = r"""
/* Letters and digits only, lower case: how a query is compared with a term or a title. */
var bookSearchNorm = function (s) {
  return String(s || "").toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, "");
};
var BOOK_SEARCH_TERMS = {};
Object.entries(__TERMS__).forEach(function (e) {
  BOOK_SEARCH_TERMS[bookSearchNorm(e[0])] = e[1];
});

/* The query, cut like the index: runs of letters and digits; inside each, Chinese
 * characters into the longest words the index has, left to right. */
var splitQuery = function (query) {
  var runs = query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter(Boolean);
  var index = typeof Search !== "undefined" ? Search._index : null;
  if (!index) return runs;
  var known = function (w) {
    return Object.prototype.hasOwnProperty.call(index.terms, w) ||
      Object.prototype.hasOwnProperty.call(index.titleterms, w);
  };
  var out = [];
  runs.forEach(function (run) {
    (run.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) || []).forEach(function (part) {
      if (!/\p{Script=Han}/u.test(part)) {
        out.push(part);
        return;
      }
      var i = 0;
      while (i < part.length) {
        var n = Math.min(part.length - i, 12);
        while (n > 1 && !known(part.substr(i, n))) n--;
        if (known(part.substr(i, n))) out.push(part.substr(i, n));
        i += n;
      }
    });
  });
  return out;
};

/* The page that explains the query comes first. */
var Scorer = Object.assign({}, typeof Scorer === "undefined" ? {} : Scorer, {
  title: 15, partialTitle: 7, term: 5, partialTerm: 2,
  objNameMatch: 11, objPartialMatch: 6, objPrio: {0: 15, 1: 5, 2: -5}, objPrioDefault: 0,
  score: function (result) {
    var norm = bookSearchNorm;
    var q = norm(new URLSearchParams(window.location.search).get("q"));
    if (!q) return result[4];
    var docname = result[0];
    var best = BOOK_SEARCH_TERMS[q] === docname;
    if (!best && typeof Search !== "undefined" && Search._index) {
      var i = Search._index.docnames.indexOf(docname);
      var title = i < 0 ? "" : Search._index.titles[i];
      var core = title.replace(/^第\s*\d+\s*章\s*/, "").replace(/（[^）]*）|\([^)]*\)/g, "");
      best = q === norm(title) || q === norm(core);
    }
    return result[4] + (best ? 1000 : 0);
  },
});
"""


class BookChinese(SearchChinese):
    """Sphinx's Chinese search, with the glossary's terms as words (see the module doc)."""

    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        import jieba

        self.glossary = glossary_terms(Path(options["book_glossary"]))
        for term in self.glossary:
            if _HAN.search(term) and " " not in term:
                jieba.add_word(term)
        self.short_terms = {t.lower() for t in self.glossary if len(t) == 1}
        terms = json.dumps({t.lower(): d for t, d in self.glossary.items()}, ensure_ascii=False)
        self.js_splitter_code = _JS.replace("__TERMS__", terms)

    # No English stemming, in the index or in the query: Sphinx's Chinese search stems the
    # index with Snowball but the query with the older Porter stemmer, which disagree
    # ("One-hot": "one" in the index, "on" in the query, and nothing found).
    js_stemmer_code = """
var Stemmer = function () {
  this.stemWord = function (w) {
    return w;
  };
};
"""

    def stem(self, word: str) -> str:
        return word.lower()

    def word_filter(self, stemmed_word: str) -> bool:
        return super().word_filter(stemmed_word) or stemmed_word in self.short_terms


def _config_inited(app, config) -> None:
    glossary = Path(app.srcdir) / "glossary.md"
    config.html_search_options = {**config.html_search_options, "book_glossary": str(glossary)}


def setup(app):
    languages["zh"] = BookChinese
    app.connect("config-inited", _config_inited)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
