/* js/projector.js: projector mode (issue 17); the look is in css/projector.css.
 *
 * One switch on every page -- the button in the page header or the key P -- hides the
 * sidebars and enlarges text, formulas, tables and widgets for the back row of a classroom.
 * It is remembered across pages (localStorage). In projector mode the arrow keys → and ←
 * move to the next / previous section (h2, h3); ↑ and ↓ still scroll. While the focus is in
 * a widget (a slider, a text box, a button of it), in a form field or in a formula, the keys
 * belong to it, as they do outside projector mode.
 *
 * Loaded in <head>: the class is set on <html> before the page is drawn, so a page opened in
 * projector mode never flashes the normal layout first. Plain JS, no libraries.
 */
(function () {
  "use strict";

  var KEY = "book-projector";
  var CLASS = "book-projector";
  var root = document.documentElement;

  function stored() {
    try {
      return window.localStorage.getItem(KEY) === "1";
    } catch (e) {
      return false; // storage disabled: projector mode still works, for this page
    }
  }
  function store(on) {
    try {
      window.localStorage.setItem(KEY, on ? "1" : "0");
    } catch (e) {
      /* nothing to remember it in */
    }
  }
  function isOn() {
    return root.classList.contains(CLASS);
  }

  if (stored()) root.classList.add(CLASS);

  /* ------------------------------------------------------------------ sections */

  function headings() {
    var all = document.querySelectorAll(".bd-article h1, .bd-article h2, .bd-article h3");
    return Array.prototype.filter.call(all, function (h) {
      // Section headings only: not a heading inside an output or a widget, not a hidden one.
      return !h.closest(".cell_output, .output, .jupyter-widgets") && h.getClientRects().length;
    });
  }
  function topOffset() {
    // pydata-sphinx-theme sets scroll-padding-top (the sticky header): scrollIntoView keeps
    // a heading below the header, and a heading there is the current one.
    return parseFloat(getComputedStyle(root).scrollPaddingTop) || 0;
  }

  var moved = null; // {index, y}: the heading the keys moved to, and the scroll position then

  function currentIndex(list) {
    if (moved && Math.abs(window.scrollY - moved.y) < 2 && moved.index < list.length) {
      return moved.index; // the page could not scroll that heading to the top: still there
    }
    var limit = topOffset() + 4;
    var index = window.scrollY < 1 ? 0 : -1; // at the top of the page: the title's section
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().top <= limit) index = i;
    }
    return index;
  }

  function goTo(list, index) {
    var h = list[index];
    h.scrollIntoView({ block: "start", behavior: "instant" });
    moved = { index: index, y: window.scrollY };
    h.classList.remove("book-projector-target");
    void h.offsetWidth; // restart the highlight
    h.classList.add("book-projector-target");
    window.setTimeout(function () {
      h.classList.remove("book-projector-target");
    }, 1500);
  }

  function step(direction) {
    var list = headings();
    if (!list.length) return false;
    var index = currentIndex(list) + direction;
    if (index < 0 || index >= list.length) return false;
    goTo(list, index);
    return true;
  }

  /* ------------------------------------------------------------------ the switch */

  var button = null;

  function sectionAtTop() {
    var list = headings();
    var i = currentIndex(list);
    return i >= 0 ? list[i] : null;
  }

  function set(on) {
    var keep = sectionAtTop(); // the section being shown stays in view across the change
    root.classList.toggle(CLASS, on);
    store(on);
    moved = null;
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.title = on ? "退出投影模式（P）" : "投影模式（P）";
    }
    if (keep) keep.scrollIntoView({ block: "start", behavior: "instant" });
    document.dispatchEvent(new CustomEvent("book:projector", { detail: { on: on } }));
  }

  function addButton() {
    var bar = document.querySelector(".article-header-buttons");
    if (!bar || bar.querySelector(".book-projector-button")) return;
    button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm pst-navbar-icon book-projector-button";
    button.setAttribute("aria-label", "投影模式");
    button.setAttribute("aria-keyshortcuts", "P");
    button.setAttribute("aria-pressed", isOn() ? "true" : "false");
    button.title = isOn() ? "退出投影模式（P）" : "投影模式（P）";
    button.innerHTML = '<i class="fa-solid fa-person-chalkboard" aria-hidden="true"></i>';
    button.addEventListener("click", function () {
      set(!isOn());
    });
    var full = bar.querySelector(".btn-fullscreen-button");
    bar.insertBefore(button, full || bar.firstChild);
  }

  /* ------------------------------------------------------------------ keys */

  // Where the keys belong to something else: form fields, widgets, formulas (MathJax's
  // explorer), dialogs, and any control with its own arrow-key behaviour.
  var OWNS_KEYS =
    "input, textarea, select, [contenteditable=''], [contenteditable='true'], .jupyter-widgets," +
    " mjx-container, dialog, [role=dialog], [role=slider], [role=spinbutton], [role=tablist]," +
    " [role=tab], [role=listbox], [role=menu], [role=menuitem], [role=radiogroup]," +
    " [role=combobox], [role=application]";

  function keysBelongElsewhere(event) {
    var t = event.target;
    return !!(t && t.closest && t.closest(OWNS_KEYS));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (keysBelongElsewhere(event)) return;
    if ((event.key === "p" || event.key === "P") && !event.shiftKey && !event.repeat) {
      set(!isOn());
      event.preventDefault();
      return;
    }
    if (!isOn() || event.shiftKey) return;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      if (step(event.key === "ArrowRight" ? 1 : -1)) event.preventDefault();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", addButton);
  } else {
    addButton();
  }
})();
