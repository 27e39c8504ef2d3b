/* slides/deck.js: starts a chapter's reveal.js deck (built by scripts/make_slides.py into
 * _build/html/slides/; see assets/slides/README.md). Loaded last in the deck's <body>, after
 * require.js: reveal.js is a UMD module, so with require.js on the page it has to be loaded
 * through require(), not a plain <script>.
 *
 * - The deck is 1280 x 720 (16:9), scaled to the window. A slide holds one section of the
 *   chapter (a heading: scripts/mark_slides.py), so many are taller than the screen: they
 *   scroll (deck.css), and the keys a presenter's clicker sends (→ ↓ Space PageDown, and back
 *   ← ↑ Shift+Space PageUp) first scroll through the slide, then go to the next (previous) one.
 *   Stepping back onto a slide shows its end. "▼" at the bottom: there is more below.
 * - Slides go in one line (navigationMode "linear"): a section's subsections follow it.
 * - The arrow keys move a focused widget slider or drop-down, not the slides: click the
 *   slider, then step with ← →; Esc (or a click outside the widget) gives the keys back.
 * - window.Reveal is the deck's API (the tests use Reveal.isReady()).
 */
(function () {
  var script = document.currentScript;
  var prefix = script.getAttribute("data-reveal"); // .../vendor/reveal.js-<version>
  var STEP = 0.8; // of the visible height, per key press

  function inWidgetControl(el) {
    return !!(
      el &&
      el.closest &&
      el.closest(".jupyter-widgets .noUi-handle, .jupyter-widgets select, .jupyter-widgets input")
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && inWidgetControl(document.activeElement)) {
      document.activeElement.blur();
    }
  });

  var more = document.createElement("div");
  more.className = "book-deck-more";
  more.setAttribute("aria-hidden", "true");
  more.textContent = "▼";
  document.body.appendChild(more);

  window.require([prefix + "/dist/reveal.js", prefix + "/dist/plugin/notes.js"], function (
    Reveal,
    RevealNotes
  ) {
    window.Reveal = Reveal;

    function current() {
      return Reveal.getCurrentSlide();
    }
    function room(slide) {
      // [px left above, px left below]
      if (!slide) return [0, 0];
      return [slide.scrollTop, slide.scrollHeight - slide.clientHeight - slide.scrollTop];
    }
    function showMore() {
      more.classList.toggle("book-deck-more-on", room(current())[1] > 4);
    }
    var arrivingBack = false; // set while backward() goes to the previous slide
    function forward(event) {
      if (event && event.shiftKey) return backward();
      var slide = current();
      if (room(slide)[1] > 4) {
        slide.scrollBy({ top: slide.clientHeight * STEP });
      } else {
        Reveal.next();
      }
    }
    function backward() {
      var slide = current();
      if (room(slide)[0] > 4) {
        slide.scrollBy({ top: -slide.clientHeight * STEP });
      } else {
        arrivingBack = true;
        Reveal.prev();
        arrivingBack = false;
      }
    }

    Reveal.initialize({
      width: 1280,
      height: 720,
      margin: 0.03,
      center: false,
      hash: true,
      controls: true,
      progress: true,
      slideNumber: "c/t",
      navigationMode: "linear",
      transition: "fade",
      transitionSpeed: "fast",
      plugins: [RevealNotes],
      keyboardCondition: function (event) {
        return !inWidgetControl(event.target);
      },
      // 32 Space, 34 PageDown, 39 →, 40 ↓, 78 N; 33 PageUp, 37 ←, 38 ↑, 80 P
      keyboard: {
        32: forward,
        34: forward,
        39: forward,
        40: forward,
        78: forward,
        33: backward,
        37: backward,
        38: backward,
        80: backward,
      },
    });

    Reveal.on("slidechanged", function (event) {
      var slide = event.currentSlide;
      slide.scrollTop = arrivingBack ? slide.scrollHeight : 0;
      // A widget drawn while its slide was hidden lays itself out again now.
      window.dispatchEvent(new Event("resize"));
      showMore();
    });
    Reveal.on("ready", function (event) {
      showMore();
    });
    document.addEventListener("scroll", showMore, true);
    window.addEventListener("resize", showMore);
  });
})();
