/* js/book-nn.js: the book's reference models, run in the page (issue 18, "Live on the static page").
 *
 * On the static site there is no kernel; the chapters' editors (js/live-*.js) call this file
 * to run the same trained models the chapters load with utils.models.reference.load_reference.
 * The weights come from _static/models/<name>.js (written by scripts/export_web_models.py),
 * loaded on first use with a <script> tag: it works from file:// and over HTTP, and nothing is
 * fetched from another machine. Everything is computed in float64 from the exact saved
 * weights, the same operations in the same order as utils/nn (the numbers equal PyTorch's
 * float64 results to about 1e-12; tests/test_web_models.py compares them in Chromium).
 *
 * A sequence is an array of rows, one Float64Array per position (seq_len × d_model); attention
 * weights are [layer][head] -> rows (T_q × T_k). Plain JS, no libraries.
 *
 *   BookNN.load(name)                      -> Promise of a model: {name, config, meta, tensor(key)}
 *   BookNN.charLM(model, ids)              -> {logits: rows, attention}
 *   BookNN.sasrec(model, items)            -> {scores: rows, attention}
 *   BookNN.numerals.encode(model, src)     -> {memory: rows, attention}
 *   BookNN.numerals.decode(model, tgt, memory, src) -> {logits, selfAttention, crossAttention}
 *   BookNN.vit(model, pixels)              -> {tokens, logits, attention}
 *   BookNN.softmax(row), BookNN.erf(x)
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var MODELS = script && script.src ? new URL("../models/", script.src).href : "_static/models/";
  var EPS = 1e-5; // nn.LayerNorm's default

  /* ------------------------------------------------------------------ the weights */

  function decode(text) {
    var bin = atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    return new DataView(bytes.buffer);
  }

  function Model(raw) {
    this.name = raw.name;
    this.config = raw.config;
    this.meta = raw.meta;
    this._index = raw.tensors;
    this._view = decode(raw.data);
    this._cache = {};
  }

  // tensor(key) -> {shape, data: Float64Array} (row-major, as PyTorch's state dict holds it).
  Model.prototype.tensor = function (key) {
    if (this._cache[key]) return this._cache[key];
    var entry = this._index[key];
    if (!entry) throw new Error("BookNN: " + this.name + " has no tensor " + key);
    var shape = entry[0];
    var offset = entry[1];
    var n = shape.reduce(function (a, b) {
      return a * b;
    }, 1);
    var data = new Float64Array(n);
    var f4 = entry[2] === "f4";
    for (var k = 0; k < n; k++) {
      data[k] = f4 ? this._view.getFloat32(offset + 4 * k, true)
        : this._view.getFloat64(offset + 8 * k, true);
    }
    return (this._cache[key] = { shape: shape, data: data });
  };

  var loading = {};

  // Loads _static/models/<name>.js once (a <script> tag) and resolves with the model.
  function load(name) {
    if (loading[name]) return loading[name];
    loading[name] = new Promise(function (resolve, reject) {
      var store = window.BookModels || {};
      if (store[name]) return resolve(new Model(store[name]));
      var tag = document.createElement("script");
      tag.src = MODELS + encodeURIComponent(name) + ".js";
      tag.async = true;
      tag.onload = function () {
        var raw = (window.BookModels || {})[name];
        if (raw) resolve(new Model(raw));
        else reject(new Error("BookNN: " + tag.src + " did not define the model " + name));
      };
      tag.onerror = function () {
        delete loading[name];
        reject(new Error("BookNN: could not load " + tag.src));
      };
      document.head.appendChild(tag);
    });
    return loading[name];
  }

  /* ------------------------------------------------------------------ the operations */

  // x rows (n × in) -> rows (n × out): x W^T + b, as nn.Linear (W is (out, in)).
  function linear(x, W, b) {
    var out = W.shape[0];
    var inp = W.shape[1];
    var w = W.data;
    return x.map(function (row) {
      var y = new Float64Array(out);
      for (var o = 0; o < out; o++) {
        var s = 0;
        for (var i = 0; i < inp; i++) s += row[i] * w[o * inp + i];
        y[o] = b ? s + b.data[o] : s;
      }
      return y;
    });
  }

  function layerNorm(x, g, b) {
    return x.map(function (row) {
      var n = row.length;
      var mean = 0;
      for (var i = 0; i < n; i++) mean += row[i];
      mean /= n;
      var v = 0;
      for (i = 0; i < n; i++) v += (row[i] - mean) * (row[i] - mean);
      var inv = 1 / Math.sqrt(v / n + EPS);
      var y = new Float64Array(n);
      for (i = 0; i < n; i++) y[i] = (row[i] - mean) * inv * g.data[i] + b.data[i];
      return y;
    });
  }

  function add(x, y) {
    return x.map(function (row, t) {
      var z = new Float64Array(row.length);
      for (var i = 0; i < row.length; i++) z[i] = row[i] + y[t][i];
      return z;
    });
  }

  // A softmax over the allowed entries (allowed[j] false -> weight 0, as -inf in PyTorch).
  function softmax(row, allowed) {
    var max = -Infinity;
    for (var j = 0; j < row.length; j++) {
      if ((!allowed || allowed[j]) && row[j] > max) max = row[j];
    }
    var out = new Float64Array(row.length);
    var sum = 0;
    for (j = 0; j < row.length; j++) {
      out[j] = !allowed || allowed[j] ? Math.exp(row[j] - max) : 0;
      sum += out[j];
    }
    for (j = 0; j < row.length; j++) out[j] /= sum;
    return out;
  }

  // erf(x) to about 1e-15: its Taylor series for |x| < 2.5, else erfc's continued fraction.
  function erf(x) {
    var ax = Math.abs(x);
    if (ax < 2.5) {
      var term = x;
      var sum = x;
      var x2 = x * x;
      for (var n = 1; n < 200; n++) {
        term *= -x2 / n;
        var add_ = term / (2 * n + 1);
        sum += add_;
        if (Math.abs(add_) < 1e-17 * Math.abs(sum)) break;
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    }
    var f = ax;
    for (var k = 160; k >= 1; k--) f = ax + (k / 2) / f;
    var erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
    return x > 0 ? 1 - erfc : erfc - 1;
  }

  var ACT = {
    relu: function (v) {
      return v > 0 ? v : 0;
    },
    gelu: function (v) {
      return 0.5 * v * (1 + erf(v / Math.SQRT2)); // F.gelu, approximate="none"
    },
  };

  // utils.nn.attention.MultiHeadAttention: project, split into heads, scaled dot-product
  // attention per head (allowed(i, j): may query i attend to key j), merge, W_O.
  // kv null: self-attention (keys and values from the query's sequence).
  function attention(m, prefix, query, kv, numHeads, allowed) {
    kv = kv || query;
    var p = prefix + ".";
    var q = linear(query, m.tensor(p + "w_q.weight"), m.tensor(p + "w_q.bias"));
    var k = linear(kv, m.tensor(p + "w_k.weight"), m.tensor(p + "w_k.bias"));
    var v = linear(kv, m.tensor(p + "w_v.weight"), m.tensor(p + "w_v.bias"));
    var d = q[0].length;
    var dk = d / numHeads;
    var scale = Math.sqrt(dk);
    var merged = query.map(function () {
      return new Float64Array(d);
    });
    var weights = [];
    for (var h = 0; h < numHeads; h++) {
      var off = h * dk;
      var rows = [];
      for (var i = 0; i < q.length; i++) {
        var scores = new Float64Array(k.length);
        var ok = new Array(k.length);
        for (var j = 0; j < k.length; j++) {
          var s = 0;
          for (var c = 0; c < dk; c++) s += q[i][off + c] * k[j][off + c];
          scores[j] = s / scale;
          ok[j] = allowed ? allowed(i, j) : true;
        }
        var w = softmax(scores, ok);
        rows.push(w);
        for (c = 0; c < dk; c++) {
          var o = 0;
          for (j = 0; j < k.length; j++) o += w[j] * v[j][off + c];
          merged[i][off + c] = o;
        }
      }
      weights.push(rows);
    }
    return {
      out: linear(merged, m.tensor(p + "w_o.weight"), m.tensor(p + "w_o.bias")),
      weights: weights,
    };
  }

  function feedForward(m, prefix, x, activation) {
    var p = prefix + ".ff.";
    var f = ACT[activation];
    var hidden = linear(x, m.tensor(p + "linear1.weight"), m.tensor(p + "linear1.bias"));
    hidden = hidden.map(function (row) {
      return row.map(f);
    });
    return linear(hidden, m.tensor(p + "linear2.weight"), m.tensor(p + "linear2.bias"));
  }

  function norm(m, key, x) {
    return layerNorm(x, m.tensor(key + ".weight"), m.tensor(key + ".bias"));
  }

  // utils.nn.transformer.EncoderLayer (pre- or post-norm).
  function encoderLayer(m, prefix, x, cfg, allowed) {
    var a;
    if (cfg.norm_first) {
      a = attention(m, prefix + ".self_attn", norm(m, prefix + ".norm1", x), null, cfg.num_heads,
        allowed);
      a.out = add(x, a.out);
      x = add(a.out, feedForward(m, prefix, norm(m, prefix + ".norm2", a.out), cfg.activation));
    } else {
      a = attention(m, prefix + ".self_attn", x, null, cfg.num_heads, allowed);
      var h = norm(m, prefix + ".norm1", add(x, a.out));
      x = norm(m, prefix + ".norm2", add(h, feedForward(m, prefix, h, cfg.activation)));
    }
    return { x: x, weights: a.weights };
  }

  // utils.nn.transformer.Encoder: the layers, then the final LayerNorm if the model has one.
  function encoder(m, prefix, x, cfg, allowed) {
    var maps = [];
    for (var l = 0; l < cfg.num_layers; l++) {
      var r = encoderLayer(m, prefix + ".layers." + l, x, cfg, allowed);
      x = r.x;
      maps.push(r.weights);
    }
    if (m._index[prefix + ".norm.weight"]) x = norm(m, prefix + ".norm", x);
    return { x: x, attention: maps };
  }

  function embed(m, key, ids, scale) {
    var E = m.tensor(key);
    var d = E.shape[1];
    return ids.map(function (id) {
      if (!(Number.isInteger(id) && id >= 0 && id < E.shape[0])) {
        throw new RangeError("BookNN: id " + id + " is not in 0.." + (E.shape[0] - 1));
      }
      var row = new Float64Array(d);
      for (var i = 0; i < d; i++) row[i] = E.data[id * d + i] * scale;
      return row;
    });
  }

  // x + table[:seq_len] (a learned position embedding or the sinusoidal table).
  function addRows(m, key, x) {
    var P = m.tensor(key);
    var d = P.shape[1];
    if (x.length > P.shape[0]) {
      throw new RangeError("BookNN: " + x.length + " positions, the model has " + P.shape[0]);
    }
    return x.map(function (row, t) {
      var y = new Float64Array(d);
      for (var i = 0; i < d; i++) y[i] = row[i] + P.data[t * d + i];
      return y;
    });
  }

  function causal(i, j) {
    return j <= i;
  }

  function withLayers(cfg, n) {
    var c = Object.assign({}, cfg);
    c.num_layers = n;
    return c;
  }

  /* ------------------------------------------------------------------ the models */

  // utils.models.char_lm.CharLM: TokenEmbedding (× √d_model) + learned positions, pre-norm
  // causal blocks with a final LayerNorm, a Linear head.
  function charLM(m, ids) {
    var cfg = m.config;
    var x = addRows(m, "pos.weight", embed(m, "embed.embedding.weight", ids, Math.sqrt(cfg.d_model)));
    var r = encoder(m, "blocks", x, cfg, causal);
    return { logits: linear(r.x, m.tensor("head.weight"), m.tensor("head.bias")),
      attention: r.attention };
  }

  // utils.models.recommender.SASRec: item embedding + learned positions, causal pre-norm
  // encoder, scores h_t · e_i for every item i.
  function sasrec(m, items) {
    var cfg = m.config;
    var x = addRows(m, "pos.weight", embed(m, "item_embed.weight", items, 1));
    var r = encoder(m, "encoder", x, cfg, causal);
    return { scores: linear(r.x, m.tensor("item_embed.weight"), null), attention: r.attention };
  }

  // utils.nn.transformer.Transformer (the numerals model): encode and decode.
  var numerals = {
    encode: function (m, src) {
      var cfg = m.config;
      var pad = cfg.pad_id;
      var x = addRows(m, "pos.pe",
        embed(m, "src_embed.embedding.weight", src, Math.sqrt(cfg.d_model)));
      var r = encoder(m, "encoder", x, withLayers(cfg, cfg.num_encoder_layers), function (i, j) {
        return src[j] !== pad; // padding_mask: no query looks at a padded source position
      });
      return { memory: r.x, attention: r.attention };
    },
    decode: function (m, tgt, memory, src) {
      var cfg = m.config;
      var pad = cfg.pad_id;
      var y = addRows(m, "pos.pe",
        embed(m, "tgt_embed.embedding.weight", tgt, Math.sqrt(cfg.d_model)));
      var selfMaps = [];
      var crossMaps = [];
      var own = function (i, j) {
        return j <= i && tgt[j] !== pad; // decoder_mask: causal and not padding
      };
      var source = function (i, j) {
        return src[j] !== pad;
      };
      for (var l = 0; l < cfg.num_decoder_layers; l++) {
        var p = "decoder.layers." + l;
        var a;
        var c;
        if (cfg.norm_first) {
          a = attention(m, p + ".self_attn", norm(m, p + ".norm1", y), null, cfg.num_heads, own);
          y = add(y, a.out);
          c = attention(m, p + ".cross_attn", norm(m, p + ".norm2", y), memory, cfg.num_heads,
            source);
          y = add(y, c.out);
          y = add(y, feedForward(m, p, norm(m, p + ".norm3", y), cfg.activation));
        } else {
          a = attention(m, p + ".self_attn", y, null, cfg.num_heads, own);
          y = norm(m, p + ".norm1", add(y, a.out));
          c = attention(m, p + ".cross_attn", y, memory, cfg.num_heads, source);
          y = norm(m, p + ".norm2", add(y, c.out));
          y = norm(m, p + ".norm3", add(y, feedForward(m, p, y, cfg.activation)));
        }
        selfMaps.push(a.weights);
        crossMaps.push(c.weights);
      }
      if (m._index["decoder.norm.weight"]) y = norm(m, "decoder.norm", y);
      return {
        logits: linear(y, m.tensor("generator.weight"), m.tensor("generator.bias")),
        selfAttention: selfMaps,
        crossAttention: crossMaps,
      };
    },
  };

  // utils.models.vit.ViT: 2×2 patches (a stride-2 convolution), CLS first, learned positions,
  // pre-norm GELU encoder with a final LayerNorm, the head on the CLS token.
  // pixels: image_size² numbers, row-major, the model's input scale (0..1).
  function vit(m, pixels) {
    var cfg = m.config;
    var n = cfg.image_size;
    var p = cfg.patch_size;
    var grid = n / p;
    if (pixels.length !== n * n) {
      throw new RangeError("BookNN: an image has " + n * n + " pixels, got " + pixels.length);
    }
    var W = m.tensor("patch_embed.proj.weight"); // (d_model, 1, p, p)
    var B = m.tensor("patch_embed.proj.bias");
    var d = cfg.d_model;
    var tokens = [Float64Array.from(m.tensor("cls_token").data)];
    for (var py = 0; py < grid; py++) {
      for (var px = 0; px < grid; px++) {
        var row = new Float64Array(d);
        for (var c = 0; c < d; c++) {
          var s = 0;
          for (var ky = 0; ky < p; ky++) {
            for (var kx = 0; kx < p; kx++) {
              s += W.data[(c * p + ky) * p + kx] * pixels[(py * p + ky) * n + px * p + kx];
            }
          }
          row[c] = s + B.data[c];
        }
        tokens.push(row);
      }
    }
    if (cfg.position === "learned") tokens = addRows(m, "pos.weight", tokens);
    else if (cfg.position === "fixed") tokens = addRows(m, "pos.pe", tokens);
    var r = encoder(m, "encoder", tokens, cfg, null);
    return {
      tokens: tokens,
      logits: linear([r.x[0]], m.tensor("head.weight"), m.tensor("head.bias"))[0],
      attention: r.attention,
    };
  }

  window.BookNN = {
    load: load,
    charLM: charLM,
    sasrec: sasrec,
    numerals: numerals,
    vit: vit,
    softmax: function (row) {
      return softmax(row, null);
    },
    erf: erf,
  };
})();
