(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var text = document.getElementById("findings-filter");
    var severity = document.getElementById("findings-severity");
    var shown = document.getElementById("findings-shown");
    document.getElementById("findings-controls").hidden = false;
    var apply = function () {
      var query = text.value.trim().toLowerCase();
      var wanted = severity.value;
      var count = 0;
      rows.forEach(function (row) {
        var match = (!query || row.textContent.toLowerCase().indexOf(query) >= 0) &&
          (!wanted || row.getAttribute("data-severity") === wanted);
        row.hidden = !match;
        if (match) { count += 1; }
      });
      shown.textContent = count + " of " + rows.length + " findings shown";
    };
    text.addEventListener("input", apply);
    severity.addEventListener("change", apply);
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = header.textContent;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () {
        var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
          var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
          return x.localeCompare(y, undefined, {numeric: true}) * direction;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    apply();
  }
  var openTarget = function () {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var node = id ? document.getElementById(id) : null;
    while (node) {
      if (node.tagName === "DETAILS") { node.open = true; }
      node = node.parentElement;
    }
  };
  window.addEventListener("hashchange", openTarget);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
      d.open = true;
    });
  });
  openTarget();
}());
