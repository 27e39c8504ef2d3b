/* js/live-shapes.js: chapter 1's "✎ 换一批源序列" computes in the page (issue 18, chapter 1).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the shape
 * stepper (.book-shapes) of a static page, whose text box has no kernel (class
 * "jupyter-widgets-disconnected"). In JupyterLab the Python editor computes.
 *
 * utils/widgets/shapes.py traces one forward pass of the numerals Transformer
 * (utils/nn/transformer.py trace_shapes) and shows the shape of every stage. The shapes depend
 * only on the sizes of the batch and of the model, so no model is run here: the source texts
 * are read and checked exactly as ShapeStepper._apply and utils/models/numerals.py
 * (encode_source, chinese_to_int, encode_target) do, with the same Chinese messages; the
 * stages are those trace_shapes records, in the order the forward pass runs them; every
 * panel gets the same HTML as shapes.py's render_stage, and the message line is
 * utils/widgets/base.py's ok_html / error_html. The model's sizes (d_model, layers, target
 * vocabulary) are read from the panel Python rendered, and used only if this file traces the
 * same records for the page's own batch. Bad input shows the message and keeps the last good
 * panels. The editor's box gets the class "book-live": reading.js then leaves its text box
 * enabled. Plain JS, no libraries, nothing fetched.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var MAX_TEXTS = 8;

  // utils/models/numerals.py's checks, ported once in js/live-common.js
  var checkNumeralChars = L.numerals.checkNumeralChars;
  var chineseToInt = L.numerals.chineseToInt;

  /* ------------------------------------------------------------------ input (Python's) */

  // shapes.py _SPLIT: numerals are separated by commas or spaces.
  var SPLIT = new RegExp("[,，、;；" + L.SPACE + "]+");

  /* ------------------------------------------------------ the trace (trace_shapes's) */

  // shapes.py _trace: encode_source(texts) (every text's characters checked first), then
  // encode_target([chinese_to_int(t) ...])[:, :-1], then the forward pass; its records:
  // [stage name, shape] in the order the hooked modules ran.
  function trace(config, texts) {
    texts.forEach(checkNumeralChars); // encode_source -> _source_texts
    var tSrc = Math.max.apply(null, texts.map(function (t) {
      return Array.from(t).length;
    }));
    var numbers = texts.map(chineseToInt);
    var tTgt = 1 + Math.max.apply(null, numbers.map(function (n) {
      return String(n).length;
    })); // <s> d1 … dk </s>, padded, without its last position
    var b = texts.length;
    var d = config.dModel;
    var records = [["源序列词嵌入 × √d_model", [b, tSrc, d]], ["源序列 + 位置编码", [b, tSrc, d]]];
    for (var i = 1; i <= config.encoderLayers; i++) records.push(["编码器第 " + i + " 层", [b, tSrc, d]]);
    records.push(["编码器输出 memory", [b, tSrc, d]]);
    records.push(["目标序列词嵌入 × √d_model", [b, tTgt, d]]);
    records.push(["目标序列 + 位置编码", [b, tTgt, d]]);
    for (i = 1; i <= config.decoderLayers; i++) records.push(["解码器第 " + i + " 层", [b, tTgt, d]]);
    records.push(["线性层 → logits", [b, tTgt, config.tgtVocab]]);
    return records;
  }

  /* ------------------------------------------------------- HTML (render_stage's) */

  var NOTES = [
    ["源序列词嵌入", "每个字的编号查表变成一个 d_model 维的向量，再乘以 √d_model（词嵌入：第 3 章）。"],
    ["源序列 + 位置编码", "每个位置加上一个表示“第几个”的向量，形状不变（位置编码：第 4 章）。"],
    ["编码器第", "多头自注意力（第 2 章）+ 前馈网络，各带残差与层归一化（第 5 章）；" +
      "形状不变，所以能一层层堆叠。"],
    ["编码器输出", "编码器最后一层的输出，叫 memory：源序列每个位置一个向量，送进每一个解码器层。"],
    ["目标序列词嵌入", "解码器的输入（<s> 加上已经生成的词）同样查表、乘以 √d_model。"],
    ["目标序列 + 位置编码", "同样加上位置编码。"],
    ["解码器第", "带因果掩码的自注意力 + 交叉注意力（query 来自解码器，key、value 来自 memory）" +
      "+ 前馈网络（第 5 章）。"],
    ["线性层", "最后一个线性层把 d_model 变成目标词表的大小：每个位置对“下一个词”的打分（logits）。"],
  ];

  function noteFor(stage) {
    for (var k = 0; k < NOTES.length; k++) {
      if (stage.indexOf(NOTES[k][0]) === 0) return NOTES[k][1];
    }
    return "";
  }

  // Python's str() of a tuple of ints: "(3, 5, 32)".
  function tupleStr(shape) {
    return "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")");
  }

  function describeShape(stage, shape) {
    var names = stage.indexOf("线性层") === 0 ? ["batch", "seq_len", "vocab_size"]
      : ["batch", "seq_len", "d_model"];
    return "(" + shape.map(function (s, k) {
      return names[k] + "=" + s;
    }).join(", ") + ")";
  }

  function renderStage(texts, records, t) {
    var e = L.escapeHtml;
    var items = records.map(function (r, k) {
      var klass = k === t ? "now" : k < t ? "done" : "";
      return '<li class="' + klass + '">' + e(r[0]) + '：<span class="shape">' + e(tupleStr(r[1])) +
        "</span></li>";
    });
    var stage = records[t][0];
    var shape = records[t][1];
    return '<div class="shape-panel">' +
      "<p>这一批源序列：" + e(texts.join("、")) + "（短的在右边补 &lt;pad&gt;）</p>" +
      "<p><b>第 " + (t + 1) + " 步：" + e(stage) + "</b>　输出形状 " +
      '<span class="shape">' + e(describeShape(stage, shape)) + "</span></p>" +
      "<p>" + e(noteFor(stage)) + "</p>" +
      "<ol>" + items.join("") + "</ol></div>";
  }

  /* ------------------------------------------------------------------- the widget */

  // ShapeStepper._apply
  function apply(config, text) {
    var texts = L.strip(text).split(SPLIT).filter(function (t) {
      return t;
    });
    if (texts.length < 1 || texts.length > MAX_TEXTS) {
      throw new L.Bad("请输入 1 到 " + MAX_TEXTS + " 个中文数字，用逗号隔开（现在是 " + texts.length +
        " 个）");
    }
    var records = trace(config, texts);
    return {
      texts: texts,
      records: records,
      panels: records.map(function (r, t) {
        return renderStage(texts, records, t);
      }),
      message: "已重新计算：batch = " + texts.length + "，源序列补齐到 " + records[0][1][1] + " 个字",
    };
  }

  // The model's sizes, from the records in the panel Python rendered: [[stage, shape], ...].
  function pageRecords(panel) {
    return [].map.call(panel.querySelectorAll(".shape-panel ol > li"), function (li) {
      var text = li.textContent;
      var cut = text.lastIndexOf("：");
      var dims = text.slice(cut + 1).match(/\d+/g) || [];
      return [text.slice(0, cut), dims.map(Number)];
    });
  }

  function configOf(records) {
    var count = function (prefix) {
      return records.filter(function (r) {
        return r[0].indexOf(prefix) === 0;
      }).length;
    };
    if (!records.length) return null;
    return {
      dModel: records[0][1][2],
      tgtVocab: records[records.length - 1][1][2],
      encoderLayers: count("编码器第"),
      decoderLayers: count("解码器第"),
    };
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function wire(w) {
    if (w.dataset.bookLive) return;
    var boxes = w.querySelectorAll(":scope > .widget-accordion .widget-text");
    if (boxes.length !== 1) return;
    var box = boxes[0];
    var editor = box.parentElement;
    var html = editor.querySelectorAll(":scope > .widget-html .widget-html-content");
    var panels = w.querySelectorAll(
      ":scope > .book-hidden-tabs > .widget-tab-contents > .widget-html > .widget-html-content");
    if (html.length !== 1 || !panels.length) return;
    var message = html[0];
    // Static page only: a box connected to a kernel is left to Python.
    if (!box.classList.contains("jupyter-widgets-disconnected")) return;
    var input = box.querySelector("input");
    var records = pageRecords(panels[0]);
    var config = configOf(records);
    // Use the sizes only if they give the page's own trace for the page's own batch.
    var first;
    try {
      first = config && apply(config, input.value);
    } catch (err) {
      if (!(err instanceof L.Bad)) throw err;
    }
    if (!first || first.records.length !== panels.length) return; // not all rendered yet
    if (!same(first.records, records)) { // a model this file does not trace: Python only
      w.dataset.bookLive = "off";
      return;
    }
    w.dataset.bookLive = "1";
    L.goLive(editor, message);
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing) return;
      var done;
      try {
        done = apply(config, input.value); // every panel computed before any is shown
      } catch (err) {
        if (!(err instanceof L.Bad)) throw err;
        message.innerHTML = L.errorHtml(err.message);
        return;
      }
      done.panels.forEach(function (value, t) {
        panels[t].innerHTML = value;
      });
      message.innerHTML = L.okHtml(done.message);
    });
  }

  // Static pages whose embedded widget state has the shape stepper (chapter 1) only.
  L.watch({ "book-shapes": wire });
})();
