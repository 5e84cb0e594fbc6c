// Knowledge base buttons (delegated, so they also work in results htmx swaps in later).
//
// "Use" on a canned reply (data-canned-reply="text") puts the text into the reply box at the
// cursor: the textarea named by the nearest [data-reply-target] selector, else the page's
// textarea[name="body"]. "Copy" (data-copy-text="text") copies the text to the clipboard.
(function () {
  "use strict";

  function replyBox(button) {
    var holder = button.closest("[data-reply-target]");
    var selector = holder ? holder.getAttribute("data-reply-target") : 'textarea[name="body"]';
    return document.querySelector(selector);
  }

  function insert(box, text) {
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var glue = before && !/\s$/.test(before) ? "\n" : "";
    box.value = before + glue + text + box.value.slice(end);
    var caret = (before + glue + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var use = event.target.closest("[data-canned-reply]");
    if (use) {
      var box = replyBox(use);
      if (box) {
        event.preventDefault();
        insert(box, use.getAttribute("data-canned-reply"));
      }
      return;
    }
    var copy = event.target.closest("[data-copy-text]");
    if (copy && navigator.clipboard) {
      event.preventDefault();
      navigator.clipboard.writeText(copy.getAttribute("data-copy-text"));
    }
  });
})();
