/* js/live-common.js: what every chapter's live editor (js/live-*.js, issue 18) shares.
 * Loaded on every page of the static site (never in JupyterLab), deferred, before the
 * live-*.js files (the order of _config.yml's html_js_files). It defines window.BookLive and
 * does nothing else; each live-*.js keeps its own widget's arithmetic and HTML.
 *
 *   formatting, as Python prints:
 *     escapeHtml(s)        html.escape(s, quote=True)
 *     fixed(v, digits)     f"{v:.{digits}f}" (the double's exact value, rounded half to even)
 *     expo(v)              f"{v:.4e}"
 *     fmt(v)               utils/widgets/attention.py fmt (integers as integers, else 4 decimals)
 *   input, as Python reads it:
 *     SPACE, STRIP, strip(text)   str.strip()'s whitespace (also re's \s in a str pattern)
 *     asciiDigits(text)    any Unicode decimal digit as ASCII (Python's float() reads them)
 *     pyFloat(text)        float(text) of a text without whitespace; null where Python raises
 *     quote(text, limit)   utils/_validate.py quote (limit 20 unless given)
 *     parseInt(text, name) utils/widgets/base.py parse_int, as a BigInt
 *     Bad(message)         what a parser throws: a Chinese message for the reader
 *   messages, as utils/widgets/base.py writes them:
 *     MAX_MESSAGE, NO_KERNEL, KEPT, LIVE, LIVE_MODEL
 *     errorHtml(message, kept)   error_html (kept defaults to KEPT)
 *     okHtml(message)            ok_html
 *     goLive(editor, message, live)  the editor's box gets class "book-live" (reading.js then
 *                          leaves its text boxes enabled) and the NO_KERNEL hint in its
 *                          message line becomes `live` (LIVE unless given)
 *   Chinese numerals, as utils/models/numerals.py checks them (chapters 1 and 5):
 *     numerals.checkNumeralChars(s), numerals.chineseToInt(text), numerals.intToChinese(n),
 *     numerals.NUMERAL_CHARS
 *   wiring:
 *     watch(wires)         wires: {widget class: wire(element)}. On a static page whose embedded
 *                          widget state names one of the classes, calls wire on every
 *                          ".cell_output .<class>" element now and whenever the widget manager
 *                          adds to the page, until each of those widgets has data-book-live.
 * Plain JS, no libraries, nothing fetched.
 */
