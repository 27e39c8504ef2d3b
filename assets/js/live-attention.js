/* js/live-attention.js: chapter 2's "✎" editors compute in the page (issue 18, chapter 2).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the
 * self-attention stepper (.attn-stepper) of a static page, whose text boxes have no kernel
 * (class "jupyter-widgets-disconnected"). In JupyterLab the Python editors compute.
 *
 * Enter in one of the three input boxes ("✎ 修改输入") or the three weight boxes ("✎ 修改权重")
 * recomputes the notes' seven steps for every input row, unscaled and divided by √d_k, in
 * float64, and writes them into the widget's precomputed panels (the hidden tabs the row and
 * scaling pickers and the step slider switch between, so stepping afterwards shows the new
 * numbers). The panels are the HTML of utils/widgets/attention.py's render_stage, the input
 * is read as its parse_row / parse_matrix read it, with the same Chinese messages (and
 * utils/widgets/base.py's error_html / ok_html); what AttentionStepper._apply and
 * _apply_weights do, this does: every panel is rendered before any is shown, a bad input
 * shows the message and keeps the last good state. The arithmetic is utils/nn/numpy_attention
 * .attention_steps', operation by operation in the same order, the matrix products with fused
 * multiply-adds as numpy's OpenBLAS does them (see matmul). The editors' boxes get the class
 * "book-live": reading.js then leaves their text boxes enabled. Plain JS, nothing fetched.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var MAX_ABS_INPUT = 1000;
  var KEPT_INPUTS = "上方的步骤仍按上一次有效的输入显示。";
  var KEPT_WEIGHTS = "上方的步骤仍按上一次有效的权重显示。";
  var WEIGHT_NAMES = ["W_query", "W_key", "W_value"];
  var N_STAGES = 7;

  /* ------------------------------------------------------------ formatting (Python's) */

  // attention.py fmt_vec: "[1, 0, 2]"
  function fmtVec(a) {
    return "[" + a.map(L.fmt).join(", ") + "]";
  }

  /* ------------------------------------------------------------------ input (Python's) */

  var BRACKETS = /^[[\]()（）【】]+|[[\]()（）【】]+$/g;
  var SPLIT = new RegExp("[,，、;；" + L.SPACE + "]+"); // attention.py _SPLIT
  var ROWS = /[/／]/; // attention.py _ROWS

  // attention.py _example_row: "1, 0, 1, 0" cut or extended to `length` numbers.
  function exampleRow(length) {
    var a = [];
    for (var k = 0; k < length; k++) a.push(k % 2 === 0 ? "1" : "0");
    return a.join(", ");
  }

  // attention.py parse_row
  function parseRow(text, length, label) {
    var body = String(text).replace(L.STRIP, "").replace(BRACKETS, "").replace(L.STRIP, "");
    if (!body) throw new L.Bad(label + "是空的：请输入 " + length + " 个数，例如 " + exampleRow(length));
    var parts = body.split(SPLIT).filter(function (p) {
      return p;
    });
    var values = parts.map(function (p) {
      var v = L.pyFloat(p);
      if (v === null) throw new L.Bad(label + "：“" + p + "”不是数字");
      return v;
    });
    if (values.length !== length) {
      throw new L.Bad(label + "应有 " + length + " 个数，实际有 " + values.length + " 个");
    }
    if (!values.every(isFinite)) throw new L.Bad(label + "含有 NaN 或无穷大（inf），请输入普通的数");
    if (values.some(function (v) {
      return Math.abs(v) > MAX_ABS_INPUT;
    })) throw new L.Bad(label + "的数值过大：请输入绝对值不超过 " + MAX_ABS_INPUT + " 的数");
    return values;
  }

  // attention.py parse_matrix
  function parseMatrix(text, rows, cols, label) {
    var body = String(text).replace(L.STRIP, "");
    if (!body) {
      var example = [];
      for (var r = 0; r < rows; r++) example.push(exampleRow(cols));
      throw new L.Bad(label + " 是空的：请输入 " + rows + " 行、每行 " + cols + " 个数，" +
        "行与行之间用 / 分隔，例如 " + example.join(" / "));
    }
    var parts = body.split(ROWS);
    if (parts.length !== rows) {
      throw new L.Bad(label + " 应有 " + rows + " 行（行与行之间用 / 分隔），实际有 " + parts.length +
        " 行");
    }
    return parts.map(function (p, k) {
      return parseRow(p, cols, label + " 第 " + (k + 1) + " 行");
    });
  }

  /* ------------------------------------ the seven steps, in float64 (attention_steps) */

  function column(m, c) {
    return m.map(function (row) {
      return row[c];
    });
  }

  function dot(a, b) {
    var s = 0;
    for (var k = 0; k < a.length; k++) s += a[k] * b[k];
    return s;
  }

  // A double as m·2^e with m a BigInt (exact).
  var VIEW = new DataView(new ArrayBuffer(8));
  function exact(v) {
    VIEW.setFloat64(0, v);
    var hi = VIEW.getUint32(0);
    var bits = (hi >>> 20) & 0x7ff;
    var m = (BigInt(hi & 0xfffff) << 32n) | BigInt(VIEW.getUint32(4));
    if (bits) m |= 1n << 52n;
    return [hi >>> 31 ? -m : m, (bits || 1) - 1075];
  }

  // m·2^e rounded to the nearest double, ties to even (Number(BigInt) rounds so; the bits cut
  // first leave a sticky bit well below the 53 kept). Not for results near underflow, which
  // the inputs' limits keep far below a shown digit anyway.
  function toDouble(m, e) {
    var neg = m < 0n;
    if (neg) m = -m;
    var cut = m.toString(2).length - 64;
    if (cut > 0) {
      var sticky = (m & ((1n << BigInt(cut)) - 1n)) ? 1n : 0n;
      m = (m >> BigInt(cut)) | sticky;
      e += cut;
    }
    var half = Math.trunc(e / 2);
    var d = Number(m) * Math.pow(2, half) * Math.pow(2, e - half);
    return neg ? -d : d;
  }

  // fma(a, b, c) = a·b + c rounded once, as the CPU's fused multiply-add does.
  function fma(a, b, c) {
    var x = exact(a), y = exact(b), z = exact(c);
    var mp = x[0] * y[0];
    var ep = x[1] + y[1];
    var e = Math.min(ep, z[1]);
    var sum = (mp << BigInt(ep - e)) + (z[0] << BigInt(z[1] - e));
    return sum === 0n ? a * b + c : toDouble(sum, e);
  }

  // x @ w as numpy computes it with OpenBLAS on a CPU with fused multiply-adds (x86-64 since
  // 2013, every ARM64): each entry a chain fma(x_k, w_k, s) from s = 0, k in order. A plain
  // sum of products differs in the last bit now and then, and a number near a tie of the 4th
  // decimal then shows another digit (tests/test_browser_live_attention.py has one: a score
  // numpy shows as -2948.9437, plain sums as -2948.9438). (q · k, the sums and softmax are
  // plain, as numpy does them.)
  function matmul(a, b) {
    var cols = [];
    for (var c = 0; c < b[0].length; c++) cols.push(column(b, c));
    return a.map(function (row) {
      return cols.map(function (col) {
        var s = 0;
        for (var k = 0; k < row.length; k++) s = fma(row[k], col[k], s);
        return s;
      });
    });
  }

  function sumOf(a) {
    var s = -0; // numpy's sum: -0.0 + a[0] + a[1] + …, in order
    for (var k = 0; k < a.length; k++) s += a[k];
    return s;
  }

  function maxOf(a) {
    return a.reduce(function (m, v) {
      return v > m ? v : m;
    });
  }

  function attentionSteps(x, w, scaled) {
    var query = matmul(x, w[0]);
    var key = matmul(x, w[1]);
    var value = matmul(x, w[2]);
    var dK = key[0].length;
    var root = Math.sqrt(dK);
    var scores = query.map(function (q) {
      return key.map(function (k) {
        var s = dot(q, k);
        return scaled ? s / root : s;
      });
    });
    var weights = scores.map(function (s) {
      var top = maxOf(s);
      var e = s.map(function (v) {
        return Math.exp(v - top);
      });
      var total = sumOf(e);
      return e.map(function (v) {
        return v / total;
      });
    });
    var weighted = weights.map(function (a) {
      return a.map(function (aj, j) {
        return value[j].map(function (v) {
          return aj * v;
        });
      });
    });
    var output = weighted.map(function (rows) {
      return rows[0].map(function (_, c) {
        return sumOf(column(rows, c));
      });
    });
    return {
      x: x, wQuery: w[0], wKey: w[1], wValue: w[2], query: query, key: key, value: value,
      scaled: scaled, dK: dK, scores: scores, weights: weights, weighted: weighted,
      output: output,
    };
  }

  /* ------------------------------------------------------- HTML (render_stage's) */

  function matrixTable(m, title, rowNames, opts) {
    opts = opts || {};
    var hlRows = opts.hlRows || [];
    var head = "";
    if (opts.colNames) {
      head = "<tr><th></th>" + opts.colNames.map(function (c) {
        return "<th>" + L.escapeHtml(c) + "</th>";
      }).join("") + "</tr>";
    }
    var body = m.map(function (row, r) {
      var hl = hlRows.indexOf(r) !== -1;
      var cells = row.map(function (v) {
        return '<td class="' + (hl ? "hl" : "") + '">' + L.escapeHtml(L.fmt(v)) + "</td>";
      }).join("");
      return "<tr><th" + (hl ? ' class="hl"' : "") + ">" + L.escapeHtml(rowNames[r]) + "</th>" +
        cells + "</tr>";
    }).join("");
    return '<table class="attn-matrix ' + L.escapeHtml(opts.cls || "") + '"><caption>' +
      L.escapeHtml(title) + "</caption>" + head + body + "</table>";
  }

  function dotTerms(a, b) {
    return a.map(function (v, k) {
      return L.fmt(v) + "×" + L.fmt(b[k]);
    }).join(" + ");
  }

  function range(n) {
    var a = [];
    for (var k = 0; k < n; k++) a.push(k);
    return a;
  }

  function renderStage(st, i, stage) {
    var n = st.x.length;
    var e = L.escapeHtml;
    var names = range(n).map(function (j) {
      return "输入 " + (j + 1);
    });
    var x = st.x, q = st.query, k = st.key, v = st.value;
    var s = st.scores[i], a = st.weights[i];
    var lines = [];
    var j;
    if (stage === 0) {
      lines.push("<p>" + n + " 个输入，每个是一行 d_model = " + x[0].length + " 维的向量。" +
        "当前跟踪 <b>输入 " + (i + 1) + "</b> = " + e(fmtVec(x[i])) + "（高亮）。</p>");
      lines.push(matrixTable(x, "输入 X", names, { hlRows: [i] }));
    } else if (stage === 1) {
      lines.push("<p>三个权重矩阵，形状都是 (d_model, d_k)。真实模型里它们由训练学得；" +
        "这里是固定的示例值（默认取笔记中的例子）。</p>");
      var d = range(x[0].length).map(function (r) {
        return "第 " + (r + 1) + " 行";
      });
      lines.push('<div class="attn-row">' + matrixTable(st.wQuery, "W_query", d) +
        matrixTable(st.wKey, "W_key", d) + matrixTable(st.wValue, "W_value", d) + "</div>");
    } else if (stage === 2) {
      lines.push("<p>query = x · W_query，key = x · W_key，value = x · W_value。" +
        "输入 " + (i + 1) + " 的 query 逐个分量计算：</p><ul>");
      for (var c = 0; c < q[i].length; c++) {
        var terms = dotTerms(x[i], column(st.wQuery, c));
        lines.push("<li>q" + (i + 1) + "[" + (c + 1) + "] = " + e(terms) + " = <b>" +
          e(L.fmt(q[i][c])) + "</b></li>");
      }
      lines.push("</ul><p>query " + (i + 1) + " = <b>" + e(fmtVec(q[i])) + "</b></p>");
      lines.push('<div class="attn-row">' +
        matrixTable(q, "Q（query）", names, { hlRows: [i] }) +
        matrixTable(k, "K（key）", names) + matrixTable(v, "V（value）", names) + "</div>");
    } else if (stage === 3) {
      var root = Math.sqrt(st.dK);
      var scaleNote = st.scaled ? "，再除以 √d_k = √" + st.dK + " = " + L.fmt(root) : "";
      lines.push("<p>query " + (i + 1) + " = " + e(fmtVec(q[i])) + " 与每个 key 做点积" +
        e(scaleNote) + "：</p><ul>");
      for (j = 0; j < n; j++) {
        var dt = dot(q[i], k[j]);
        var text = "q" + (i + 1) + " · k" + (j + 1) + " = " + dotTerms(q[i], k[j]) + " = " +
          L.fmt(dt);
        if (st.scaled) text += "；" + L.fmt(dt) + " / " + L.fmt(root) + " = " + L.fmt(s[j]);
        lines.push("<li>" + e(text) + "</li>");
      }
      lines.push("</ul><p>注意力分数 scores" + (i + 1) + " = <b>" + e(fmtVec(s)) + "</b></p>");
      lines.push('<div class="attn-row">' +
        matrixTable(q, "Q（query）", names, { hlRows: [i] }) +
        matrixTable(k, "K（全部用到）", names, { cls: "attn-used" }) + "</div>");
    } else if (stage === 4) {
      var top = maxOf(s);
      var ez = s.map(function (sj) {
        return Math.exp(sj - top);
      });
      var total = sumOf(ez);
      lines.push("<p>softmax(s)_j = e^(s_j) / Σ_l e^(s_l)。先把每个分数减去最大值 " +
        e(L.fmt(top)) + "（分子分母同乘一个数，结果不变，但不会溢出）：</p><ul>");
      for (j = 0; j < n; j++) {
        lines.push("<li>e^(" + e(L.fmt(s[j])) + " − " + e(L.fmt(top)) + ") = " + e(L.fmt(ez[j])) +
          "</li>");
      }
      lines.push("</ul><p>总和 Σ = " + e(L.fmt(total)) + "；逐个相除：</p><ul>");
      for (j = 0; j < n; j++) {
        lines.push("<li>a" + (i + 1) + "," + (j + 1) + " = " + e(L.fmt(ez[j])) + " / " +
          e(L.fmt(total)) + " = <b>" + e(L.fmt(a[j])) + "</b></li>");
      }
      lines.push("</ul><p>注意力权重 = <b>" + e(fmtVec(a)) + "</b>，和为 " + e(L.fmt(sumOf(a))) +
        "</p>");
      lines.push(matrixTable([s, a], "输入 " + (i + 1) + "：分数 → 权重", ["分数", "权重"], {
        colNames: names.map(function (name) {
          return "对" + name;
        }),
        hlRows: [1],
      }));
    } else if (stage === 5) {
      lines.push("<p>每个权重乘以对应的 value，得到 alignment vectors（加权后的 value）：</p><ul>");
      for (j = 0; j < n; j++) {
        lines.push("<li>" + e(L.fmt(a[j])) + " × " + e(fmtVec(v[j])) + " = <b>" +
          e(fmtVec(st.weighted[i][j])) + "</b></li>");
      }
      lines.push("</ul>");
      lines.push(matrixTable(v, "V（value）", names, { cls: "attn-used" }));
    } else {
      var sum = st.weighted[i].map(fmtVec).join(" + ");
      lines.push("<p>把 alignment vectors 逐分量相加：</p>" +
        "<p>" + e(sum) + " = <b>" + e(fmtVec(st.output[i])) + "</b></p>" +
        "<p>这就是输入 " + (i + 1) + " 的输出（output " + (i + 1) + "）。" +
        "（各项显示为四位小数，相加时末位可能差 1。）</p>");
      lines.push(matrixTable(st.output, "全部输出", names, { hlRows: [i] }));
    }
    return '<div class="attn-stage">' + lines.join("") + "</div>";
  }

  /* ------------------------------------------------------------------- the widget */

  function children(el, selector) {
    return el ? [].filter.call(el.children, function (c) {
      return c.matches(selector);
    }) : [];
  }

  // The hidden tabs' panels: panels[row][scaled ? 1 : 0][stage] (.widget-html-content),
  // nested as AttentionStepper nests them (rows -> scalings -> stages); null if not so.
  function findPanels(w, n) {
    var contents = ":scope > .widget-tab-contents";
    var rows = children(w.querySelector(":scope > .book-hidden-tabs > .widget-tab-contents"),
      ".book-hidden-tabs");
    if (rows.length !== n) return null;
    var panels = rows.map(function (row) {
      return children(row.querySelector(contents), ".book-hidden-tabs").map(function (sc) {
        return children(sc.querySelector(contents), ".widget-html").map(function (h) {
          return h.querySelector(":scope > .widget-html-content");
        });
      });
    });
    var ok = panels.every(function (row) {
      return row.length === 2 && row.every(function (sc) {
        return sc.length === N_STAGES && sc.every(Boolean);
      });
    });
    return ok ? panels : null;
  }

  // One "✎" editor: its text boxes (by label), their inputs and its message line.
  function findEditor(w, labels) {
    var found = null;
    w.querySelectorAll(":scope > .widget-accordion, :scope > .jupyter-widget-Accordion")
      .forEach(function (acc) {
        var boxes = acc.querySelectorAll(".widget-text");
        var names = [].map.call(boxes, function (b) {
          var label = b.querySelector(".widget-label");
          return label ? label.textContent.trim() : "";
        });
        if (found || names.join("|") !== labels.join("|")) return;
        var box = boxes[0].parentElement;
        var message = box.querySelector(":scope > .widget-html .widget-html-content");
        if (!message) return;
        found = {
          boxes: boxes, box: box, message: message,
          inputs: [].map.call(boxes, function (b) {
            return b.querySelector("input");
          }),
        };
      });
    return found;
  }

  function values(inputs) {
    return inputs.map(function (f) {
      return f.value;
    });
  }

  function wire(w) {
    if (w.dataset.bookLive) return;
    var rowPicker = w.querySelector(":scope > .widget-toggle-buttons");
    if (!rowPicker) return;
    var n = rowPicker.querySelectorAll("button").length;
    var panels = findPanels(w, n);
    var inputs = findEditor(w, range(n).map(function (i) {
      return "输入 " + (i + 1);
    }));
    var weights = findEditor(w, WEIGHT_NAMES);
    if (!panels || !inputs || !weights) return;
    var editors = [inputs, weights];
    // Static page only: a box connected to a kernel is left to Python.
    if (!editors.every(function (ed) {
      return [].every.call(ed.boxes, function (b) {
        return b.classList.contains("jupyter-widgets-disconnected");
      });
    })) return;

    // The last good state: what Python computed the panels from (the boxes' first texts,
    // written by attention.py with every digit of each number).
    var state;
    try {
      state = {
        x: values(inputs.inputs).map(readRow),
        w: values(weights.inputs).map(function (t) {
          return t.split(ROWS).map(readRow);
        }),
      };
    } catch (err) {
      if (err instanceof L.Bad) return;
      throw err;
    }

    w.dataset.bookLive = "1";
    editors.forEach(function (ed) {
      L.goLive(ed.box, ed.message);
    });

    // AttentionStepper._show: render every panel, then show them all.
    function show(x, wts) {
      var steps = [attentionSteps(x, wts, false), attentionSteps(x, wts, true)];
      var html = panels.map(function (row, i) {
        return row.map(function (sc, s) {
          return sc.map(function (_, t) {
            return renderStage(steps[s], i, t);
          });
        });
      });
      panels.forEach(function (row, i) {
        row.forEach(function (sc, s) {
          sc.forEach(function (panel, t) {
            panel.innerHTML = html[i][s][t];
          });
        });
      });
      state = { x: x, w: wts };
    }

    // AttentionStepper._apply
    function applyInputs() {
      var d = state.x[0].length;
      var x = values(inputs.inputs).map(function (t, i) {
        return parseRow(t, d, "第 " + (i + 1) + " 行");
      });
      show(x, state.w);
      return "已重新计算：" + state.x.map(fmtVec).join("；");
    }

    // AttentionStepper._apply_weights
    function applyWeights() {
      var d = state.x[0].length;
      var wts = values(weights.inputs).map(function (t, k) {
        return parseMatrix(t, d, state.w[k][0].length, WEIGHT_NAMES[k]);
      });
      show(state.x, wts);
      return "已用新的权重重新计算全部步骤";
    }

    // Editor.submit
    function submit(ed, apply, kept) {
      var done;
      try {
        done = apply();
      } catch (err) {
        if (!(err instanceof L.Bad)) throw err;
        ed.message.innerHTML = L.errorHtml(err.message, kept);
        return;
      }
      ed.message.innerHTML = L.okHtml(done);
    }

    [[inputs, applyInputs, KEPT_INPUTS], [weights, applyWeights, KEPT_WEIGHTS]]
      .forEach(function (e) {
        e[0].inputs.forEach(function (f) {
          f.addEventListener("keydown", function (ev) {
            if (ev.key === "Enter" && !ev.isComposing) submit(e[0], e[1], e[2]);
          });
        });
      });
  }

  // A row of a box's first text, however many numbers it has.
  function readRow(text) {
    var body = String(text).replace(L.STRIP, "").replace(BRACKETS, "").replace(L.STRIP, "");
    return parseRow(text, body.split(SPLIT).filter(function (p) {
      return p;
    }).length, "");
  }

  // Static pages whose embedded widget state has the stepper (chapter 2) only.
  L.watch({ "attn-stepper": wire });
})();
