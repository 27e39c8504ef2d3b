/* fonts/load.js: the book's Chinese web font (css/fonts.css, fonts/README.md) on a computer
 * that has no Chinese font of its own. Runs in <head>, after the style sheets.
 *
 * A computer that has a Chinese font draws "中文" wider than two unassigned code points
 * (both are the empty-box glyph when no font has them). There nothing here is needed: the
 * browser finds the reader's own Chinese font for any font stack, and the web font (last in
 * css/fonts.css's stacks) is never downloaded. Otherwise:
 *
 * 1) Start loading the font before the page is laid out.
 * 2) When it has arrived, set html.book-cjk-font-loaded. Chromium re-lays out the page when a
 *    swapped-in web font arrives, but the first run of Chinese text of each font size and
 *    weight that was shaped while the font was loading keeps its empty boxes (seen on the
 *    site title, the current entry of the navigation and the search box). The class changes
 *    text-rendering (css/fonts.css), which makes every run be shaped again, with the font.
 * 3) Text whose element names its own fonts -- the widgets' matrices and formulas
 *    ("DejaVu Sans Mono", Menlo, Consolas, monospace), MathJax's \text{...} -- has no way to
 *    the web font: the browser's last resort, its system fallback, only knows installed
 *    fonts. Each element that holds Chinese text gets the web font appended to its own
 *    stack, now and whenever the widgets or MathJax write new text.
 */
(function () {
  var FAMILY = "Book Noto Sans CJK SC";
  var root = document.documentElement;
  if (!document.fonts || !document.fonts.load || !window.getComputedStyle) return;

  var ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return;
  ctx.font = "32px sans-serif";
  var hasChinese =
    ctx.measureText("\u4e2d\u6587").width !== ctx.measureText("\u{10fffd}\u{10fffd}").width;
  root.dataset.bookSystemCjk = hasChinese ? "yes" : "no";
  if (hasChinese) return;

  // 1) and 2)
  function loaded() {
    root.classList.add("book-cjk-font-loaded");
  }
  document.fonts.addEventListener("loadingdone", function (event) {
    (event.fontfaces || []).forEach(function (face) {
      if (face.family.replace(/["']/g, "") === FAMILY) loaded();
    });
  });
  document.fonts.load('1em "' + FAMILY + '"', "\u4e2d").then(loaded, function () {});

  // 3) Han, CJK punctuation, kana, full-width forms.
  var CJK = /[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/;
  var done = new WeakSet();

  function extend(el) {
    if (done.has(el)) return;
    done.add(el);
    var stack = getComputedStyle(el).fontFamily;
    if (stack && stack.indexOf(FAMILY) === -1) {
      el.style.setProperty("font-family", stack + ', "' + FAMILY + '"');
    }
  }
  function visit(node) {
    if (node.nodeType === 3) {
      if (node.parentElement && CJK.test(node.data)) extend(node.parentElement);
      return;
    }
    if (node.nodeType !== 1 || !CJK.test(node.textContent)) return;
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (var t = walker.nextNode(); t; t = walker.nextNode()) {
      if (t.parentElement && CJK.test(t.data)) extend(t.parentElement);
    }
  }

  function start() {
    visit(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        if (r.type === "characterData") visit(r.target);
        else r.addedNodes.forEach(visit);
      });
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
