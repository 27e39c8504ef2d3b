/* js/live-vit.js: chapter 7's ViT explorer computes in the page (issue 18, chapter 7).
 * Loaded on every page of the static site (never in JupyterLab); it acts only on the ViT
 * explorer (.vit-explorer) of a static page, whose text box has no kernel (class
 * "jupyter-widgets-disconnected"). In JupyterLab the Python editor computes.
 *
 * 1. The editor's box "换图：" takes any test-set index: Enter runs the book's reference ViT
 *    (js/book-nn.js, float64, the weights of _static/models/vit.js) on that test image and
 *    fills every panel of the selected image (all four stages, every layer and head) with the
 *    same HTML as utils/widgets/vit.py's render_patches / render_tokens / render_attention /
 *    render_prediction, and the same Chinese messages as its parse_index (utils/widgets/base.py
 *    parse_int, error_html, ok_html). Bad input shows the message and keeps the last good state.
 * 2. A drawing board (static page only): an 8×8 grid painted with the mouse, a finger or a pen
 *    (pointer events; drag to paint), or with the keyboard (arrow keys, Space). Pixels are
 *    0..16 sixteenths, the scale of scikit-learn's digits; the model gets value / 16, as
 *    load_digits_split gives it. Every change recomputes the panels of the image slot "你画的图"
 *    (the selected slot the first time), as the same render functions would for that image,
 *    except that a drawing has no true digit to compare with.
 * The model file (about 0.5 MB) is loaded when the reader first comes near either control.
 * Plain JS, no libraries, nothing fetched from another machine.
 */
