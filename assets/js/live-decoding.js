/* js/live-decoding.js: chapter 5's decoding widget translates the reader's numeral in the page
 * (issue 18, the decoding chapter). Loaded on every page of the static site (never in
 * JupyterLab); it acts only on the greedy-decoding widget (.dec-stepper) of a static page,
 * whose text box has no kernel (class "jupyter-widgets-disconnected"). In JupyterLab the
 * Python editor decodes.
 *
 * Enter in the "中文数字" box checks the numeral exactly as utils/models/numerals.py's
 * chinese_to_int does (same Chinese messages), then runs the shipped numerals reference model
 * (window.BookNN, js/book-nn.js: the same weights as load_reference("numerals"), in float64)
 * through the greedy loop of utils/nn/transformer.py's greedy_decode_trace, and writes the
 * same HTML as utils/widgets/decoding.py's render_all into the NUM_STEPS panels of the
 * "✎ 自己输入" example, which it then selects, as the Python editor's _apply does. The
 * number of panels is fixed (NUM_STEPS = MAX_TARGET_LEN + 1, "解码已结束" fills the rest),
 * so the step slider never changes. Bad input shows the message (utils/widgets/base.py
 * error_html) and keeps the last good panels. The editor's box gets the class "book-live":
 * reading.js then leaves its text box enabled. The model's weights are fetched from this site
 * when the reader first opens the editor (or presses Enter). Plain JS, no libraries.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var NUMERAL_CHARS = L.numerals.NUMERAL_CHARS;
  var MAX_TARGET_LEN = 5;
  var NUM_STEPS = MAX_TARGET_LEN + 1;
  var PAD = "<pad>";
  var BOS = "<s>";
  var EOS = "</s>";
  var SRC_VOCAB = [PAD].concat(Array.from(NUMERAL_CHARS));
  var TGT_VOCAB = [PAD, BOS, EOS].concat(Array.from("0123456789"));
  var BOS_ID = 1;
  var EOS_ID = 2;
  var CUSTOM_LABEL = "✎ 自己输入";

  /* ------------------------------------------------------------------ input (Python's) */

  // numerals.py chinese_to_int, ported once in js/live-common.js (same messages).
  var chineseToInt = L.numerals.chineseToInt;

  /* ------------------------------------------- greedy decoding (transformer.py _trace) */

  function argmax(row) {
    var best = 0;
    for (var k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    return best;
  }

  // The steps of Transformer.greedy_decode_trace(src, BOS_ID, EOS_ID, max_len=NUM_STEPS):
  // each {inputs, probs, chosen, crossAttention: [layer][head] -> Float64Array(T_src)}.
  function trace(nn, model, srcIds) {
    var memory = nn.numerals.encode(model, srcIds).memory; // computed once
    var tokens = [BOS_ID];
    var steps = [];
    for (var k = 0; k < NUM_STEPS; k++) {
      var out = nn.numerals.decode(model, tokens.slice(), memory, srcIds);
      var last = tokens.length - 1;
      var probs = nn.softmax(out.logits[last]);
      var chosen = argmax(probs);
      steps.push({
        inputs: tokens.slice(),
        probs: probs,
        chosen: chosen,
        crossAttention: out.crossAttention.map(function (layer) {
          return layer.map(function (head) {
            return head[last];
          });
        }),
      });
      tokens.push(chosen);
      if (chosen === EOS_ID) break;
    }
    return steps;
  }

  /* -------------------------------------------------------- HTML (decoding.py's) */

  function tok(i) {
    return TGT_VOCAB[i];
  }

  // numerals.py decode_target: drop <s> and <pad>, stop at </s>.
  function decodeTarget(ids) {
    var out = [];
    for (var k = 0; k < ids.length; k++) {
      var t = TGT_VOCAB[ids[k]];
      if (t === EOS) break;
      if (t !== PAD && t !== BOS) out.push(t);
    }
    return out.join("");
  }

  function chosenOf(steps) {
    return steps.map(function (s) {
      return s.chosen;
    });
  }

  function heatCell(w, best) {
    var alpha = Math.min(1, Math.max(0, w));
    var color = alpha > 0.93 ? "#fff" : "#000";
    var outline = best ? "outline: 2px solid #b45309;" : "";
    return '<td style="background: rgba(37, 99, 235, ' + L.fixed(alpha, 3) + "); color: " + color +
      "; " + outline + '">' + L.fixed(w, 4) + "</td>";
  }

  // The top k of probs, largest first (torch.topk; the first index wins a tie).
  function topk(probs, k) {
    var idx = Array.from(probs.keys());
    idx.sort(function (a, b) {
      return probs[b] - probs[a] || a - b;
    });
    return idx.slice(0, k);
  }

  function renderStep(text, answer, steps, t) {
    var chars = Array.from(text);
    var outDigits = decodeTarget(chosenOf(steps));
    var fullInputs = steps[steps.length - 1].inputs;
    var head = "<p>源序列：<b>" + L.escapeHtml(text) + "</b>（" + chars.length + " 个字）" +
      "　正确答案：<b>" + answer + "</b></p>";
    if (t >= steps.length) {
      var verdict = outDigits === String(answer) ? "✓ 与正确答案一致" : "✗ 与正确答案不同";
      return '<div class="dec-step">' + head + "<p>解码在第 " + steps.length + " 步输出了 " +
        "<code>" + L.escapeHtml(tok(EOS_ID)) + "</code>，已经结束。</p>" +
        '<p class="dec-chosen">模型的译文：<b>' + L.escapeHtml(outDigits) + "</b>　" + verdict +
        "</p></div>";
    }
    var step = steps[t];
    // 1) decoder input so far
    var row = step.inputs.map(function (i) {
      return "<td>" + L.escapeHtml(tok(i)) + "</td>";
    }).join("");
    var inputs = '<table class="book-matrix"><caption>① 解码器输入（到目前为止）</caption>' +
      "<tr><th>词</th>" + row + "</tr></table>";
    // 2) the causal-mask row of the current position over the whole decoder input
    var cellsTok = [];
    var cellsMask = [];
    var positions = "";
    fullInputs.forEach(function (i, j) {
      if (j <= t) {
        cellsTok.push('<td class="seen">' + L.escapeHtml(tok(i)) + "</td>");
        cellsMask.push('<td class="seen">✓ 可以看</td>');
      } else {
        cellsTok.push('<td class="future">（未生成）</td>');
        cellsMask.push('<td class="masked">✗ 遮住</td>');
      }
      positions += "<th>" + j + "</th>";
    });
    var mask = '<table class="book-matrix"><caption>② 因果掩码：位置 ' + t + " 这一行</caption>" +
      "<tr><th>位置</th>" + positions + "</tr><tr><th>词</th>" + cellsTok.join("") + "</tr>" +
      "<tr><th>掩码</th>" + cellsMask.join("") + "</tr></table>";
    // 3) cross-attention over the source characters, every layer (mean over heads)
    var rows = step.crossAttention.map(function (heads, layer) {
      var w = new Float64Array(heads[0].length);
      heads.forEach(function (h) {
        for (var j = 0; j < w.length; j++) w[j] += h[j];
      });
      for (var j = 0; j < w.length; j++) w[j] /= heads.length;
      var best = argmax(w);
      var cells = Array.from(w).map(function (v, j) {
        return heatCell(v, j === best);
      }).join("");
      return "<tr><th>第 " + (layer + 1) + " 层</th>" + cells + "</tr>";
    }).join("");
    var srcHead = chars.map(function (c) {
      return "<th>" + L.escapeHtml(c) + "</th>";
    }).join("");
    var cross = '<table class="book-matrix"><caption>③ 交叉注意力：这一步看源序列的哪个字（各头平均）' +
      "</caption><tr><th></th>" + srcHead + "</tr>" + rows + "</table>";
    // 4) the chosen token and the runners-up
    var alts = topk(step.probs, 3).map(function (i) {
      return "<tr><td>" + L.escapeHtml(tok(i)) + "</td><td>" + L.fixed(step.probs[i], 4) +
        "</td></tr>";
    }).join("");
    var chosen = '<p class="dec-chosen">④ 选中：<b>' + L.escapeHtml(tok(step.chosen)) + "</b>" +
      "（概率 " + L.fixed(step.probs[step.chosen], 4) + "）</p>" +
      '<table class="book-matrix"><caption>概率最大的 3 个词</caption>' +
      "<tr><th>词</th><th>概率</th></tr>" + alts + "</table>";
    var soFar = decodeTarget(chosenOf(steps.slice(0, t))) || "（无）";
    return '<div class="dec-step">' + head + "<p>第 " + (t + 1) + " 步：解码器根据源序列和已生成的 " +
      (t + 1) + " 个词（含 &lt;s&gt;）预测下一个词。此前已输出：<b>" + L.escapeHtml(soFar) +
      '</b></p><div class="dec-row">' + inputs + mask + "</div>" + cross + chosen + "</div>";
  }

  function renderAll(text, answer, steps) {
    var out = [];
    for (var t = 0; t < NUM_STEPS; t++) out.push(renderStep(text, answer, steps, t));
    return out;
  }

  /* ------------------------------------------------------------------- the widget */

  var modelPromise = null;
  var modelReady = false;

  function loadModel() {
    if (!modelPromise) {
      modelPromise = window.BookNN.load("numerals").then(function (model) {
        checkVocab(model);
        modelReady = true;
        return model;
      });
      modelPromise.catch(function () {
        modelPromise = null; // try again at the next Enter
      });
    }
    return modelPromise;
  }

  // The exported vocabularies must be numerals.py's (the ids below are computed from them).
  function checkVocab(model) {
    var meta = model.meta || {};
    var same = function (a, b) {
      return !a || (a.length === b.length && a.every(function (x, k) {
        return x === b[k];
      }));
    };
    if (!same(meta.src_vocab, SRC_VOCAB) || !same(meta.tgt_vocab, TGT_VOCAB)) {
      throw new Error("live-decoding.js: the numerals model's vocabularies are not numerals.py's");
    }
  }

  // The custom example's NUM_STEPS panels and its button (the last of each).
  function parts(w) {
    var picker = w.querySelector(":scope > .widget-toggle-buttons");
    var tabs = w.querySelector(":scope > .book-hidden-tabs > .widget-tab-contents");
    if (!picker || !tabs) return null;
    var buttons = picker.querySelectorAll("button");
    var custom = tabs.children[tabs.children.length - 1];
    var contents = custom && custom.querySelector(":scope > .widget-tab-contents");
    if (!buttons.length || !contents) return null;
    var panels = [].map.call(contents.children, function (c) {
      return c.querySelector(".widget-html-content");
    });
    if (panels.length !== NUM_STEPS || panels.some(function (p) {
      return !p;
    })) return null;
    return { button: buttons[buttons.length - 1], panels: panels };
  }

  var busy = Promise.resolve();

  function compute(w, text, message) {
    var answer;
    var s;
    try {
      answer = chineseToInt(text);
      s = text.replace(L.STRIP, "");
    } catch (err) {
      if (!(err instanceof L.Bad)) throw err;
      message.innerHTML = L.errorHtml(err.message);
      return Promise.resolve();
    }
    // (the first time on a slow link: the weights are still on their way)
    if (!modelReady) message.innerHTML = "<span>正在加载参考模型（只需一次）……</span>";
    return loadModel().then(function (model) {
      var where = parts(w);
      if (!where) return;
      var srcIds = Array.from(s).map(function (c) {
        return SRC_VOCAB.indexOf(c);
      });
      var steps = trace(window.BookNN, model, srcIds);
      var values = renderAll(s, answer, steps); // everything computed: now show it
      where.panels.forEach(function (p, k) {
        p.innerHTML = values[k];
      });
      if (!where.button.classList.contains("mod-active")) where.button.click();
      message.innerHTML = L.okHtml("已重新解码“" + s + "”：模型输出 " +
        decodeTarget(chosenOf(steps)));
    }, function () {
      message.innerHTML = L.errorHtml("模型没有加载成功，请重新打开网页再试");
    });
  }

  function wire(w) {
    if (w.dataset.bookLive) return;
    var boxes = w.querySelectorAll(":scope > .widget-accordion .widget-text");
    if (boxes.length !== 1) return;
    var box = boxes[0];
    var editor = box.parentElement;
    var html = editor.querySelectorAll(":scope > .widget-html .widget-html-content");
    if (html.length !== 1 || !parts(w)) return;
    var message = html[0];
    // Static page only: a box connected to a kernel is left to Python.
    if (!box.classList.contains("jupyter-widgets-disconnected")) return;
    if (!window.BookNN) return;
    w.dataset.bookLive = "1";
    L.goLive(editor, message, L.LIVE_MODEL);
    var input = box.querySelector("input");
    // Fetch the weights once the reader opens the editor, not with every page view.
    var header = w.querySelector(":scope > .widget-accordion .jupyter-widget-Collapse-header");
    if (header) header.addEventListener("click", function () {
      loadModel().catch(function () {});
    });
    input.addEventListener("focus", function () {
      loadModel().catch(function () {});
    });
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing) return;
      var text = String(input.value); // what was typed when Enter was pressed
      busy = busy.then(function () { // one Enter after the other, in order
        return compute(w, text, message);
      }).catch(function (err) {
        setTimeout(function () { // reported as the page's error; the next Enter still runs
          throw err;
        });
      });
    });
  }

  // Static pages whose embedded widget state has the stepper (chapter 5) only.
  L.watch({ "dec-stepper": wire });
})();
