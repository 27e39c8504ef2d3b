/* Loaded after require.js and before the widget manager (embed-amd.js); see _config.yml.
 *
 * 1) The widget manager finds its font files through require.js module paths, which by
 *    default resolve against the page's folder (chapters/@jupyter-widgets/...: 404).
 *    Point them at the copy this site serves, next to embed-amd.js.
 * 2) The widget manager typesets widget text with MathJax 2's MathJax.Hub.Queue; this
 *    site runs MathJax 3, which has no Hub. Give it one that calls MathJax 3.
 */
(function () {
  var vendor = new URL("../vendor/html-manager-1.0.15", document.currentScript.src).href;
  window.require.config({
    paths: { "@jupyter-widgets/html-manager/dist": vendor, "@jupyter-widgets": vendor },
  });

  function queue(args) {
    var el = args && args[2];
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise(el ? [el] : undefined).catch(function () {});
    }
  }
  function addHub() {
    if (window.MathJax && !window.MathJax.Hub) window.MathJax.Hub = { Queue: queue };
  }
  addHub();
  document.addEventListener("DOMContentLoaded", addHub);
})();
