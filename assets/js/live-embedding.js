/* js/live-embedding.js: chapter 3's "✎ 输入一个词" computes in the page (issue 18, chapter 3).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the embedding
 * explorer (.book-emb-explorer) of a static page, whose text box has no kernel (class
 * "jupyter-widgets-disconnected"). In JupyterLab the Python editor computes.
 *
 * The explorer (utils/widgets/embedding.py) shows a word's one-hot row, the row of the
 * embedding matrix W it selects, and its nearest words by cosine similarity, with W the
 * word2vec reference model's in_embed.weight. Here W and the vocabulary come from
 * BookNN.load("word2vec") (js/book-nn.js: the same float32 weights, widened to float64 as
 * load_reference does). Enter in the box does what EmbeddingExplorer._apply does: the same
 * checks and Chinese messages (utils/widgets/base.py error_html / ok_html), a preset word is
 * picked in the list, any other word of the vocabulary gets its three panels (the same HTML as
 * render_panel; the neighbours ranked as utils/models/word2vec.py nearest_neighbours ranks
 * them, ties by vocabulary order) and is added to the list. Bad input shows the message and
 * keeps the last good state. The typed words' panels are shown in a copy of the explorer's
 * panel box, stepped by the same 步骤 buttons; the real tabs are hidden meanwhile.
 *
 * The model is loaded with the page (chapter 3 only) and every preset word's panels are
 * computed once and compared with the ones Python rendered (as text): only if they all agree
 * is the editor switched on (the class "book-live": reading.js then leaves its box enabled).
 * Plain JS, no libraries; the model file is part of this site, nothing leaves the machine.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var PER_LINE = 8; // w_rows_table's columns per block

  /* ------------------------------------------------------------ formatting (Python's) */

  // embedding.py _fmt(x, 2): two decimals, "-0.00" shown as "0.00".
  function fmt2(x) {
    return L.fixed(x, 2).replace("-0.00", "0.00");
  }

  /* ------------------------------------------------------------------ the vectors */

  // The vocabulary and W (vocab_size × d_model, float64), with the rows' lengths.
  function Embedding(model) {
    var w = model.tensor("in_embed.weight");
    this.words = model.meta.words;
    // Vocab.counts: how often each word occurs in the corpus, in vocabulary order.
    this.counts = model.meta.counts || [];
    this.index = new Map();
    for (var k = 0; k < this.words.length; k++) this.index.set(this.words[k], k);
    this.size = w.shape[0];
    this.dim = w.shape[1];
    this.rows = [];
    for (k = 0; k < this.size; k++) this.rows.push(w.data.subarray(k * this.dim, (k + 1) * this.dim));
    this.norms = this.rows.map(norm);
  }

  // np.linalg.norm of a row: the square root of numpy's pairwise sum of the squares (eight
  // partial sums for 8 <= n <= 128, then the rest).
  function norm(row) {
    var n = row.length;
    var sq = Array.from(row, function (x) {
      return x * x;
    });
    var s = 0;
    var i;
    if (n < 8) {
      for (i = 0; i < n; i++) s += sq[i];
      return Math.sqrt(s);
    }
    if (n > 128) { // not needed for the book's d_model (16); a plain sum
      for (i = 0; i < n; i++) s += sq[i];
      return Math.sqrt(s);
    }
    var r = sq.slice(0, 8);
    for (i = 8; i < n - (n % 8); i += 8) {
      for (var j = 0; j < 8; j++) r[j] += sq[i + j];
    }
    s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += sq[i];
    return Math.sqrt(s);
  }

  // word2vec.py nearest_neighbours: the k words with the highest cosine similarity to word i
  // (not i itself), highest first; equal similarities in vocabulary order (a stable argsort).
  Embedding.prototype.nearest = function (i, k) {
    var dim = this.dim;
    var ui = new Float64Array(dim);
    for (var c = 0; c < dim; c++) ui[c] = this.rows[i][c] / this.norms[i];
    var sims = new Float64Array(this.size);
    for (var j = 0; j < this.size; j++) {
      var s = 0;
      for (c = 0; c < dim; c++) s += (this.rows[j][c] / this.norms[j]) * ui[c];
      sims[j] = s;
    }
    sims[i] = -Infinity;
    var order = Array.from(sims.keys()).sort(function (a, b) {
      return sims[b] - sims[a] || a - b;
    });
    var self = this;
    return order.slice(0, Math.min(k, this.size - 1)).map(function (j) {
      return [self.words[j], sims[j]];
    });
  };

  /* ------------------------------------------------------- HTML (render_panel's) */

  // _columns: both ends, and i with its neighbours (null = "…").
  function columns(i, size) {
    var keep = [0, 1, size - 1, i - 1, i, i + 1].filter(function (j, k, all) {
      return j >= 0 && j < size && all.indexOf(j) === k;
    }).sort(function (a, b) {
      return a - b;
    });
    var cols = [];
    keep.forEach(function (j) {
      if (cols.length && cols[cols.length - 1] !== null && j - cols[cols.length - 1] > 1) {
        cols.push(null);
      }
      cols.push(j);
    });
    return cols;
  }

  function oneHotTable(emb, i) {
    var cols = columns(i, emb.size);
    var cls = function (j) {
      return '"' + (j === i ? "hl" : "") + '"';
    };
    var head = cols.map(function (j) {
      return j === null ? '<td class="gap">…</td>' : "<th class=" + cls(j) + ">" + j + "</th>";
    }).join("");
    var words = cols.map(function (j) {
      return j === null ? '<td class="gap"></td>'
        : "<th class=" + cls(j) + ">" + L.escapeHtml(emb.words[j]) + "</th>";
    }).join("");
    var vals = cols.map(function (j) {
      return j === null ? '<td class="gap">…</td>'
        : "<td class=" + cls(j) + ">" + (j === i ? 1 : 0) + "</td>";
    }).join("");
    return '<div class="emb-scroll"><table class="book-matrix">' +
      "<caption>one-hot 行（长 " + emb.size + "，只显示两端和第 " + i + " 位附近）</caption>" +
      "<tr><th>编号</th>" + head + "</tr><tr><th>词</th>" + words + "</tr>" +
      "<tr><th>值</th>" + vals + "</tr></table></div>";
  }

  function wRowsTable(emb, i) {
    var rows = [i - 1, i, i + 1].filter(function (j) {
      return j >= 0 && j < emb.size;
    });
    var blocks = "";
    for (var start = 0; start < emb.dim; start += PER_LINE) {
      var cols = [];
      for (var c = start; c < Math.min(start + PER_LINE, emb.dim); c++) cols.push(c);
      blocks += "<tr><th>行＼列</th>" + cols.map(function (col) {
        return "<th>" + col + "</th>";
      }).join("") + "</tr>";
      rows.forEach(function (j) {
        var cls = j === i ? "hl" : "";
        var cells = cols.map(function (col) {
          return '<td class="' + cls + '">' + fmt2(emb.rows[j][col]) + "</td>";
        }).join("");
        blocks += '<tr><th class="' + cls + '">' + j + "：" + L.escapeHtml(emb.words[j]) + "</th>" +
          cells + "</tr>";
      });
    }
    return '<div class="emb-scroll"><table class="book-matrix">' +
      "<caption>W 的第 " + rows[0] + "–" + rows[rows.length - 1] + " 行（W 形状 (" + emb.size +
      ", " + emb.dim + ")，保留两位小数）</caption>" + blocks + "</table></div>";
  }

  function neighboursTable(neighbours) {
    var body = neighbours.map(function (n, r) {
      return "<tr><td>" + (r + 1) + "</td><td>" + L.escapeHtml(n[0]) + "</td><td>" +
        L.fixed(n[1], 4) + "</td></tr>";
    }).join("");
    return '<table class="book-matrix"><caption>余弦相似度最高的词</caption>' +
      "<tr><th>名次</th><th>词</th><th>余弦相似度</th></tr>" + body + "</table>";
  }

  // render_panel(vocab, vectors, word, stage, k): stage 0 one-hot row; 1 + the row of W;
  // 2 + the neighbours.
  function renderPanel(emb, word, stage, k) {
    var i = emb.index.get(word);
    var w = L.escapeHtml(word);
    var parts = [
      "<p>“<b>" + w + "</b>”在词表里的编号是 <b>" + i + "</b>（词表共 " + emb.size + " 个词，" +
      "在语料里出现 " + emb.counts[i] + " 次）。它的 one-hot 向量有 " + emb.size + " 个分量，" +
      "只有第 " + i + " 位是 1，其余 " + (emb.size - 1) + " 个都是 0：</p>",
      oneHotTable(emb, i),
    ];
    if (stage >= 1) {
      parts.push("<p>one-hot 行乘以嵌入矩阵 W：第 " + i + " 位的 1 只“选中”W 的第 " + i + " 行，" +
        "其余行都乘以 0。所以结果就是 W 的第 " + i + " 行——“" + w + "”的词向量" +
        "（" + emb.dim + " 维）：</p>", wRowsTable(emb, i));
    }
    if (stage >= 2) {
      parts.push("<p>用词向量找与“" + w + "”方向最接近的词（余弦相似度）。" +
        "换成 one-hot，任何两个不同的词余弦相似度都是 0，找不出谁更近。</p>",
        neighboursTable(emb.nearest(i, k)));
    }
    return '<div class="emb-stage">' + parts.join("") + "</div>";
  }

  /* ------------------------------------------------------------------- the widget */

  function textOf(html) {
    var div = document.createElement("div");
    div.innerHTML = html;
    return div.textContent;
  }

  // The explorer's parts; null if it is not (yet) rendered as expected.
  function partsOf(w) {
    var select = w.querySelector(":scope > .widget-dropdown select");
    var picker = w.querySelector(":scope > .widget-toggle-buttons");
    var tabs = w.querySelector(":scope > .book-hidden-tabs");
    var boxes = w.querySelectorAll(":scope > .widget-accordion .widget-text");
    if (!select || !picker || !tabs || boxes.length !== 1) return null;
    var editor = boxes[0].parentElement;
    var html = editor.querySelectorAll(":scope > .widget-html .widget-html-content");
    var stageTabs = tabs.querySelectorAll(":scope > .widget-tab-contents > .book-hidden-tabs");
    var stages = picker.querySelectorAll("button").length;
    if (html.length !== 1 || !stages || stageTabs.length !== select.options.length) return null;
    var panels = [].map.call(stageTabs, function (t) {
      return [].map.call(t.querySelectorAll(
        ":scope > .widget-tab-contents > .widget-html > .widget-html-content"), function (c) {
        return c;
      });
    });
    if (!panels.every(function (p) {
      return p.length === stages;
    })) return null;
    return {
      select: select,
      picker: picker,
      tabs: tabs,
      stageTabs: stageTabs,
      box: boxes[0],
      input: boxes[0].querySelector("input"),
      editor: editor,
      message: html[0],
      panels: panels,
      stages: stages,
      presets: [].map.call(select.options, function (o) {
        return o.value;
      }),
    };
  }

  // The box that shows a typed word's panels: a copy of the explorer's panel box (same
  // classes, so it looks the same), one panel per stage, stepped here.
  function liveBox(p) {
    var box = p.tabs.cloneNode(false);
    var contents = p.tabs.querySelector(":scope > .widget-tab-contents").cloneNode(false);
    var stageTab = p.stageTabs[0].cloneNode(true);
    stageTab.classList.remove("lm-mod-hidden");
    var bar = stageTab.querySelector(":scope > .lm-TabBar");
    if (bar) bar.remove(); // hidden anyway; its ids must not repeat
    box.classList.add("book-emb-live");
    box.removeAttribute("id");
    contents.appendChild(stageTab);
    box.appendChild(contents);
    box.style.display = "none";
    p.tabs.after(box);
    var slots = stageTab.querySelectorAll(":scope > .widget-tab-contents > .widget-html");
    return {
      el: box,
      slots: [].slice.call(slots),
      contents: [].map.call(slots, function (s) {
        return s.querySelector(".widget-html-content");
      }),
    };
  }

  function activeStage(p) {
    var buttons = [].slice.call(p.picker.querySelectorAll("button"));
    var k = buttons.findIndex(function (b) {
      return b.classList.contains("mod-active");
    });
    return k < 0 ? 0 : k;
  }

  function Live(w, p, emb, k) {
    this.w = w;
    this.p = p;
    this.emb = emb;
    this.k = k;
    this.words = p.presets.slice(); // EmbeddingExplorer.words: the presets, then typed words
    this.computed = new Map(); // typed word -> its panels
    this.box = null;
    this.shown = null; // the typed word on show, or null (a preset: the real tabs)
  }

  Live.prototype.showStage = function (stage) {
    if (!this.box) return;
    this.box.slots.forEach(function (s, k) {
      s.classList.toggle("lm-mod-hidden", k !== stage);
    });
  };

  Live.prototype.showTyped = function (word) {
    var panels = this.computed.get(word);
    if (!this.box) this.box = liveBox(this.p);
    this.box.contents.forEach(function (c, s) {
      c.innerHTML = panels[s];
    });
    this.showStage(activeStage(this.p));
    this.p.tabs.style.display = "none";
    this.box.el.style.display = "";
    this.shown = word;
  };

  Live.prototype.showPresets = function () {
    if (this.box) this.box.el.style.display = "none";
    this.p.tabs.style.display = "";
    this.shown = null;
  };

  // EmbeddingExplorer._apply
  Live.prototype.apply = function (text) {
    var word = String(text).replace(L.STRIP, "");
    if (!word) throw new L.Bad("输入是空的：请输入一个词，例如 苹果");
    var emb = this.emb;
    if (!emb.index.has(word)) {
      throw new L.Bad("“" + word + "”不在词表里（词表共 " + emb.size + " 个词），可以试试：" +
        this.words.slice(0, 5).join("、"));
    }
    var select = this.p.select;
    var k = this.words.indexOf(word);
    if (k < 0) { // every panel computed before anything changes
      var panels = [];
      for (var s = 0; s < this.p.stages; s++) panels.push(renderPanel(emb, word, s, this.k));
      this.computed.set(word, panels);
      this.words.push(word);
      var option = document.createElement("option");
      option.textContent = word.replace(/ /g, "\u00a0");
      option.setAttribute("data-value", encodeURIComponent(word));
      option.value = word;
      select.appendChild(option);
      k = this.words.length - 1;
    }
    select.selectedIndex = k;
    if (k < this.p.presets.length) {
      // A preset: the list's own change handler moves the model and (jslink) the tabs.
      select.dispatchEvent(new Event("change", { bubbles: true }));
      this.showPresets();
    } else {
      this.showTyped(word);
    }
    return "正在显示“" + word + "”（编号 " + emb.index.get(word) + "）";
  };

  Live.prototype.wire = function () {
    var self = this;
    var p = this.p;
    p.select.addEventListener("change", function (e) {
      var k = p.select.selectedIndex;
      if (k >= p.presets.length) {
        e.stopPropagation(); // not an option the widget's model knows: shown here
        self.showTyped(self.words[k]);
      } else if (self.shown !== null) {
        self.showPresets();
      }
    });
    p.picker.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      var k = [].indexOf.call(p.picker.querySelectorAll("button"), b);
      if (k >= 0) self.showStage(k);
    });
    p.input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.isComposing) return;
      var done;
      try {
        done = self.apply(p.input.value);
      } catch (err) {
        if (!(err instanceof L.Bad)) throw err;
        p.message.innerHTML = L.errorHtml(err.message);
        return;
      }
      p.message.innerHTML = L.okHtml(done);
    });
    L.goLive(p.editor, p.message);
  };

  // k of the explorer: the rows of a neighbours table Python rendered.
  function neighboursShown(p) {
    var last = p.panels[0][p.stages - 1];
    var tables = last.querySelectorAll("table");
    var table = tables[tables.length - 1];
    return table ? table.querySelectorAll("tr").length - 1 : 0;
  }

  function start(w) {
    var p = partsOf(w);
    if (!p || !window.BookNN) return;
    w.dataset.bookLive = "loading";
    window.BookNN.load("word2vec").then(function (model) {
      var emb = new Embedding(model);
      var k = neighboursShown(p);
      // Every preset's panels as Python rendered them, or the editor stays as it was.
      var agree = emb.counts.length === emb.size && emb.words.length === emb.size && k > 0 &&
        p.presets.every(function (word, n) {
          return emb.index.has(word) && p.panels[n].every(function (c, s) {
            return c.textContent === textOf(renderPanel(emb, word, s, k));
          });
        });
      if (!agree) {
        w.dataset.bookLive = "off";
        if (window.console) console.warn("live-embedding: the page's panels differ; not live");
        return;
      }
      new Live(w, p, emb, k).wire();
      w.dataset.bookLive = "1";
    }, function () {
      w.dataset.bookLive = "off";
    });
  }

  // Static pages whose embedded widget state has the explorer (chapter 3) only.
  L.watch({
    "book-emb-explorer": function (w) {
      // Static page only: a box connected to a kernel is left to Python.
      var box = w.querySelector(":scope > .widget-accordion .widget-text");
      if (!w.dataset.bookLive && box && box.classList.contains("jupyter-widgets-disconnected")) {
        start(w);
      }
    },
  });
})();
