/* js/live-position.js: chapter 4's "✎" editor computes in the page (issue 18, chapter 4).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the
 * positional-encoding widget (.pos-explorer) of a static page, whose text boxes have no
 * kernel (class "jupyter-widgets-disconnected"). In JupyterLab the Python editor computes.
 *
 * Enter in the pos, i or d_model box computes the result panel here, in float64, with the
 * same HTML as utils/widgets/position.py's render_result and the same limits and Chinese
 * messages as its parse_settings/check_settings (and utils/widgets/base.py's parse_int,
 * error_html, ok_html; fmt from utils/widgets/attention.py). Bad input shows the message and
 * keeps the last good result. Inside the precomputed grid the controls above move there, as
 * in Python. The editor's box gets the class "book-live": reading.js then leaves its text
 * boxes enabled. Plain JS, no libraries, nothing fetched.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var MAX_POS = 1000000;
  var MAX_D_MODEL = 1024;
  var N_SIMILAR = 16;
  var PAIR_ROWS = 8;
  var BASE = 10000;
  var KEPT = "下方仍显示上一次有效的结果。";
  var NAMES = ["pos（位置）", "i（sin/cos 对的编号）", "d_model"];

  /* ------------------------------------------------------------------ input (Python's) */

  // position.py check_settings, on BigInts.
  function checkSettings(pos, i, d) {
    if (pos < 0n) throw new L.Bad("pos（位置）不能是负数，实际是 " + pos + "：位置从 0 开始数");
    if (pos > BigInt(MAX_POS)) throw new L.Bad("pos（位置）最大为 " + MAX_POS + "，实际是 " + pos);
    if (d < 2n || d % 2n) {
      throw new L.Bad("d_model 必须是不小于 2 的偶数（sin 和 cos 成对出现），实际是 " + d);
    }
    if (d > BigInt(MAX_D_MODEL)) {
      throw new L.Bad("d_model 最大为 " + MAX_D_MODEL + "（表格会太长），实际是 " + d);
    }
    if (i < 0n || i >= d / 2n) {
      throw new L.Bad("i 是 sin/cos 对的编号，必须满足 0 ≤ i < d_model/2 = " + d / 2n +
        "，实际是 " + i);
    }
    return [Number(pos), Number(i), Number(d)];
  }

  function parseSettings(texts) {
    var v = texts.map(function (t, k) {
      return L.parseInt(t, NAMES[k]);
    });
    return checkSettings(v[0], v[1], v[2]);
  }

  /* ------------------------------------------------------- the formula, in float64 */

  // utils.nn.positional_encoding: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos.
  function encoding(pos, d) {
    var pe = new Float64Array(d);
    for (var p = 0; p < d / 2; p++) {
      var angle = pos / Math.pow(BASE, (2 * p) / d);
      pe[2 * p] = Math.sin(angle);
      pe[2 * p + 1] = Math.cos(angle);
    }
    return pe;
  }

  function dot(a, b) {
    var s = 0;
    for (var k = 0; k < a.length; k++) s += a[k] * b[k];
    return s;
  }

  /* ------------------------------------------------------- HTML (render_result's) */

  function renderPair(pos, i, d) {
    var exponent = (2 * i) / d;
    var denominator = Math.pow(BASE, exponent);
    var angle = pos / denominator;
    var vec = encoding(pos, d);
    var sin = vec[2 * i];
    var cos = vec[2 * i + 1];
    var twoI = 2 * i;
    var arg = pos + " / 10000^(" + twoI + "/" + d + ") = " + pos + " / 10000^" + L.fmt(exponent) +
      " = " + pos + " / " + L.fmt(denominator) + " = " + L.fmt(angle);
    var formula = '<div class="pos-formula">' +
      "<p>PE(pos, 2i) = sin(pos / 10000^(2i/d_model))，这里 pos = " + pos + "，i = " + i + "，" +
      "d_model = " + d + "，2i = " + twoI + "：</p>" +
      "<p>角度 = " + L.escapeHtml(arg) + "</p>" +
      "<p>PE(" + pos + ", " + twoI + ") = sin(" + L.fmt(angle) + ") = <b>" + L.fmt(sin) +
      "</b></p>" +
      "<p>PE(" + pos + ", " + (twoI + 1) + ") = cos(" + L.fmt(angle) + ") = <b>" + L.fmt(cos) +
      "</b></p>" +
      "<p>这一对的波长 2π·10000^(" + twoI + "/" + d + ") = " + L.fmt(2 * Math.PI * denominator) +
      " 个位置</p></div>";
    var nPairs = d / 2;
    var lo = Math.max(0, Math.min(i - PAIR_ROWS / 2, nPairs - PAIR_ROWS));
    var hi = Math.min(nPairs, lo + PAIR_ROWS);
    var rows = [];
    var dots = '<tr><th>⋮</th><td colspan="3">⋮</td></tr>';
    if (lo > 0) rows.push(dots);
    for (var p = lo; p < hi; p++) {
      var k = p === i ? ' class="hl"' : "";
      rows.push("<tr><th" + k + ">i = " + p + "</th><td" + k + ">" + 2 * p + ", " + (2 * p + 1) +
        "</td><td" + k + ">" + L.fmt(vec[2 * p]) + "</td><td" + k + ">" + L.fmt(vec[2 * p + 1]) +
        "</td></tr>");
    }
    if (hi < nPairs) rows.push(dots);
    var table = '<table class="book-matrix"><caption>PE(' + pos + ")：" + d + " 维 = " + nPairs +
      " 对 sin/cos</caption><tr><th>对</th><th>维度</th><th>sin</th><th>cos</th></tr>" +
      rows.join("") + "</table>";
    return '<div class="pos-pair">' + formula + table + "</div>";
  }

  function renderSimilarity(pos, d) {
    var start = Math.max(0, pos - N_SIMILAR / 2);
    var pe = encoding(pos, d);
    var norm = Math.sqrt(dot(pe, pe));
    var rows = [];
    for (var m = start; m < start + N_SIMILAR; m++) {
      var other = encoding(m, d);
      var s = dot(pe, other);
      var c = s / (norm * Math.sqrt(dot(other, other)));
      var k = m === pos ? ' class="hl"' : "";
      var bar = '<span class="pos-bar' + (c < 0 ? " neg" : "") + '" style="width:' +
        L.fixed(Math.abs(c) * 4, 2) + 'em"></span>';
      rows.push("<tr><th" + k + ">" + m + "</th><td" + k + ">" + (m - pos) + "</td><td" + k + ">" +
        L.fmt(s) + "</td><td" + k + ">" + L.fmt(c) + '</td><td class="bar">' + bar + "</td></tr>");
    }
    return '<table class="book-matrix"><caption>PE(' + pos + ") 与各位置的相似度</caption>" +
      "<tr><th>位置 m</th><th>m − pos</th><th>点积</th><th>余弦</th><th></th></tr>" +
      rows.join("") + "</table>";
  }

  function renderResult(pos, i, d) {
    return '<div class="pos-row">' + renderPair(pos, i, d) + renderSimilarity(pos, d) + "</div>";
  }

  /* ------------------------------------------------------------------- the widget */

  // Inside the precomputed grid, move the controls above to (pos, i, d), as Python's
  // PositionExplorer.select does; returns whether it did.
  function select(w, pos, i, d) {
    var picker = w.querySelector(":scope > .widget-toggle-buttons");
    var slider = w.querySelector(":scope > .widget-slider .noUi-target");
    var tabs = w.querySelector(":scope > .book-hidden-tabs > .widget-tab-contents");
    if (!picker || !slider || !slider.noUiSlider || !tabs) return false;
    var buttons = [].slice.call(picker.querySelectorAll("button"));
    var k = buttons.map(function (b) {
      return b.textContent.trim();
    }).indexOf("d_model = " + d);
    var range = slider.noUiSlider.options.range;
    if (k < 0 || pos < range.min || pos > range.max) return false;
    var iPicker = tabs.children[k] &&
      tabs.children[k].querySelector(":scope > .widget-toggle-buttons");
    var iButton = iPicker && iPicker.querySelectorAll("button")[i];
    if (!iButton) return false;
    buttons[k].click();
    slider.noUiSlider.set(pos);
    iButton.click();
    return true;
  }

  function compute(w, inputs, message, result) {
    var texts = inputs.map(function (f) {
      return f.value;
    });
    var v;
    try {
      v = parseSettings(texts);
    } catch (err) {
      if (!(err instanceof L.Bad)) throw err;
      message.innerHTML = L.errorHtml(err.message, KEPT);
      return;
    }
    result.innerHTML = renderResult(v[0], v[1], v[2]); // computed before it is shown
    var where = select(w, v[0], v[1], v[2]) ? "上方的控件也已移到这里"
      : "它不在上方预先算好的格子里";
    message.innerHTML = L.okHtml("已计算 pos = " + v[0] + "，i = " + v[1] + "，d_model = " + v[2] +
      "（" + where + "）");
  }

  function wire(w) {
    if (w.dataset.bookLive) return;
    var boxes = w.querySelectorAll(".widget-accordion .widget-text");
    if (boxes.length !== 3) return;
    var editor = boxes[0].parentElement;
    var html = editor.querySelectorAll(":scope > .widget-html .widget-html-content");
    if (html.length !== 2) return;
    var message = html[0];
    var result = html[1];
    // Static page only: a box connected to a kernel is left to Python.
    if (![].every.call(boxes, function (b) {
      return b.classList.contains("jupyter-widgets-disconnected");
    })) return;
    w.dataset.bookLive = "1";
    L.goLive(editor, message);
    var inputs = [].map.call(boxes, function (b) {
      return b.querySelector("input");
    });
    inputs.forEach(function (f) {
      f.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.isComposing) compute(w, inputs, message, result);
      });
    });
  }

  // Static pages whose embedded widget state has the explorer (chapter 4) only.
  L.watch({ "pos-explorer": wire });
})();
