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

  var MAX_POS = 1000000;
  var MAX_D_MODEL = 1024;
  var N_SIMILAR = 16;
  var PAIR_ROWS = 8;
  var BASE = 10000;
  var MAX_MESSAGE = 200;
  var NO_KERNEL = "（静态网页上没有内核，只能逐步查看，不能重算。）";
  var KEPT = "下方仍显示上一次有效的结果。";
  var NAMES = ["pos（位置）", "i（sin/cos 对的编号）", "d_model"];

  /* ------------------------------------------------------------ formatting (Python's) */

  function escapeHtml(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }

  // Python's f"{v:.{digits}f}": the double's exact decimal value, rounded half to even.
  // (toFixed rounds exact ties up, e.g. 0.03125 -> "0.0313" where Python gives "0.0312".)
  // toFixed(100) is exact for every double whose rounding at `digits` places can tie.
  function fixed(v, digits) {
    var s = Math.abs(v).toFixed(100);
    var dot = s.indexOf(".");
    var head = s.slice(0, dot) + s.slice(dot + 1, dot + 1 + digits);
    var rest = s.slice(dot + 1 + digits);
    var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) ||
      Number(head[head.length - 1]) % 2 === 1));
    var n = BigInt(head) + (up ? 1n : 0n);
    var t = n.toString().padStart(digits + 1, "0");
    var out = digits ? t.slice(0, t.length - digits) + "." + t.slice(t.length - digits) : t;
    return (v < 0 || Object.is(v, -0) ? "-" : "") + out;
  }

  // Python's f"{v:.4e}" (used only for |v| >= 1e6): two-digit exponent at least.
  function expo(v) {
    return v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
  }

  // utils/widgets/attention.py fmt: integers as integers, the rest with 4 decimals.
  function fmt(v) {
    var r = Math.round(v);
    if (Math.abs(v - r) < 5e-10) return String(r === 0 ? 0 : r);
    if (Math.abs(v) >= 1e6) return expo(v);
    return fixed(v, 4);
  }

  /* ------------------------------------------------------------------ input (Python's) */

  // Python's str.strip() whitespace.
  var SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029" +
    "\\u202f\\u205f\\u3000";
  var STRIP = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");
  var DIGITS = "\\d(?:_?\\d)*";
  var FLOAT = new RegExp("^[+-]?(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\." + DIGITS +
    ")(?:[eE][+-]?" + DIGITS + ")?$");
  var SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
  var ND = /\p{Nd}/u;

  // utils/_validate.py quote: “text”, cut after 20 characters (code points, as in Python).
  function quote(text) {
    var chars = Array.from(text);
    if (chars.length > 20) text = chars.slice(0, 20).join("") + "…（共 " + chars.length + " 个字符）";
    return "“" + text + "”";
  }

  // Python's float() reads any Unicode decimal digit (e.g. full-width １２): as ASCII here.
  function asciiDigits(text) {
    var chars = Array.from(text);
    return chars.map(function (c, k) {
      if (!ND.test(c) || (c >= "0" && c <= "9")) return c;
      var n = 0; // a run of Unicode decimal digits always starts at its zero
      var code = c.codePointAt(0);
      while (ND.test(String.fromCodePoint(code - n - 1))) n++;
      return String(n % 10);
    }).join("");
  }

  function Bad(message) {
    this.message = message;
  }

  // utils/widgets/base.py parse_int; returns a BigInt (Python's int of the float).
  function parseInt_(text, name) {
    var body = String(text).replace(STRIP, "");
    if (!body) throw new Bad(name + "是空的：请输入一个整数");
    var ascii = asciiDigits(body);
    var value;
    if (FLOAT.test(ascii)) value = Number(ascii.replace(/_/g, ""));
    else if (SPECIAL.test(ascii)) value = NaN;
    else throw new Bad(name + "：" + quote(body) + "不是数字");
    if (!isFinite(value)) throw new Bad(name + "：" + quote(body) + "不是普通的数（NaN 或无穷大）");
    if (!Number.isInteger(value)) throw new Bad(name + "必须是整数，实际是 " + quote(body));
    return BigInt(value);
  }

  // position.py check_settings, on BigInts.
  function checkSettings(pos, i, d) {
    if (pos < 0n) throw new Bad("pos（位置）不能是负数，实际是 " + pos + "：位置从 0 开始数");
    if (pos > BigInt(MAX_POS)) throw new Bad("pos（位置）最大为 " + MAX_POS + "，实际是 " + pos);
    if (d < 2n || d % 2n) {
      throw new Bad("d_model 必须是不小于 2 的偶数（sin 和 cos 成对出现），实际是 " + d);
    }
    if (d > BigInt(MAX_D_MODEL)) {
      throw new Bad("d_model 最大为 " + MAX_D_MODEL + "（表格会太长），实际是 " + d);
    }
    if (i < 0n || i >= d / 2n) {
      throw new Bad("i 是 sin/cos 对的编号，必须满足 0 ≤ i < d_model/2 = " + d / 2n +
        "，实际是 " + i);
    }
    return [Number(pos), Number(i), Number(d)];
  }

  function parseSettings(texts) {
    var v = texts.map(function (t, k) {
      return parseInt_(t, NAMES[k]);
    });
    return checkSettings(v[0], v[1], v[2]);
  }

  function errorHtml(message) {
    var text = Array.from(message.replace(/。+$/, "")); // code points, as Python counts
    text = text.length > MAX_MESSAGE ? text.slice(0, MAX_MESSAGE - 1).join("") + "…"
      : text.join("");
    return '<span class="book-msg-err">⚠ ' + escapeHtml(text) + "。" + escapeHtml(KEPT) +
      "</span>";
  }

  function okHtml(message) {
    return '<span class="book-msg-ok">✓ ' + escapeHtml(message) + "</span>";
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
    var arg = pos + " / 10000^(" + twoI + "/" + d + ") = " + pos + " / 10000^" + fmt(exponent) +
      " = " + pos + " / " + fmt(denominator) + " = " + fmt(angle);
    var formula = '<div class="pos-formula">' +
      "<p>PE(pos, 2i) = sin(pos / 10000^(2i/d_model))，这里 pos = " + pos + "，i = " + i + "，" +
      "d_model = " + d + "，2i = " + twoI + "：</p>" +
      "<p>角度 = " + escapeHtml(arg) + "</p>" +
      "<p>PE(" + pos + ", " + twoI + ") = sin(" + fmt(angle) + ") = <b>" + fmt(sin) + "</b></p>" +
      "<p>PE(" + pos + ", " + (twoI + 1) + ") = cos(" + fmt(angle) + ") = <b>" + fmt(cos) +
      "</b></p>" +
      "<p>这一对的波长 2π·10000^(" + twoI + "/" + d + ") = " + fmt(2 * Math.PI * denominator) +
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
        "</td><td" + k + ">" + fmt(vec[2 * p]) + "</td><td" + k + ">" + fmt(vec[2 * p + 1]) +
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
        fixed(Math.abs(c) * 4, 2) + 'em"></span>';
      rows.push("<tr><th" + k + ">" + m + "</th><td" + k + ">" + (m - pos) + "</td><td" + k + ">" +
        fmt(s) + "</td><td" + k + ">" + fmt(c) + '</td><td class="bar">' + bar + "</td></tr>");
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
      if (!(err instanceof Bad)) throw err;
      message.innerHTML = errorHtml(err.message);
      return;
    }
    result.innerHTML = renderResult(v[0], v[1], v[2]); // computed before it is shown
    var where = select(w, v[0], v[1], v[2]) ? "上方的控件也已移到这里"
      : "它不在上方预先算好的格子里";
    message.innerHTML = okHtml("已计算 pos = " + v[0] + "，i = " + v[1] + "，d_model = " + v[2] +
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
    editor.classList.add("book-live");
    var hint = message.querySelector("span");
    if (hint && hint.textContent.endsWith(NO_KERNEL)) {
      hint.textContent = hint.textContent.slice(0, -NO_KERNEL.length) +
        "（在网页里计算，不需要内核。）";
    }
    var inputs = [].map.call(boxes, function (b) {
      return b.querySelector("input");
    });
    inputs.forEach(function (f) {
      f.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.isComposing) compute(w, inputs, message, result);
      });
    });
  }

  function scan() {
    document.querySelectorAll(".cell_output .pos-explorer").forEach(wire);
  }

  function start() {
    // Static pages whose embedded widget state has the explorer (chapter 4) only.
    var states = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"]');
    if (![].some.call(states, function (s) {
      return s.textContent.indexOf('"pos-explorer"') !== -1;
    })) return;
    scan();
    // The widget manager renders the widgets after the page has been parsed.
    var observer = new MutationObserver(function () {
      scan();
      var all = document.querySelectorAll(".cell_output .pos-explorer");
      if (all.length && [].every.call(all, function (w) {
        return w.dataset.bookLive;
      })) observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
