/* js/live-applications.js: chapter 6's two editors compute in the page (issue 18, chapter 6).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the
 * character-LM generation widget (.book-charlm) and the recommender widget (.book-rec) of a
 * static page, whose text boxes have no kernel (class "jupyter-widgets-disconnected"). In
 * JupyterLab the Python editors compute.
 *
 * "✎ 换一个开头": Enter checks the prompt as utils/models/char_lm.py's generation_steps does
 * (same Chinese messages: empty, characters not in the vocabulary, too long), then runs the
 * shipped character LM (window.BookNN, js/book-nn.js: the weights of
 * load_reference("char_lm"), in float64) greedily, one character at a time, and writes the same
 * HTML as utils/widgets/generation.py's render_step into the NUM_CHARS panels of the prompt
 * selected in the dropdown, whose label it renames, as GenerationStepper._apply does. The
 * chosen character is torch.topk's first (the most probable; ties: the lower id).
 *
 * "✎ 换一个会话": Enter parses the session as utils/models/recommender.py's parse_items does
 * (same messages), runs the shipped SASRec (load_reference("sasrec")) and writes the same HTML
 * as utils/widgets/recommender.py's render_step into the panels of the selected session, as
 * RecommenderStepper._apply does. The popularity baseline and the counts of where an item
 * occurred come from the chapter's training sessions (make_sessions(2500, session_len=8,
 * p_chain=0.8, seed=0), split_users(test_fraction=0.2, seed=0)), counted by
 * scripts/export_web_models.py into the sasrec model's meta with CHAINS.
 *
 * In both, the number of steps (panels) is fixed, as in Python: the step slider never changes.
 * Bad input shows the message (utils/widgets/base.py error_html) and keeps the last good
 * panels. The editors' boxes get the class "book-live": reading.js then leaves their text
 * boxes enabled. A model's weights are fetched from this site when the reader first opens
 * its editor (or presses Enter). Plain JS, no libraries.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var NEWLINE_SHOWN = "↵";
  var TOP_K = 5;

  /* ------------------------------------------------------------ formatting (Python's) */

  // utils/widgets/base.py shade: a weight in [0, 1] (clipped) -> white (0) to blue (1).
  function shade(weight) {
    var w = Math.min(Math.max(weight, 0), 1);
    var c = [59, 130, 246].map(function (v) {
      return Math.trunc(255 - (255 - v) * w);
    });
    return "rgb(" + c.join(",") + ")";
  }

  // char_lm.py show_char: the sentence separator "\n" is shown as ↵.
  function showChar(c) {
    return c === "\n" ? NEWLINE_SHOWN : c;
  }

  /* ------------------------------------------------------------------ input (Python's) */

  // recommender.py _ITEM_SEPARATORS: r"[，,、;；→\s]+"
  var SEPARATORS = new RegExp("[，,、;；→" + L.SPACE + "]+");

  // torch.topk's order: the largest first; equal values (never seen in practice) by id.
  function topk(values, k) {
    var idx = [];
    for (var i = 0; i < values.length; i++) idx.push(i);
    idx.sort(function (a, b) {
      return values[b] - values[a] || a - b;
    });
    return idx.slice(0, k);
  }

  // The last query row of one layer's attention, mean over heads ([head][row] -> (T,)).
  function lastRowMean(layer) {
    var T = layer[0].length;
    var out = new Float64Array(T);
    for (var j = 0; j < T; j++) {
      var s = 0;
      for (var h = 0; h < layer.length; h++) s += layer[h][T - 1][j];
      out[j] = s / layer.length;
    }
    return out;
  }

  /* ------------------------------------------------------------- the character LM */

  // char_lm.py CharVocab.encode's check, generation_steps' checks, in Python's order.
  function checkPrompt(model, prompt, numChars) {
    var chars = model.meta.chars;
    var maxLen = model.config.max_len;
    if (!prompt) throw new L.Bad("开头（prompt）是空的：请至少输入一个字");
    var text = Array.from(prompt);
    var bad = [];
    text.forEach(function (c) {
      if (chars.indexOf(c) === -1 && bad.indexOf(c) === -1) bad.push(c);
    });
    if (bad.length) {
      var shown = bad.slice(0, 5).map(function (c) {
        return "“" + showChar(c) + "”";
      }).join("、");
      var more = bad.length > 5 ? "等 " + bad.length + " 种字符" : "";
      throw new L.Bad("这些字符不在语料的字表里（共 " + chars.length + " 个字）：" + shown + more);
    }
    if (text.length + numChars - 1 > maxLen) {
      throw new L.Bad("开头太长：开头 " + text.length + " 个字 + 生成 " + numChars +
        " 个字超过了模型能看的 " + maxLen + " 个字，请把开头缩短到 " +
        (maxLen - numChars + 1) + " 个字以内");
    }
    return text.map(function (c) {
      return chars.indexOf(c);
    });
  }

  // char_lm.py generation_steps: greedy, the whole context each step.
  function generationSteps(model, ids, numChars) {
    var chars = model.meta.chars;
    var steps = [];
    ids = ids.slice();
    for (var n = 0; n < numChars; n++) {
      var out = window.BookNN.charLM(model, ids);
      var probs = window.BookNN.softmax(out.logits[ids.length - 1]);
      var attn = lastRowMean(out.attention[out.attention.length - 1]);
      var top = topk(probs, TOP_K);
      steps.push({
        context: ids.map(function (i) {
          return chars[i];
        }),
        attention: attn,
        topChars: top.map(function (i) {
          return chars[i];
        }),
        topProbs: top.map(function (i) {
          return probs[i];
        }),
        chosen: chars[top[0]],
      });
      ids.push(top[0]);
    }
    return steps;
  }

  // generation.py render_step.
  function renderGenStep(steps, t, prompt) {
    var step = steps[t];
    var esc = L.escapeHtml;
    var cells = step.context.map(function (c, j) {
      return '<span style="background:' + shade(step.attention[j]) + '">' + esc(showChar(c)) +
        "</span>";
    }).join("");
    var nxt = esc(showChar(step.chosen));
    var ctx = '<div class="charlm-ctx">' + cells + '<span class="charlm-next">' + nxt +
      "</span></div>";
    var attnRows = step.context.map(function (c, j) {
      return "<tr><th>" + esc(showChar(c)) + "</th><td>" + L.fixed(step.attention[j], 4) +
        "</td></tr>";
    }).join("");
    var attnTable = '<table class="book-matrix"><caption>注意力权重</caption>' +
      "<tr><th>字</th><th>权重</th></tr>" + attnRows + "</table>";
    var topRows = step.topChars.map(function (c, i) {
      var hl = i === 0 ? "hl" : "";
      return '<tr><th class="' + hl + '">' + esc(showChar(c)) + '</th><td class="' + hl + '">' +
        L.fixed(step.topProbs[i], 4) + "</td></tr>";
    }).join("");
    var topTable = '<table class="book-matrix"><caption>前 5 个候选</caption>' +
      "<tr><th>字</th><th>概率</th></tr>" + topRows + "</table>";
    var generated = steps.slice(0, t + 1).map(function (s) {
      return showChar(s.chosen);
    }).join("");
    return "<div><p>第 " + (t + 1) + " 步：模型看到 " + step.context.length +
      " 个字（蓝色越深，最后一个字对它的注意力越大），选出概率最大的字 <b>“" +
      esc(showChar(step.chosen)) + "”</b>。</p>" + ctx +
      '<div class="charlm-row">' + attnTable + topTable + "</div>" +
      '<p class="charlm-gen">开头“' + esc(prompt) + "” → 已生成：<b>" + esc(generated) +
      "</b></p></div>";
  }

  // GenerationStepper._apply: returns [panel HTML], the dropdown label's text, the message.
  function applyGeneration(model, text, numChars) {
    var prompt = String(text).replace(L.STRIP, "");
    var ids = checkPrompt(model, prompt, numChars);
    var steps = generationSteps(model, ids, numChars);
    var values = [];
    for (var t = 0; t < numChars; t++) values.push(renderGenStep(steps, t, prompt));
    var generated = steps.map(function (s) {
      return showChar(s.chosen);
    }).join("");
    return { values: values, label: prompt, message: "已重新生成：" + prompt + " → " + generated };
  }

  /* ---------------------------------------------------------------- the recommender */

  function Items(model) {
    this.names = model.meta.items;
    this.numChain = model.meta.num_chain_items;
    this.id = {};
    for (var i = 0; i < this.names.length; i++) this.id[this.names[i]] = i;
    this.chains = model.meta.chains;
    // The chapter's training sessions: how often each item occurs among the first
    // session_len - 1 items and as the last; popularity = the sum.
    this.sessionLen = model.meta.train_session_len;
    this.earlier = model.meta.train_earlier;
    this.last = model.meta.train_last;
    var last = this.last;
    this.popularity = this.earlier.map(function (e, i) {
      return e + last[i];
    });
  }

  Items.prototype.isChain = function (item) {
    return item < this.numChain;
  };

  Items.prototype.kind = function (item) {
    return this.isChain(item) ? "链条物品" : "日常用品";
  };

  // recommender.py next_in_chain: the id of the chain's next item, or null.
  Items.prototype.nextInChain = function (item) {
    var name = this.names[item];
    for (var c = 0; c < this.chains.length; c++) {
      var chain = this.chains[c];
      var j = chain.indexOf(name);
      if (j !== -1) return j + 1 < chain.length ? this.id[chain[j + 1]] : null;
    }
    return null;
  };

  // recommender.py chain_next: after the session's last chain item, or null.
  Items.prototype.chainNext = function (session) {
    var self = this;
    var chain = session.filter(function (i) {
      return self.isChain(i);
    });
    return chain.length ? this.nextInChain(chain[chain.length - 1]) : null;
  };

  // recommender.py parse_items.
  function parseItems(items, text, maxItems) {
    var names = String(text).replace(L.STRIP, "").split(SEPARATORS).filter(Boolean);
    if (!names.length) throw new L.Bad("会话是空的：请至少输入一件物品，物品名之间用逗号隔开");
    var unknown = [];
    names.forEach(function (n) {
      if (!Object.prototype.hasOwnProperty.call(items.id, n) && unknown.indexOf(n) === -1) {
        unknown.push(n);
      }
    });
    if (unknown.length) {
      var shown = unknown.slice(0, 3).map(function (n) {
        return L.quote(n, 12);
      }).join("、");
      var more = unknown.length > 3 ? "等 " + unknown.length + " 个" : "";
      throw new L.Bad("不认识的物品：" + shown + more + "。可用的 " + items.names.length +
        " 件物品是：" + items.names.join("、"));
    }
    if (names.length > maxItems) {
      throw new L.Bad("会话太长：有 " + names.length + " 件物品，最多 " + maxItems + " 件" +
        "（模型训练时只见过 " + maxItems + " 件的历史）");
    }
    return names.map(function (n) {
      return items.id[n];
    });
  }

  // widgets/recommender.py RecTrace (with recommend(model, session, k=num_items)).
  function recTrace(model, items, session) {
    var out = window.BookNN.sasrec(model, session);
    var probs = window.BookNN.softmax(out.scores[session.length - 1]);
    var order = topk(probs, probs.length);
    return {
      session: session,
      names: session.map(function (i) {
        return items.names[i];
      }),
      probs: probs,
      topItems: order.map(function (i) {
        return items.names[i];
      }),
      topProbs: order.map(function (i) {
        return probs[i];
      }),
      layerAttention: out.attention.map(lastRowMean),
      expected: items.chainNext(session),
    };
  }

  function rank(scores, item) { // 1 + how many score strictly higher
    var n = 0;
    for (var i = 0; i < scores.length; i++) if (scores[i] > scores[item]) n++;
    return 1 + n;
  }

  function chips(items, trace, weights) {
    var spans = trace.session.map(function (item, t) {
      var classes = items.isChain(item) ? ["rec-chain"] : [];
      if (t === trace.session.length - 1) classes.push("rec-query");
      var style = weights ? ' style="background:' + shade(weights[t]) + '"' : "";
      return '<span class="' + classes.join(" ") + '"' + style + ">" +
        L.escapeHtml(trace.names[t]) + "</span>";
    });
    return '<div class="rec-items">' + spans.join("") + "</div>";
  }

  function tokensPanel(items, trace) {
    var rows = trace.session.map(function (item, t) {
      return "<tr><td>" + t + "</td><th>" + L.escapeHtml(trace.names[t]) + "</th><td>" + item +
        "</td><td>" + items.kind(item) + "</td></tr>";
    }).join("");
    var table = '<table class="book-matrix"><caption>会话里的物品</caption>' +
      "<tr><th>位置</th><th>物品</th><th>编号</th><th>类别</th></tr>" + rows + "</table>";
    return "<p>这个会话有 " + trace.session.length + " 件物品。和 5.1 节的字一样，每件物品就是一个 " +
      "token：用它的编号查物品嵌入表，得到一个向量，再加上它所在位置的位置向量。" +
      "橙色边框的是链条物品，虚线框的是最后一件：要给出推荐的就是这个位置。</p>" +
      chips(items, trace, null) + table;
  }

  function attentionPanel(items, trace, layer) {
    var w = trace.layerAttention[layer];
    var onChain = 0;
    var total = 0;
    trace.session.forEach(function (item, t) {
      if (items.isChain(item)) onChain += w[t];
      total += w[t];
    });
    var rows = trace.session.map(function (item, t) {
      return "<tr><th>" + L.escapeHtml(trace.names[t]) + "</th><td>" + items.kind(item) +
        "</td><td>" + L.fixed(w[t], 4) + "</td></tr>";
    }).join("");
    var table = '<table class="book-matrix"><caption>第 ' + (layer + 1) + " 层的注意力权重</caption>" +
      "<tr><th>物品</th><th>类别</th><th>权重</th></tr>" + rows +
      "<tr><th>合计</th><td></td><td>" + L.fixed(total, 4) + "</td></tr></table>";
    return "<p>第 " + (layer + 1) + " 层：最后一个位置对每件历史物品的注意力（各头平均；因果掩码让它只能" +
      "看自己和前面的物品）。蓝色越深，权重越大。落在链条物品上的注意力合计 " +
      "<b>" + L.fixed(onChain, 4) + "</b>。</p>" + chips(items, trace, w) + table;
  }

  function rankingTable(caption, header, names, values, format, expected) {
    var rows = names.map(function (n, r) {
      var hl = n === expected ? "hl" : "";
      return "<tr><td>" + (r + 1) + '</td><th class="' + hl + '">' + L.escapeHtml(n) + "</th>" +
        '<td class="' + hl + '">' + format(values[r]) + "</td></tr>";
    }).join("");
    return '<table class="book-matrix"><caption>' + L.escapeHtml(caption) + "</caption>" +
      "<tr><th>名次</th><th>物品</th><th>" + L.escapeHtml(header) + "</th></tr>" + rows +
      "</table>";
  }

  function recommendPanel(items, trace) {
    var esc = L.escapeHtml;
    // np.argsort(-popularity, kind="stable")[:5]: ties by id, as topk here
    var popOrder = topk(items.popularity, TOP_K);
    var expected = trace.expected !== null ? items.names[trace.expected] : null;
    var modelTable = rankingTable("SASRec 的前 5 名", "概率", trace.topItems.slice(0, TOP_K),
      trace.topProbs.slice(0, TOP_K), function (v) {
        return L.fixed(v, 4);
      }, expected);
    var popTable = rankingTable("流行度基线的前 5 名", "训练中出现次数", popOrder.map(function (i) {
      return items.names[i];
    }), popOrder.map(function (i) {
      return items.popularity[i];
    }), String, expected);
    var verdict;
    if (expected === null) {
      verdict = "会话里没有链条物品（或链条已经走到头），埋进数据的规律给不出下一件：" +
        "模型只能像流行度基线那样，多推荐常买的日常用品。";
    } else {
      var shown = trace.topItems.slice(0, TOP_K).indexOf(expected) !== -1 ||
        popOrder.indexOf(trace.expected) !== -1;
      verdict = "按埋进数据的规律，下一件应是 <b>“" + esc(expected) + "”</b>" +
        (shown ? "（表中黄色）" : "") + "：" +
        "模型把它排在第 <b>" + rank(trace.probs, trace.expected) + "</b> 名（共 " +
        items.names.length + " 件），" +
        "流行度基线排在第 <b>" + rank(items.popularity, trace.expected) + "</b> 名。";
      var n = trace.session.length;
      var length = items.sessionLen;
      var earlier = items.earlier[trace.expected];
      if (n < length - 1 && earlier === 0) {
        var last = items.last[trace.expected];
        var why = items.nextInChain(trace.expected) === null
          ? "（它是链条的最后一件，生成数据时只会放在最后）" : "";
        verdict += "</p><p><b>注意</b>：这个会话只有 " + n + " 件，模型预测的是第 " + (n + 1) +
          " 件。训练会话里，“" + esc(expected) + "”作为第 " + length + " 件出现了 " + last +
          " 次，在前 " + (length - 1) + " 件里一次也没有" + why +
          "。模型也学到了这个和位置有关的规律。在前面补几件日常用品、凑满 " + (length - 1) +
          " 件再试试。";
      }
    }
    return "<p>最后一个位置的输出向量 h 与每件物品的嵌入做点积，得到 " + items.names.length +
      " 个分数，再用 softmax 变成概率；概率最大的几件就是推荐。" + verdict + "</p>" +
      '<div class="rec-row">' + modelTable + popTable + "</div>";
  }

  // recommender.py render_step: 0 tokens, 1..num_layers attention, then the recommendation.
  function renderRecStep(items, trace, t) {
    if (t === 0) return tokensPanel(items, trace);
    if (t <= trace.layerAttention.length) return attentionPanel(items, trace, t - 1);
    return recommendPanel(items, trace);
  }

  // RecommenderStepper._apply.
  function applyRecommender(model, text, numSteps) {
    var items = model.items;
    var session = parseItems(items, text, items.sessionLen - 1);
    var trace = recTrace(model, items, session);
    var values = [];
    for (var t = 0; t < numSteps; t++) values.push(renderRecStep(items, trace, t));
    return {
      values: values,
      label: trace.names.join("，"),
      message: "已重新计算：推荐前 3 名是 " + trace.topItems.slice(0, 3).join("、"),
    };
  }

  /* ------------------------------------------------------------------- the widgets */

  var sameList = function (a, b) {
    return Array.isArray(a) && a.length === b.length && a.every(function (x, k) {
      return x === b[k];
    });
  };

  var KINDS = {
    charlm: {
      selector: ".book-charlm",
      model: "char_lm",
      check: function (model) {
        if (!Array.isArray(model.meta.chars) || model.meta.chars.length !== model.config.vocab_size) {
          throw new Error("live-applications.js: the char_lm model has no vocabulary");
        }
      },
      apply: applyGeneration,
    },
    rec: {
      selector: ".book-rec",
      model: "sasrec",
      check: function (model) {
        var names = model.meta.items;
        var chain = [].concat.apply([], model.meta.chains || []);
        if (!Array.isArray(names) || names.length !== model.config.num_items ||
          !sameList(names.slice(0, chain.length), chain) ||
          model.meta.num_chain_items !== chain.length ||
          (model.meta.train_earlier || []).length !== names.length) {
          throw new Error("live-applications.js: the sasrec model's items are not recommender.py's");
        }
        model.items = new Items(model);
      },
      apply: applyRecommender,
    },
  };

  var models = {};

  function loadModel(kind) {
    var k = KINDS[kind];
    if (!models[kind]) {
      models[kind] = window.BookNN.load(k.model).then(function (model) {
        k.check(model);
        return model;
      });
      models[kind].catch(function () {
        models[kind] = null; // try again at the next Enter
      });
    }
    return models[kind];
  }

  // The dropdown, and for each of its options the step panels (.widget-html-content).
  function parts(w) {
    var select = w.querySelector(":scope > .widget-dropdown select");
    var tabs = w.querySelector(":scope > .book-hidden-tabs > .widget-tab-contents");
    if (!select || !tabs || tabs.children.length !== select.options.length) return null;
    var panels = [].map.call(tabs.children, function (inner) {
      var contents = inner.querySelector(":scope > .widget-tab-contents");
      return contents ? [].map.call(contents.children, function (c) {
        return c.querySelector(".widget-html-content");
      }) : [];
    });
    var n = panels[0].length;
    if (!n || panels.some(function (row) {
      return row.length !== n || row.some(function (p) {
        return !p;
      });
    })) return null;
    return { select: select, panels: panels };
  }

  var busy = Promise.resolve();

  function compute(kind, w, input, message) {
    var text = String(input.value);
    return loadModel(kind).then(function (model) {
      var where = parts(w);
      if (!where) return;
      var i = where.select.selectedIndex;
      var done;
      try {
        done = KINDS[kind].apply(model, text, where.panels[i].length);
      } catch (err) {
        if (!(err instanceof L.Bad)) throw err;
        message.innerHTML = L.errorHtml(err.message);
        return;
      }
      where.panels[i].forEach(function (p, t) { // everything computed: now show it
        p.innerHTML = done.values[t];
      });
      var option = where.select.options[i];
      var label = i + 1 + ". " + done.label;
      option.textContent = label.replace(/ /g, "\u00a0"); // as the widget manager writes it
      option.value = label;
      option.setAttribute("data-value", encodeURIComponent(label));
      message.innerHTML = L.okHtml(done.message);
    }, function () {
      message.innerHTML = L.errorHtml("模型没有加载成功（网页里的 " + KINDS[kind].model +
        " 参考模型），请刷新网页再试");
    });
  }

  function wire(kind, w) {
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
    var early = function () {
      loadModel(kind).catch(function () {});
    };
    if (header) header.addEventListener("click", early);
    input.addEventListener("focus", early);
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing) return;
      busy = busy.then(function () { // one Enter after the other, in order
        return compute(kind, w, input, message);
      });
    });
  }

  // Static pages whose embedded widget state has one of the two widgets (chapter 6) only.
  var wires = {};
  Object.keys(KINDS).forEach(function (kind) {
    wires[KINDS[kind].selector.slice(1)] = function (w) {
      wire(kind, w);
    };
  });
  L.watch(wires);
})();
