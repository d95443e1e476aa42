// perfluence dashboard: copy buttons and bar widths. No dependencies, no network.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button.copy") : null;
  if (!button) return;
  var text = button.getAttribute("data-copy") || "";
  var done = function () {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || "✓";
    button.classList.add("done");
    setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { selectText(button); });
  } else {
    selectText(button);
    done();
  }
});
function selectText(button) {
  var code = button.parentElement && button.parentElement.querySelector("code");
  if (!code) return;
  var range = document.createRange();
  range.selectNodeContents(code);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  try { document.execCommand("copy"); } catch (e) { /* the text stays selected */ }
}