(function () {
  "use strict";

  /* ------------------------------------------------------------ formatting (Python's) */

  // Python's html.escape (quote=True).
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

  // Python's f"{v:.4e}" (fmt uses it only for non-integers |v| >= 1e6, which cannot tie at 5
  // significant digits): two-digit exponent at least.
  function expo(v) {
    return v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
  }

  // utils/widgets/attention.py fmt: integers as integers (every digit, as Python's str(int)),
  // the rest with 4 decimals. (Math.round differs from Python's round only at halves, which
  // are not integers either way.)
  function fmt(v) {
    var r = Math.round(v);
    if (Math.abs(v - r) < 5e-10) return BigInt(r).toString();
    if (Math.abs(v) >= 1e6) return expo(v);
    return fixed(v, 4);
  }

  /* ------------------------------------------------------------------ input (Python's) */

  // Python's str.strip() whitespace (str.isspace), which is also re's \s for str patterns.
  var SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029" +
    "\\u202f\\u205f\\u3000";
  var STRIP = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");
  var DIGITS = "\\d(?:_?\\d)*";
  var FLOAT = new RegExp("^[+-]?(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\." + DIGITS +
    ")(?:[eE][+-]?" + DIGITS + ")?$");
  var SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
  var ND = /\p{Nd}/u;

  function strip(text) {
    return String(text).replace(STRIP, "");
  }

  // Python's float() reads any Unicode decimal digit (e.g. full-width １２): as ASCII here.
  function asciiDigits(text) {
    return Array.from(text).map(function (c) {
      if (!ND.test(c) || (c >= "0" && c <= "9")) return c;
      var n = 0; // a run of Unicode decimal digits always starts at its zero
      var code = c.codePointAt(0);
      while (ND.test(String.fromCodePoint(code - n - 1))) n++;
      return String(n % 10);
    }).join("");
  }

  // float(text) for a text with no whitespace; null where Python raises ValueError.
  function pyFloat(text) {
    var ascii = asciiDigits(text);
    if (FLOAT.test(ascii)) return Number(ascii.replace(/_/g, ""));
    if (SPECIAL.test(ascii)) return NaN; // nan or ±inf: only "not finite" matters here
    return null;
  }

  // utils/_validate.py quote: “text”, cut after `limit` (default 20) characters (code points,
  // as Python counts).
  function quote(text, limit) {
    if (limit === undefined) limit = 20;
    var chars = Array.from(text);
    if (chars.length > limit) {
      text = chars.slice(0, limit).join("") + "…（共 " + chars.length + " 个字符）";
    }
    return "“" + text + "”";
  }

  function Bad(message) {
    this.message = message;
  }

  // utils/widgets/base.py parse_int; returns a BigInt (Python's int of the float).
  function parseInt_(text, name) {
    var body = strip(text);
    if (!body) throw new Bad(name + "是空的：请输入一个整数");
    var value = pyFloat(body);
    if (value === null) throw new Bad(name + "：" + quote(body) + "不是数字");
    if (!isFinite(value)) throw new Bad(name + "：" + quote(body) + "不是普通的数（NaN 或无穷大）");
    if (!Number.isInteger(value)) throw new Bad(name + "必须是整数，实际是 " + quote(body));
    return BigInt(value);
  }

  /* --------------------------------------------------- messages (utils/widgets/base.py) */

  var MAX_MESSAGE = 200;
  var NO_KERNEL = "（静态网页上没有内核，只能逐步查看，不能重算。）";
  var KEPT = "上方仍显示上一次有效的结果。";
  var LIVE = "（在网页里计算，不需要内核。）";
  var LIVE_MODEL = "（在网页里用随书附带的参考模型计算，不需要内核。）";

  function errorHtml(message, kept) {
    var text = Array.from(message.replace(/。+$/, "")); // code points, as Python counts
    text = text.length > MAX_MESSAGE ? text.slice(0, MAX_MESSAGE - 1).join("") + "…"
      : text.join("");
    return '<span class="book-msg-err">⚠ ' + escapeHtml(text) + "。" +
      escapeHtml(kept === undefined ? KEPT : kept) + "</span>";
  }

  function okHtml(message) {
    return '<span class="book-msg-ok">✓ ' + escapeHtml(message) + "</span>";
  }

  function goLive(editor, message, live) {
    editor.classList.add("book-live");
    var hint = message.querySelector("span");
    if (hint && hint.textContent.endsWith(NO_KERNEL)) {
      hint.textContent = hint.textContent.slice(0, -NO_KERNEL.length) +
        (live === undefined ? LIVE : live);
    }
  }

  /* ------------------------------------------------------------------- wiring */

  function watch(wires) {
    function start() {
      // Static pages whose embedded widget state has one of these widgets only.
      var states = [].map.call(document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-state+json"]'), function (s) {
        return s.textContent;
      });
      var classes = Object.keys(wires).filter(function (cls) {
        return states.some(function (text) {
          return text.indexOf('"' + cls + '"') !== -1;
        });
      });
      if (!classes.length) return;
      function scan() {
        var done = true;
        classes.forEach(function (cls) {
          var all = document.querySelectorAll(".cell_output ." + cls);
          [].forEach.call(all, wires[cls]);
          if (!all.length || ![].every.call(all, function (w) {
            return w.dataset.bookLive;
          })) done = false;
        });
        return done;
      }
      scan();
      // The widget manager renders the widgets after the page has been parsed.
      var observer = new MutationObserver(function () {
        if (scan()) observer.disconnect();
      });
      observer.observe(document.body, { childList: true, subtree: true });
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  /* ------------------------------------------ the numerals (utils/models/numerals.py) */

  var MAX_NUMBER = 99999;
  var DIGITS = "零一二三四五六七八九";
  var NUMERAL_CHARS = DIGITS + "两十百千万";
  var MAX_SOURCE_LEN = 9; // 九万九千九百九十九

  var UNITS = { 10: "十", 100: "百", 1000: "千", 10000: "万" };

  // _group: 0 < n < 10000 -> "X千X百X十X" with the zero rules (二 everywhere: liang=False).
  function group(n) {
    var out = [];
    var pendingZero = false;
    [1000, 100, 10, 1].forEach(function (unit) {
      var d = Math.floor(n / unit) % 10;
      if (d === 0) {
        pendingZero = out.length > 0;
        return;
      }
      if (pendingZero) {
        out.push("零");
        pendingZero = false;
      }
      out.push(DIGITS[d]);
      if (unit > 1) out.push(UNITS[unit]);
    });
    return out.join("");
  }

  // int_to_chinese(n): the canonical spelling.
  function intToChinese(n) {
    if (n === 0) return "零";
    var high = Math.floor(n / 10000);
    var low = n % 10000;
    var text;
    if (high) {
      text = DIGITS[high] + "万";
      if (low) text += (low < 1000 ? "零" : "") + group(low);
    } else {
      text = group(low);
    }
    if (n >= 10 && n < 20) text = text.slice(1); // 十五, not 一十五
    return text;
  }

  // spellings(n): every 二 in front of 百, 千 or 万 may also be 两.
  function spellings(n) {
    var canonical = Array.from(intToChinese(n));
    var slots = [];
    canonical.forEach(function (c, i) {
      if (c === "二" && i + 1 < canonical.length && "百千万".indexOf(canonical[i + 1]) !== -1) {
        slots.push(i);
      }
    });
    var out = [];
    for (var mask = 0; mask < 1 << slots.length; mask++) {
      var chars = canonical.slice();
      slots.forEach(function (i, k) {
        if (mask & (1 << k)) chars[i] = "两";
      });
      out.push(chars.join(""));
    }
    return out;
  }

  // _check_numeral_chars(s)
  function checkNumeralChars(s) {
    if (!s) throw new Bad("输入是空的：请输入一个中文数字，例如 三百零五");
    var bad = [];
    Array.from(s).forEach(function (c) {
      if (NUMERAL_CHARS.indexOf(c) === -1 && bad.indexOf(c) === -1) bad.push(c);
    });
    if (bad.length) {
      var shown = bad.slice(0, 5).map(function (c) {
        return "“" + c + "”";
      }).join("、");
      var more = bad.length > 5 ? "等 " + bad.length + " 种字" : "";
      throw new Bad(shown + more + "不是中文数字用字：只能用 " + NUMERAL_CHARS);
    }
  }

  // _parse_loose(s): digit×unit summed left to right (万 multiplies what came before); null if
  // malformed.
  function parseLoose(s) {
    var unit = { "十": 10, "百": 100, "千": 1000 };
    var total = 0;
    var section = 0;
    var digit = null;
    var chars = Array.from(s);
    for (var k = 0; k < chars.length; k++) {
      var c = chars[k];
      var v = c === "两" ? 2 : DIGITS.indexOf(c);
      if (v !== -1) {
        if (digit !== null && digit !== 0 && v !== 0) return null; // two digits in a row
        digit = v;
      } else if (unit[c]) {
        section += (digit === null ? 1 : digit) * unit[c];
        digit = null;
      } else { // 万
        if (total) return null; // 万 twice
        section += digit || 0;
        total = section * 10000;
        section = 0;
        digit = null;
        if (total === 0) return null;
      }
    }
    return total + section + (digit || 0);
  }

  // chinese_to_int(text)
  function chineseToInt(text) {
    var s = strip(text);
    checkNumeralChars(s);
    if (Array.from(s).length > MAX_SOURCE_LEN) {
      throw new Bad("太长了：最多 " + MAX_SOURCE_LEN + " 个字（本章的范围是 0 到 " + MAX_NUMBER +
        "）");
    }
    var n = parseLoose(s);
    if (n === null) throw new Bad("“" + s + "”不是规范的中文数字写法");
    if (n > MAX_NUMBER) {
      throw new Bad("“" + s + "”超出范围：本章只处理 0 到 " + MAX_NUMBER + "（不到十万）");
    }
    if (spellings(n).indexOf(s) === -1) {
      var short = /^.*([万千百])[一二三四五六七八九]$/.exec(s);
      if (short) { // 三百五 = 350 in speech: the unit of the last digit is left out
        var full = s + { "万": "千", "千": "百", "百": "十" }[short[1]];
        throw new Bad("“" + s + "”是口语的省略说法，本章只接受完整写法“" + full + "”");
      }
      throw new Bad("“" + s + "”不是规范的中文数字写法，" + n + " 应写作“" + intToChinese(n) + "”");
    }
    return n;
  }

  window.BookLive = {
    escapeHtml: escapeHtml,
    fixed: fixed,
    expo: expo,
    fmt: fmt,
    SPACE: SPACE,
    STRIP: STRIP,
    strip: strip,
    asciiDigits: asciiDigits,
    pyFloat: pyFloat,
    quote: quote,
    parseInt: parseInt_,
    Bad: Bad,
    MAX_MESSAGE: MAX_MESSAGE,
    NO_KERNEL: NO_KERNEL,
    KEPT: KEPT,
    LIVE: LIVE,
    LIVE_MODEL: LIVE_MODEL,
    errorHtml: errorHtml,
    okHtml: okHtml,
    goLive: goLive,
    watch: watch,
    numerals: {
      NUMERAL_CHARS: NUMERAL_CHARS,
      checkNumeralChars: checkNumeralChars,
      chineseToInt: chineseToInt,
      intToChinese: intToChinese,
    },
  };
})();
