/* js/reading.js: the static site as readers use it (issue 19); see css/reading.css.
 * Loaded on every page of the static site (never in JupyterLab). Plain JS, no libraries.
 *
 * 1. Controls that need a kernel: on the static page (widget state embedded, no kernel) a
 *    widget's text boxes do nothing, so they are disabled, with a note saying where they work
 *    (not those inside a .book-live box: their editor computes in the page).
 *    A widget the page connects to a kernel later (no "jupyter-widgets-disconnected" class)
 *    is left alone, and re-enabled if it was disabled here.
 * 2. Toggle buttons say which one is selected (aria-pressed), not only by colour.
 * 2b. Chapter 7's layer and head pickers are disabled, with a note why, at the steps where
 *    they change nothing.
 * 3. Formulas and tables wider than the column scroll in their own box and can be reached
 *    with the keyboard (tabindex) when they do.
 * 3b. Text on a widget's coloured cells (heat maps) is dark or white, whichever reads better
 *    on that cell's colour (the widgets pick one colour for every shade).
 * 4. Figures shown smaller than their natural size open full size in a lightbox on click,
 *    tap, Enter or Space; Esc, the close button or a click beside the figure closes it.
 */
(function () {
  "use strict";

  var NOTE = "在 JupyterLab 里运行本章才能输入";
  var doc = document.documentElement;

  function isStatic() {
    return !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  }

  /* ---------------------------------------------------------- 1. kernel-only controls */

  var KERNEL_ONLY = ".widget-text, .widget-textarea, .jupyter-widget-text, .widget-button";
  var noteCount = 0;

  function fields(box) {
    return box.querySelectorAll("input, textarea, button");
  }

  function disable(box) {
    box.classList.add("book-needs-kernel");
    fields(box).forEach(function (f) {
      if (f.dataset.bookDisabled) return;
      f.dataset.bookDisabled = f.disabled ? "was" : "yes";
      f.disabled = true;
      if ("placeholder" in f) {
        f.dataset.bookPlaceholder = f.getAttribute("placeholder") || "";
        f.setAttribute("placeholder", "（静态网页上不能输入）");
      }
    });
    // One note per group of boxes: after the last kernel-only box in the same parent.
    var parent = box.parentElement;
    if (!parent) return;
    var note = parent.querySelector(":scope > .book-needs-kernel-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "book-needs-kernel-note";
      note.id = "book-needs-kernel-" + ++noteCount;
      note.textContent = NOTE;
    }
    var last = box;
    while (last.nextElementSibling && last.nextElementSibling.matches(KERNEL_ONLY)) {
      last = last.nextElementSibling;
    }
    if (last.nextElementSibling !== note) last.after(note);
    fields(box).forEach(function (f) {
      f.setAttribute("aria-describedby", note.id);
    });
  }

  function enable(box) {
    box.classList.remove("book-needs-kernel");
    fields(box).forEach(function (f) {
      if (!f.dataset.bookDisabled) return;
      f.disabled = f.dataset.bookDisabled === "was";
      if ("bookPlaceholder" in f.dataset) f.setAttribute("placeholder", f.dataset.bookPlaceholder);
      f.removeAttribute("aria-describedby");
      delete f.dataset.bookDisabled;
      delete f.dataset.bookPlaceholder;
    });
    var parent = box.parentElement;
    if (parent && !parent.querySelector(":scope > .book-needs-kernel")) {
      var note = parent.querySelector(":scope > .book-needs-kernel-note");
      if (note) note.remove();
    }
  }

  function checkControls(root) {
    var stat = isStatic();
    if (stat) doc.classList.add("book-static");
    root.querySelectorAll(".cell_output " + KERNEL_ONLY.split(", ").join(", .cell_output "))
      .forEach(function (box) {
        // (.book-live: an editor that computes in the page, e.g. js/live-position.js)
        var dead = stat && box.classList.contains("jupyter-widgets-disconnected") &&
          !box.closest(".book-live");
        if (dead) disable(box);
        else if (box.classList.contains("book-needs-kernel")) enable(box);
      });
  }

  /* ---------------------------------------------------------------- 2. aria-pressed */

  function checkToggles(root) {
    root.querySelectorAll(".widget-toggle-buttons button").forEach(function (b) {
      var on = b.classList.contains("mod-active") ? "true" : "false";
      if (b.getAttribute("aria-pressed") !== on) b.setAttribute("aria-pressed", on);
    });
  }

  /* ------------------------------------------- 2b. pickers that change nothing here */

  // Chapter 7's ViT explorer: its layer and head pickers (the toggle groups after the step
  // slider) choose among the panels of the attention step only. At the other steps they are
  // disabled, with a note why. The attention step is the one whose panel holds the nested
  // layer tabs: three levels of hidden tabs shown (image, step, layer) instead of two.
  var IDLE_NOTE = "层和头只在“注意力”这一步起作用";

  function shown(e) {
    return e.getClientRects().length > 0;
  }

  function checkIdlePickers(root) {
    root.querySelectorAll(".cell_output .vit-explorer").forEach(function (w) {
      var pickers = w.querySelectorAll(":scope > .widget-slider ~ .widget-toggle-buttons");
      if (!pickers.length) return;
      var levels = [].filter.call(w.querySelectorAll(".book-hidden-tabs"), shown).length;
      var idle = levels > 0 && levels < 3;
      var note = w.querySelector(":scope > .book-idle-note");
      if (!note) {
        note = document.createElement("span");
        note.className = "book-idle-note";
        note.id = "book-idle-" + ++noteCount;
        note.textContent = IDLE_NOTE;
        pickers[pickers.length - 1].after(note);
      }
      note.hidden = !idle;
      pickers.forEach(function (g) {
        g.classList.toggle("book-idle", idle);
        g.querySelectorAll("button").forEach(function (b) {
          if (idle && !b.disabled) {
            b.disabled = true;
            b.dataset.bookIdle = "1";
            b.setAttribute("aria-describedby", note.id);
          } else if (!idle && b.dataset.bookIdle) {
            b.disabled = false;
            delete b.dataset.bookIdle;
            b.removeAttribute("aria-describedby");
          }
        });
      });
    });
  }

  /* ------------------------------------------------------------- 3. wide boxes scroll */

  function checkWide() {
    // Inline formulas wider than their line (phones): scroll instead of being cut off.
    document.querySelectorAll(".bd-article span.math").forEach(function (s) {
      var m = s.querySelector("mjx-container");
      if (!m) return;
      var wide = m.getBoundingClientRect().width > s.parentElement.getBoundingClientRect().width;
      s.classList.toggle("book-scroll-x", wide);
    });
    // Every box that scrolls sideways can be scrolled with the keyboard.
    var boxes = ".bd-article div.math mjx-container, .bd-article span.math.book-scroll-x, " +
      ".bd-article .pst-scrollable-table-container, .bd-article .emb-scroll";
    document.querySelectorAll(boxes).forEach(function (b) {
      var scrolls = b.scrollWidth > b.clientWidth + 1;
      var mine = "bookTabindex" in b.dataset;
      if (scrolls && b.getAttribute("tabindex") !== "0") {
        if (!mine) b.dataset.bookTabindex = b.getAttribute("tabindex") || "";
        b.setAttribute("tabindex", "0");
      } else if (!scrolls && mine) {
        if (b.dataset.bookTabindex) b.setAttribute("tabindex", b.dataset.bookTabindex);
        else b.removeAttribute("tabindex");
        delete b.dataset.bookTabindex;
      }
    });
  }

  /* ---------------------------------------------------- 3b. text on coloured cells */

  function rgba(c) {
    var m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function onWhite(c) {
    return [0, 1, 2].map(function (i) {
      return c[i] * c[3] + 255 * (1 - c[3]);
    });
  }
  function luminance(c) {
    var l = c.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function ratio(a, b) {
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  function checkCells(root) {
    // The panels are light in both modes (see reading.css), so colours are laid over white.
    root.querySelectorAll('.cell_output .widget-html-content [style*="background"]')
      .forEach(function (el) {
        if (el.dataset.bookInk || !el.textContent.trim()) return;
        el.dataset.bookInk = "1";
        var cs = getComputedStyle(el);
        var bg = rgba(cs.backgroundColor);
        var fg = rgba(cs.color);
        if (!bg || !fg || bg[3] === 0) return;
        var lb = luminance(onWhite(bg));
        if (ratio(luminance(onWhite(fg)), lb) >= 4.5) return;
        el.style.color = ratio(0, lb) >= ratio(1, lb) ? "#000" : "#fff";  // black: #111 fell short
      });
  }

  /* ------------------------------------------------------------------ 4. lightbox */

  var box = null;
  var opener = null;

  function buildLightbox() {
    box = document.createElement("div");
    box.className = "book-lightbox";
    box.hidden = true;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", "原始大小的图");
    box.innerHTML =
      '<div class="book-lightbox-bar"><span>原始大小：可以左右、上下滚动查看。按 Esc 返回。</span>' +
      '<button type="button" class="book-lightbox-close">返回 ×</button></div>' +
      '<div class="book-lightbox-body" tabindex="0"><img alt=""></div>';
    document.body.appendChild(box);
    box.querySelector(".book-lightbox-close").addEventListener("click", closeLightbox);
    box.addEventListener("click", function (e) {
      if (e.target === box || e.target.classList.contains("book-lightbox-body")) closeLightbox();
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.preventDefault();
        closeLightbox();
      } else if (e.key === "Tab") {
        // Keep the focus in the dialog: the close button and the scrolling figure.
        var items = [box.querySelector(".book-lightbox-close"),
          box.querySelector(".book-lightbox-body")];
        var i = items.indexOf(document.activeElement);
        e.preventDefault();
        items[(i + (e.shiftKey ? items.length - 1 : 1)) % items.length].focus();
      }
    });
  }

  function openLightbox(img) {
    if (!box) buildLightbox();
    opener = img;
    var big = box.querySelector("img");
    big.src = img.currentSrc || img.src;
    big.alt = img.alt || "";
    big.width = img.naturalWidth;
    big.height = img.naturalHeight;
    box.hidden = false;
    doc.classList.add("book-lightbox-open");
    box.querySelector(".book-lightbox-body").scrollTo(0, 0);
    box.querySelector(".book-lightbox-close").focus();
  }

  function closeLightbox() {
    if (!box || box.hidden) return;
    box.hidden = true;
    doc.classList.remove("book-lightbox-open");
    if (opener) opener.focus();
    opener = null;
  }

  function checkFigures() {
    document.querySelectorAll(".bd-article img").forEach(function (img) {
      if (img.closest("a, .jupyter-widgets") || !img.complete || !img.naturalWidth) return;
      var shown = img.getBoundingClientRect().width;
      var shrunk = shown > 0 && img.naturalWidth > shown * 1.1;
      if (!img.dataset.bookZoom) {
        img.dataset.bookZoom = "1";
        var hint = document.createElement("span");
        hint.className = "book-zoom-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "点图放大（原始大小）";
        img.after(hint);
      }
      img.classList.toggle("book-shrunk", shrunk);
      img.classList.toggle("book-zoomable", shrunk);
      if (shrunk) {
        img.setAttribute("tabindex", "0");
        img.setAttribute("role", "button");
        img.setAttribute("aria-label", (img.alt ? img.alt + "：" : "") + "看原始大小的图");
      } else {
        img.removeAttribute("tabindex");
        img.removeAttribute("role");
        img.removeAttribute("aria-label");
      }
    });
  }

  document.addEventListener("click", function (e) {
    var img = e.target.closest && e.target.closest("img.book-zoomable");
    if (img) openLightbox(img);
  });
  document.addEventListener("keydown", function (e) {
    var img = e.target.closest && e.target.closest("img.book-zoomable");
    if (img && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      openLightbox(img);
    }
  });

  /* ------------------------------------------------------------------- wiring */

  var pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      checkControls(document);
      checkToggles(document);
      checkIdlePickers(document);
      checkCells(document);
      checkWide();
      checkFigures();
    });
  }

  function start() {
    refresh();
    // The widget manager renders the widgets after the page has loaded, and later redraws
    // a button's class when it is selected: follow both.
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var t = records[i].target;
        // (lm-Widget: a tab panel shown or hidden, when a slider or a picker moves)
        if (records[i].type === "childList" || (t.classList && (t.classList.contains(
          "widget-toggle-button") || t.classList.contains("lm-Widget") ||
          t.matches(KERNEL_ONLY)))) {
          refresh();
          return;
        }
      }
    }).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["class"],
    });
    window.addEventListener("resize", refresh);
    window.addEventListener("load", refresh);
    document.querySelectorAll(".bd-article img").forEach(function (img) {
      if (!img.complete) img.addEventListener("load", refresh);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
