/* Loaded after require.js and before the widget manager (embed-amd.js); see _config.yml.
 * require.js and this file load synchronously (both small); embed-amd.js (3.6 MB) loads
 * with `async`, so the text of the page is painted without waiting for it. An async script
 * runs only after the parser has inserted it, i.e. after the two scripts above it: the order
 * require.js -> this file -> embed-amd.js holds.
 *
 * 1) The widget manager finds its font files through require.js module paths, which by
 *    default resolve against the page's folder (chapters/@jupyter-widgets/...: 404).
 *    Point them at the copy this site serves, next to embed-amd.js.
 * 2) The widget manager typesets widget text with MathJax 2's MathJax.Hub.Queue; this
 *    site runs MathJax 3, which has no Hub. Give it one that calls MathJax 3.
 * 3) embed-amd.js renders the widgets only at the window's `load` event, i.e. after every
 *    image, script and font of the page has arrived (on a slow link, seconds after the
 *    widget manager itself). Render them as soon as the page is parsed instead: the last
 *    statement of embed-amd.js is a single require(["…/libembed-amd"], callback) call; it
 *    is intercepted once and its callback replaced.
 */
(function () {
  var vendor = new URL("../vendor/html-manager-1.0.15", document.currentScript.src).href;
  var req = window.require;
  req.config({
    paths: { "@jupyter-widgets/html-manager/dist": vendor, "@jupyter-widgets": vendor },
  });

  // 2) MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]) -> MathJax 3. The widgets may
  //    render before MathJax (deferred) has started: their elements wait for it.
  var waiting = [];
  function typeset(elements) {
    var mj = window.MathJax;
    mj.startup.promise
      .then(function () {
        return mj.typesetPromise(elements);
      })
      .catch(function () {});
  }
  function queue(args) {
    var el = args && args[2];
    var mj = window.MathJax;
    if (mj && mj.typesetPromise && mj.startup) typeset(el ? [el] : undefined);
    else if (el) waiting.push(el);
  }
  function addHub() {
    // MathJax 3 replaces the window.MathJax config object when it starts: add it again.
    var mj = window.MathJax;
    if (mj && !mj.Hub) mj.Hub = { Queue: queue };
    if (waiting.length && mj && mj.typesetPromise && mj.startup) {
      typeset(waiting.splice(0));
    }
  }
  addHub();
  document.addEventListener("DOMContentLoaded", addHub);
  window.addEventListener("load", addHub);

  // 3) Render when the document is parsed (all widget state and view scripts are there):
  //    readyState "interactive" comes before the deferred scripts (MathJax, the theme's) run
  //    and before DOMContentLoaded, which waits for them.
  var EMBED = "@jupyter-widgets/html-manager/dist/libembed-amd";
  function whenParsed(fn) {
    if (document.readyState !== "loading") {
      fn();
      return;
    }
    document.addEventListener("readystatechange", function once() {
      document.removeEventListener("readystatechange", once);
      fn();
    });
  }
  function render(embed) {
    whenParsed(function () {
      addHub();
      embed.renderWidgets();
    });
  }
  function requireOnce(deps, callback, errback) {
    if (Array.isArray(deps) && deps.length === 1 && deps[0] === EMBED) {
      window.require = req; // only this one call is changed
      return req(deps, render, errback);
    }
    return req.apply(this, arguments);
  }
  Object.keys(req).forEach(function (key) {
    requireOnce[key] = req[key];
  });
  window.require = requireOnce;
})();