(function () {
  "use strict";

  var L = window.BookLive; // js/live-common.js: the helpers every live-*.js shares

  var SHOW_DIMS = 8; // render_tokens' show_dims
  var DRAWN_LABEL = "你画的图";
  var EDITOR_TITLE = "✎ 换一张测试图"; // vit.py's Editor title
  var TITLE_MORE = "，或者自己画一个数字";
  var BRUSHES = [
    { name: "黑", value: 16 },
    { name: "灰", value: 8 },
    { name: "浅灰", value: 4 },
    { name: "白", value: 0 },
  ];

  /* ------------------------------------------------------------ formatting (Python's) */

  // Python's round(x) to an integer: halves go to the even neighbour.
  function roundEven(x) {
    var f = Math.floor(x);
    var d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  function clamp01(v) {
    return Math.min(Math.max(v, 0), 1);
  }

  /* ------------------------------------------------------------------ input (Python's) */

  // utils/widgets/vit.py parse_index.
  function parseIndex(text, n) {
    var value = L.parseInt(text, "测试集编号");
    if (value < 0n || value >= BigInt(n)) {
      throw new L.Bad("编号 " + value + " 超出范围：测试集只有 " + n + " 张图（0 到 " + (n - 1) + "）");
    }
    return Number(value);
  }

  /* ------------------------------------------------------------------- the model */

  var modelPromise = null;
  var model = null;

  function loadModel() {
    if (!modelPromise) {
      if (!window.BookNN) return Promise.reject(new Error("live-vit: js/book-nn.js is missing"));
      modelPromise = window.BookNN.load("vit").then(function (m) {
        model = m;
        return m;
      }, function (err) {
        modelPromise = null; // try again next time
        throw err;
      });
    }
    return modelPromise;
  }

  // utils/models/vit.py trace: the image, its patches, the tokens (patch embedding + CLS +
  // position), every layer's attention (num_heads × seq_len × seq_len) and the probabilities.
  // pixels16: image_size² numbers 0..16; the model's input is pixels16 / 16.
  function trace(m, pixels16) {
    var cfg = m.config;
    var n = cfg.image_size;
    var p = cfg.patch_size;
    var grid = n / p;
    var image = new Float64Array(n * n);
    for (var k = 0; k < n * n; k++) image[k] = pixels16[k] / m.meta.pixel_scale;
    var patches = [];
    for (var r = 0; r < grid; r++) {
      for (var c = 0; c < grid; c++) {
        var patch = new Float64Array(p * p);
        for (var a = 0; a < p; a++) {
          for (var b = 0; b < p; b++) patch[a * p + b] = image[(r * p + a) * n + c * p + b];
        }
        patches.push(patch);
      }
    }
    var out = window.BookNN.vit(m, image);
    return {
      size: n,
      patchSize: p,
      image: image,
      patches: patches,
      tokens: out.tokens,
      attention: out.attention,
      probs: window.BookNN.softmax(out.logits),
    };
  }

  function argmax(row) {
    var best = 0;
    for (var k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    return best;
  }

  /* ------------------------------------------------------------- HTML (vit.py's) */

  function gray(v) {
    var level = roundEven(255 * (1 - clamp01(v)));
    return "rgb(" + level + "," + level + "," + level + ")";
  }

  function red(w, wMax) {
    var a = wMax <= 0 ? 0 : clamp01(w / wMax);
    return "rgba(220,38,38," + L.fixed(0.85 * a, 3) + ")";
  }

  function diverging(v, vMax) {
    var a = vMax <= 0 ? 0 : Math.min(Math.abs(v) / vMax, 1);
    return v >= 0 ? "rgba(37,99,235," + L.fixed(0.7 * a, 3) + ")"
      : "rgba(234,88,12," + L.fixed(0.7 * a, 3) + ")";
  }

  // image_table: values (height × width, row-major); weights: grid × grid or null.
  function imageTable(values, height, width, p, caption, weights) {
    var wMax = 0;
    if (weights) wMax = Math.max.apply(null, weights);
    var gridW = width / p;
    var rows = [];
    for (var r = 0; r < height; r++) {
      var cells = [];
      for (var c = 0; c < width; c++) {
        var cls = [];
        if (r % p === 0 && r) cls.push("pt");
        if (c % p === 0 && c) cls.push("pl");
        var v = values[r * width + c];
        var style;
        var text;
        if (!weights) {
          style = "background:" + gray(v);
          text = "";
        } else {
          style = "background:" + red(weights[Math.floor(r / p) * gridW + Math.floor(c / p)], wMax);
          text = v > 0.4 ? "●" : "";
        }
        cells.push('<td class="' + cls.join(" ") + '" style="' + style + '">' + text + "</td>");
      }
      rows.push("<tr>" + cells.join("") + "</tr>");
    }
    var cap = caption ? "<caption>" + L.escapeHtml(caption) + "</caption>" : "";
    return '<table class="vit-img">' + cap + rows.join("") + "</table>";
  }

  // render_patches; who: the opening sentence (a test image's index and label, or a drawing).
  function renderPatches(t, who) {
    var p = t.patchSize;
    var n = t.patches.length;
    var dim = p * p;
    var grid = t.size / p;
    var tiles = t.patches.map(function (patch, i) {
      var vec = Array.from(patch, function (v) {
        return L.fixed(v, 2);
      }).join(", ");
      return '<div class="vit-patch">块 ' + (i + 1) + imageTable(patch, p, p, p, "", null) +
        "<br>[" + vec + "]</div>";
    });
    return '<div class="vit-stage"><p>' + who + t.size + "×" + t.size + " 的图按 patch_size = " +
      p + " 切成 " + grid + "×" + grid + " = <b>" + n + " 个块</b>（红线），按行编号；每块展平成 " +
      dim + " 个数。</p>" + '<div class="vit-row">' +
      imageTable(t.image, t.size, t.size, p, "图像", null) + '<div class="vit-patches">' +
      tiles.join("") + "</div></div></div>";
  }

  function renderTokens(t) {
    var seqLen = t.tokens.length;
    var d = t.tokens[0].length;
    var vMax = 0;
    t.tokens.forEach(function (row) {
      for (var j = 0; j < SHOW_DIMS; j++) vMax = Math.max(vMax, Math.abs(row[j]));
    });
    var head = "";
    for (var j = 0; j < SHOW_DIMS; j++) head += "<th>" + (j + 1) + "</th>";
    var rows = t.tokens.map(function (row, i) {
      var cells = "";
      for (var k = 0; k < SHOW_DIMS; k++) {
        cells += '<td style="background:' + diverging(row[k], vMax) + '">' + L.fixed(row[k], 2) +
          "</td>";
      }
      return "<tr><th>" + (i === 0 ? "CLS" : "块 " + i) + "</th>" + cells + "</tr>";
    });
    return '<div class="vit-stage">' +
      "<p>卷积投影把每块变成 d_model = " + d + " 维的向量；前面再加一个 CLS token，" +
      "每个位置加上位置向量。送进编码器的序列形状 (batch, seq_len, d_model) = " +
      "<b>(1, " + seqLen + ", " + d + ")</b>。下表只显示前 " + SHOW_DIMS + " 维" +
      "（蓝 = 正，橙 = 负）。</p>" +
      '<table class="vit-tok"><tr><th>位置</th>' + head + "</tr>" + rows.join("") +
      "</table></div>";
  }

  // render_attention; head null: the mean over the heads.
  function renderAttention(t, layer, head) {
    var maps = t.attention[layer]; // [head][query] -> Float64Array(seq_len)
    var row;
    if (head === null) {
      row = new Float64Array(maps[0][0].length);
      for (var j = 0; j < row.length; j++) {
        var s = 0;
        for (var h = 0; h < maps.length; h++) s += maps[h][0][j];
        row[j] = s / maps.length;
      }
    } else {
      row = maps[head][0];
    }
    var patches = Array.from(row.slice(1));
    var grid = Math.round(Math.sqrt(patches.length));
    var wMax = Math.max.apply(null, patches);
    var who = head === null ? "所有头的平均" : "头 " + (head + 1);
    var order = patches.map(function (_, i) {
      return i;
    }).sort(function (a, b) {
      return patches[b] - patches[a] || a - b;
    }).slice(0, 3);
    var top = order.map(function (i) {
      return "块 " + (i + 1) + "（" + L.fixed(100 * patches[i], 1) + "%）";
    }).join("、");
    var cells = "";
    for (var r = 0; r < grid; r++) {
      cells += "<tr>";
      for (var c = 0; c < grid; c++) {
        var w = patches[r * grid + c];
        cells += '<td style="background:' + red(w, wMax) + '">' + L.fixed(100 * w, 1) + "</td>";
      }
      cells += "</tr>";
    }
    var overlay = imageTable(t.image, t.size, t.size, t.patchSize, "叠在图上（红色越深越受关注）",
      patches);
    return '<div class="vit-stage">' +
      "<p><b>第 " + (layer + 1) + " 层、" + who + "</b>：CLS token（第 0 个位置）的 query 与所有 key 做" +
      "缩放点积、softmax，得到它对每个位置的注意力权重（一行和为 100%）。" +
      "CLS 对自己：" + L.fixed(100 * row[0], 1) + "%；关注最多的块：" + top + "。</p>" +
      '<div class="vit-row">' + overlay +
      '<table class="vit-tok"><caption>对各块的权重（%）</caption>' + cells + "</table>" +
      "</div></div>";
  }

  // render_prediction; label null for a drawing (no true digit to compare with).
  function renderPrediction(t, label) {
    var pred = argmax(t.probs);
    var rows = Array.from(t.probs, function (p, d) {
      var cls = d === pred ? "vit-bar top" : "vit-bar";
      return '<div class="vit-bar-row"><span>' + d + "</span>" +
        '<div class="' + cls + '" style="width:' + Math.max(1, roundEven(300 * p)) + 'px"></div>' +
        "<span>" + L.fixed(100 * p, 1) + "%</span></div>";
    });
    var verdict = label === null ? "；这是你画的图，没有真实数字可以对照。"
      : "，真实 <b>" + label + "</b>：" + (pred === label ? "✓ 正确" : "✗ 错误") + "。";
    return '<div class="vit-stage">' +
      "<p>最后一层输出里 CLS 位置的向量经过 LayerNorm 和一个 Linear 层，得到 10 个分数；" +
      "softmax 后是每个数字的概率。预测 <b>" + pred + "</b>（" + L.fixed(100 * t.probs[pred], 1) +
      "%）" + verdict + "</p>" + rows.join("") + "</div>";
  }

  // VitExplorer._render: every panel of one image, keyed "patches", "tokens", "pred",
  // "attn/<layer>/<head>" (head = num_heads: the mean).
  function renderAll(t, who, label) {
    var values = {
      patches: renderPatches(t, who),
      tokens: renderTokens(t),
      pred: renderPrediction(t, label),
    };
    var layers = t.attention.length;
    var heads = t.attention[0].length;
    for (var l = 0; l < layers; l++) {
      for (var h = 0; h <= heads; h++) {
        values["attn/" + l + "/" + h] = renderAttention(t, l, h === heads ? null : h);
      }
    }
    return values;
  }

  /* ------------------------------------------------------------------- the widget */

  function contents(tab) {
    var box = tab && tab.querySelector(":scope > .widget-tab-contents");
    return box ? [].slice.call(box.children) : [];
  }

  function htmlOf(panel) {
    return panel && panel.querySelector(":scope > .widget-html-content");
  }

  // The panels of image slot s, keyed as renderAll's values.
  function slotPanels(w, s) {
    var imageTabs = w.querySelector(":scope > .book-hidden-tabs");
    var stage = contents(imageTabs)[s];
    var stages = contents(stage);
    if (stages.length !== 4) return null;
    var out = { patches: htmlOf(stages[0]), tokens: htmlOf(stages[1]), pred: htmlOf(stages[3]) };
    contents(stages[2]).forEach(function (layerTab, l) {
      contents(layerTab).forEach(function (panel, h) {
        out["attn/" + l + "/" + h] = htmlOf(panel);
      });
    });
    return out;
  }

  function pickerButtons(w) {
    var picker = w.querySelector(":scope > .widget-toggle-buttons");
    return picker ? [].slice.call(picker.querySelectorAll("button")) : [];
  }

  function selectedSlot(w) {
    var k = pickerButtons(w).findIndex(function (b) {
      return b.classList.contains("mod-active");
    });
    return k < 0 ? 0 : k;
  }

  function setLabel(button, text) {
    var node = [].slice.call(button.childNodes).reverse().find(function (c) {
      return c.nodeType === 3;
    });
    if (node) node.nodeValue = text;
    else button.appendChild(document.createTextNode(text));
    if (button.title) button.title = text;
  }

  function Live(w, box) {
    this.w = w;
    this.input = box.querySelector("input");
    var editor = box.parentElement;
    var html = editor.querySelectorAll(":scope > .widget-html .widget-html-content");
    this.message = html[0];
    this.drawnSlot = null; // the slot that shows the drawing, if any
    this.lastTrace = null; // the last image computed (the test compares it with PyTorch)
    this.queue = Promise.resolve();
    L.goLive(editor, this.message);
    var self = this;
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.isComposing) self.submit(self.input.value);
    });
    this.input.addEventListener("focus", function () {
      loadModel().catch(function () {});
    });
    // The drawing board goes into the editor, under the message (closed, the widget keeps
    // its height); the editor's title says it is there.
    this.board = new Board(this);
    editor.appendChild(this.board.node);
    var title = w.querySelector(":scope > .widget-accordion .jupyter-widget-Collapse-header span");
    if (title && title.textContent === EDITOR_TITLE) title.textContent = EDITOR_TITLE + TITLE_MORE;
  }

  Live.prototype.fill = function (s, values) {
    var panels = slotPanels(this.w, s);
    Object.keys(values).forEach(function (key) {
      if (panels[key]) panels[key].innerHTML = values[key];
    });
  };

  // The editor's Enter: VitExplorer._apply, in the page.
  Live.prototype.submit = function (text) {
    var self = this;
    var n;
    this.queue = this.queue.then(function () {
      return loadModel();
    }).then(function (m) {
      n = m.meta.y_test.length;
      var idx;
      try {
        idx = parseIndex(text, n);
      } catch (err) {
        if (!(err instanceof L.Bad)) throw err;
        self.message.innerHTML = L.errorHtml(err.message);
        return;
      }
      var label = m.meta.y_test[idx];
      var size = m.config.image_size;
      var pixels = m.meta.x_test_16.slice(idx * size * size, (idx + 1) * size * size);
      var who = "测试集第 " + idx + " 张图，真实数字 <b>" + label + "</b>。";
      var t = trace(m, pixels);
      var values = renderAll(t, who, label); // computed before it is shown
      var slot = selectedSlot(self.w);
      self.fill(slot, values);
      self.lastTrace = t;
      if (self.drawnSlot === slot) self.drawnSlot = null;
      setLabel(pickerButtons(self.w)[slot], "#" + idx + "（" + label + "）");
      self.message.innerHTML = L.okHtml("已换成测试集第 " + idx + " 张图（真实数字 " + label +
        "），全部步骤已重算");
    }).catch(function (err) {
      self.message.innerHTML = L.errorHtml("没能载入模型文件（" + String(err && err.message) + "）");
    });
  };

  // The drawing, in the slot that shows it (the selected slot the first time); returns the
  // trace for the board's message.
  Live.prototype.showDrawing = function (pixels) {
    var t = trace(model, pixels);
    var values = renderAll(t, DRAWN_LABEL + "。", null);
    var slot = this.drawnSlot === null ? selectedSlot(this.w) : this.drawnSlot;
    var buttons = pickerButtons(this.w);
    this.fill(slot, values);
    this.lastTrace = t;
    if (this.drawnSlot !== slot) {
      this.drawnSlot = slot;
      setLabel(buttons[slot], DRAWN_LABEL);
    }
    if (selectedSlot(this.w) !== slot) buttons[slot].click();
    return t;
  };

  // The pixels (0..16) of the selected slot's image, or null if it is not known here.
  Live.prototype.selectedPixels = function (board) {
    var slot = selectedSlot(this.w);
    if (slot === this.drawnSlot) return board.pixels.slice();
    var button = pickerButtons(this.w)[slot];
    var m = /#(\d+)/.exec(button ? button.textContent : "");
    if (!m || !model) return null;
    var idx = Number(m[1]);
    var size = model.config.image_size;
    return model.meta.x_test_16.slice(idx * size * size, (idx + 1) * size * size);
  };

  /* ------------------------------------------------------------- the drawing board */

  var STYLE = "\n.vit-draw { margin: 10px 0 6px; padding: 8px 10px; border: 1px solid #cbd5e1;" +
    " border-radius: 6px; background: #f8fafc; color: #1f2937; }\n" +
    ".vit-draw-title { font-weight: bold; margin-bottom: 6px; }\n" +
    ".vit-draw-row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }\n" +
    ".vit-draw-grid { display: grid; grid-template-columns: repeat(8, 32px);" +
    " grid-template-rows: repeat(8, 32px); border: 2px solid #475569; touch-action: none;" +
    " user-select: none; -webkit-user-select: none; cursor: crosshair; background: #fff;" +
    " width: max-content; }\n" +
    ".vit-draw-grid:focus { outline: none; }\n" +
    ".vit-draw-grid:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }\n" +
    ".vit-draw-cell { box-shadow: inset 0 0 0 0.5px #cbd5e1; }\n" +
    ".vit-draw-cell.pt { border-top: 2px solid #c0392b; }\n" +
    ".vit-draw-cell.pl { border-left: 2px solid #c0392b; }\n" +
    ".vit-draw-grid:focus-visible .vit-draw-cell.cur { box-shadow: inset 0 0 0 3px #f59e0b; }\n" +
    ".vit-draw-side { flex: 1 1 16em; min-width: 0; }\n" +
    ".vit-draw-side p { margin: 6px 0; }\n" +
    ".vit-draw-tools { display: flex; flex-wrap: wrap; gap: 6px; align-items: center;" +
    " margin-bottom: 6px; }\n" +
    ".vit-draw-tools .jupyter-button { width: auto; height: auto; min-height: 28px; }\n" +
    ".vit-draw-msg { min-height: 1.5em; }\n";

  function addStyle() {
    if (document.getElementById("vit-draw-style")) return;
    var tag = document.createElement("style");
    tag.id = "vit-draw-style";
    tag.textContent = STYLE;
    document.head.appendChild(tag);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function Board(live) {
    addStyle();
    this.live = live;
    this.size = 8;
    this.patch = 2;
    this.pixels = new Array(64).fill(0);
    this.brush = 16;
    this.cursor = 0;
    this.stroke = null; // {pointer, value, last}
    this.dirty = false;
    this.frame = 0;
    var self = this;

    var node = el("div", "vit-draw");
    node.appendChild(el("div", "vit-draw-title", "自己画一个数字" + L.LIVE));
    var row = el("div", "vit-draw-row");
    var grid = el("div", "vit-draw-grid");
    grid.tabIndex = 0;
    grid.setAttribute("role", "application");
    grid.setAttribute("aria-label", "8×8 的画板：方向键移动，空格键画上或去掉，Delete 键去掉");
    this.cells = [];
    for (var k = 0; k < 64; k++) {
      var cell = el("div", "vit-draw-cell");
      var r = Math.floor(k / 8);
      var c = k % 8;
      if (r % this.patch === 0 && r) cell.classList.add("pt");
      if (c % this.patch === 0 && c) cell.classList.add("pl");
      cell.dataset.k = String(k);
      grid.appendChild(cell);
      this.cells.push(cell);
    }
    this.grid = grid;
    row.appendChild(grid);

    var side = el("div", "vit-draw-side");
    var tools = el("div", "vit-draw-tools");
    tools.appendChild(el("span", "", "笔："));
    this.brushButtons = BRUSHES.map(function (b) {
      var button = el("button", "jupyter-button widget-toggle-button",
        b.name + "（" + b.value + "）");
      button.type = "button";
      button.dataset.value = String(b.value);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        self.setBrush(b.value);
      });
      tools.appendChild(button);
      return button;
    });
    side.appendChild(tools);
    var actions = el("div", "vit-draw-tools");
    var clear = el("button", "jupyter-button vit-draw-clear", "清除");
    clear.type = "button";
    clear.addEventListener("click", function () {
      self.clear();
    });
    var copy = el("button", "jupyter-button vit-draw-copy", "拿选中的图来改");
    copy.type = "button";
    copy.addEventListener("click", function () {
      self.copySelected();
    });
    actions.appendChild(clear);
    actions.appendChild(copy);
    side.appendChild(actions);
    side.appendChild(el("p", "vit-draw-hint",
      "在格子上按住鼠标（或用手指）拖动来画；从已经是笔的颜色的格子开始拖，就是把它们改回白色。" +
      "像素值和训练数据一样是 0 到 16（模型看到的是除以 16 后的 0 到 1）。" +
      "每画一笔，上面“图像：”里的“" + DRAWN_LABEL + "”（第一次是选中的那张）换成你画的图，" +
      "全部步骤在网页里重新计算。键盘：Tab 到画板上，方向键移动，空格键画上或去掉。"));
    this.message = el("div", "vit-draw-msg");
    this.message.setAttribute("aria-live", "polite");
    side.appendChild(this.message);
    row.appendChild(side);
    node.appendChild(row);
    this.node = node;
    this.setBrush(16);
    this.paintAll();

    var warm = function () {
      loadModel().catch(function () {});
    };
    node.addEventListener("pointerenter", warm);
    node.addEventListener("focusin", warm);
    grid.addEventListener("pointerdown", function (e) {
      self.down(e);
    });
    grid.addEventListener("pointermove", function (e) {
      self.move(e);
    });
    grid.addEventListener("pointerup", function (e) {
      self.up(e);
    });
    grid.addEventListener("pointercancel", function (e) {
      self.up(e);
    });
    grid.addEventListener("lostpointercapture", function (e) {
      self.up(e);
    });
    grid.addEventListener("keydown", function (e) {
      self.key(e);
    });
  }

  Board.prototype.setBrush = function (value) {
    this.brush = value;
    this.brushButtons.forEach(function (b) {
      var on = Number(b.dataset.value) === value;
      b.classList.toggle("mod-active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  };

  Board.prototype.paintCell = function (k) {
    var v = this.pixels[k];
    var cell = this.cells[k];
    cell.style.background = gray(v / 16);
    cell.dataset.v = String(v);
    cell.classList.toggle("cur", k === this.cursor);
  };

  Board.prototype.paintAll = function () {
    for (var k = 0; k < 64; k++) this.paintCell(k);
  };

  Board.prototype.set = function (k, v) {
    if (this.pixels[k] === v) return;
    this.pixels[k] = v;
    this.paintCell(k);
    this.dirty = true;
  };

  Board.prototype.cellAt = function (e) {
    var first = this.cells[0].getBoundingClientRect();
    var last = this.cells[63].getBoundingClientRect();
    var x = (e.clientX - first.left) / (last.right - first.left);
    var y = (e.clientY - first.top) / (last.bottom - first.top);
    if (!(x >= 0 && x < 1 && y >= 0 && y < 1)) return null;
    return Math.floor(y * 8) * 8 + Math.floor(x * 8);
  };

  // Every cell on the segment from cell a to cell b (a fast drag skips no cell).
  Board.prototype.line = function (a, b) {
    var r0 = Math.floor(a / 8);
    var c0 = a % 8;
    var r1 = Math.floor(b / 8);
    var c1 = b % 8;
    var steps = Math.max(Math.abs(r1 - r0), Math.abs(c1 - c0));
    var out = [];
    for (var s = 1; s <= steps; s++) {
      out.push(Math.round(r0 + ((r1 - r0) * s) / steps) * 8 +
        Math.round(c0 + ((c1 - c0) * s) / steps));
    }
    return out;
  };

  Board.prototype.down = function (e) {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    var k = this.cellAt(e);
    if (k === null) return;
    e.preventDefault();
    try {
      this.grid.setPointerCapture(e.pointerId);
    } catch (err) { /* a synthetic pointer */ }
    var value = this.brush && this.pixels[k] === this.brush ? 0 : this.brush;
    this.stroke = { pointer: e.pointerId, value: value, last: k };
    this.moveCursor(k);
    this.set(k, value);
    this.update(true);
  };

  Board.prototype.move = function (e) {
    if (!this.stroke || e.pointerId !== this.stroke.pointer) return;
    var k = this.cellAt(e);
    if (k === null) return;
    var self = this;
    this.line(this.stroke.last, k).forEach(function (j) {
      self.set(j, self.stroke.value);
    });
    this.stroke.last = k;
    this.moveCursor(k);
    this.update(false);
  };

  Board.prototype.up = function (e) {
    if (!this.stroke || e.pointerId !== this.stroke.pointer) return;
    this.stroke = null;
    this.update(true);
  };

  Board.prototype.moveCursor = function (k) {
    var old = this.cursor;
    this.cursor = k;
    this.paintCell(old);
    this.paintCell(k);
  };

  Board.prototype.key = function (e) {
    var k = this.cursor;
    var r = Math.floor(k / 8);
    var c = k % 8;
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      r = Math.min(7, Math.max(0, r + moves[e.key][0]));
      c = Math.min(7, Math.max(0, c + moves[e.key][1]));
      this.moveCursor(r * 8 + c);
    } else if (e.key === " " || e.key === "Enter") {
      this.set(k, this.brush && this.pixels[k] === this.brush ? 0 : this.brush);
      this.update(true);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      this.set(k, 0);
      this.update(true);
    } else {
      return;
    }
    e.preventDefault();
  };

  Board.prototype.clear = function () {
    for (var k = 0; k < 64; k++) this.set(k, 0);
    if (this.live.drawnSlot !== null) {
      this.update(true); // the drawing's panels show the empty board too
    } else {
      this.dirty = false;
      this.message.innerHTML = L.okHtml("画板已清空");
    }
  };

  Board.prototype.copySelected = function () {
    var self = this;
    loadModel().then(function () {
      var pixels = self.live.selectedPixels(self);
      if (!pixels) return;
      for (var k = 0; k < 64; k++) self.set(k, pixels[k]);
      self.dirty = false; // the same image as the slot already shows
      self.message.innerHTML = L.okHtml("已把选中的图复制到画板上：接着画，上面的图就换成改过的图");
    }).catch(function () {});
  };

  // Recompute now (a stroke's start and end, a key) or at the next frame (while dragging).
  Board.prototype.update = function (now) {
    var self = this;
    if (!this.dirty) return;
    if (!model) {
      loadModel().then(function () {
        self.update(true);
      }, function (err) {
        self.message.innerHTML = L.errorHtml("没能载入模型文件（" + String(err && err.message) + "）");
      });
      return;
    }
    if (now) {
      if (this.frame) cancelAnimationFrame(this.frame);
      this.frame = 0;
      this.flush();
    } else if (!this.frame) {
      this.frame = requestAnimationFrame(function () {
        self.frame = 0;
        self.flush();
      });
    }
  };

  Board.prototype.flush = function () {
    if (!this.dirty) return;
    this.dirty = false;
    var t = this.live.showDrawing(this.pixels.slice());
    var pred = argmax(t.probs);
    this.message.innerHTML = L.okHtml("模型认为你画的是 " + pred + "（" + L.fixed(100 * t.probs[pred], 1) +
      "%）；上面“" + DRAWN_LABEL + "”的全部步骤已重算");
  };

  /* ------------------------------------------------------------------- wiring */

  function wire(w) {
    if (w.dataset.bookLive) return;
    var boxes = w.querySelectorAll(":scope > .widget-accordion .widget-text");
    if (boxes.length !== 1) return;
    var editor = boxes[0].parentElement;
    if (editor.querySelectorAll(":scope > .widget-html .widget-html-content").length !== 1) return;
    if (pickerButtons(w).length < 1 || !slotPanels(w, 0)) return;
    // Static page only: a box connected to a kernel is left to Python.
    if (!boxes[0].classList.contains("jupyter-widgets-disconnected")) return;
    w.dataset.bookLive = "1";
    w.bookLive = new Live(w, boxes[0]);
  }

  // Static pages whose embedded widget state has the explorer (chapter 7) only.
  L.watch({ "vit-explorer": wire });
})();
