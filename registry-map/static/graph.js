// Registerlandkarte, graph page: zoom and pan, highlight a node's neighbours, filter flows by
// evidence type. The picture itself is rendered on the server; this only adds interaction.
(function () {
  "use strict";
  var svg = document.getElementById("graph");
  if (!svg) {
    return;
  }
  var tools = document.getElementById("graph-tools");
  if (tools) {
    tools.hidden = false;
  }
  var full = { x: 0, y: 0, w: Number(svg.dataset.width), h: Number(svg.dataset.height) };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };

  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) {
      return v.toFixed(1);
    }).join(" "));
  }

  function toSvg(clientX, clientY) {
    var matrix = svg.getScreenCTM();
    if (!matrix) {
      return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    }
    var p = svg.createSVGPoint();
    p.x = clientX;
    p.y = clientY;
    var q = p.matrixTransform(matrix.inverse());
    return { x: q.x, y: q.y };
  }

  function zoom(factor, cx, cy) {
    var w = Math.min(Math.max(view.w * factor, full.w / 25), full.w * 1.5);
    var f = w / view.w;
    view.x = cx - (cx - view.x) * f;
    view.y = cy - (cy - view.y) * f;
    view.w = w;
    view.h = view.h * f;
    apply();
  }

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = toSvg(event.clientX, event.clientY);
    zoom(event.deltaY < 0 ? 0.8 : 1.25, p.x, p.y);
  }, { passive: false });

  var drag = null;
  var moved = false;
  svg.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) {
      return;
    }
    drag = { start: toSvg(event.clientX, event.clientY), x: event.clientX, y: event.clientY };
    moved = false;
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) {
      return;
    }
    if (!moved && Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) < 4) {
      return;
    }
    if (!moved) {
      moved = true;
      svg.classList.add("dragging");
      svg.setPointerCapture(event.pointerId);
    }
    var p = toSvg(event.clientX, event.clientY);
    view.x -= p.x - drag.start.x;
    view.y -= p.y - drag.start.y;
    apply();
  });
  function endDrag() {
    drag = null;
    svg.classList.remove("dragging");
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  // A drag that ends on a node is not a click on it.
  svg.addEventListener("click", function (event) {
    if (moved) {
      event.preventDefault();
      moved = false;
    }
  }, true);

  function button(id, action) {
    var b = document.getElementById(id);
    if (b) {
      b.addEventListener("click", action);
    }
  }
  button("zoom-in", function () {
    zoom(0.8, view.x + view.w / 2, view.y + view.h / 2);
  });
  button("zoom-out", function () {
    zoom(1.25, view.x + view.w / 2, view.y + view.h / 2);
  });
  button("zoom-reset", function () {
    view = { x: full.x, y: full.y, w: full.w, h: full.h };
    apply();
  });

  // Flows of one evidence type only.
  var filter = document.getElementById("evidence-filter");
  if (filter) {
    filter.addEventListener("change", function () {
      var wanted = filter.value;
      svg.querySelectorAll(".edge.flow, .edge-label").forEach(function (el) {
        var types = (el.getAttribute("data-evidence") || "").split(" ");
        el.classList.toggle("filtered", wanted !== "" && types.indexOf(wanted) < 0);
      });
    });
  }

  // Highlighting a node's neighbours, from the graph's data (/api/graph).
  function highlight(neighbours, id) {
    svg.classList.add("focusing");
    var near = neighbours[id] || {};
    svg.querySelectorAll(".node").forEach(function (el) {
      var other = el.getAttribute("data-id");
      el.classList.toggle("lit", other === id || near[other] === true);
    });
    svg.querySelectorAll(".edge, .edge-label").forEach(function (el) {
      var from = el.getAttribute("data-from");
      var to = el.getAttribute("data-to");
      el.classList.toggle("lit", from === id || to === id);
    });
  }
  function clear() {
    svg.classList.remove("focusing");
    svg.querySelectorAll(".lit").forEach(function (el) {
      el.classList.remove("lit");
    });
  }
  if (!window.fetch) {
    return;
  }
  fetch("/api/graph", { headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (data) {
      if (!data) {
        return;
      }
      var neighbours = {};
      data.edges.forEach(function (edge) {
        var a = data.nodes[edge.source].id;
        var b = data.nodes[edge.target].id;
        (neighbours[a] = neighbours[a] || {})[b] = true;
        (neighbours[b] = neighbours[b] || {})[a] = true;
      });
      svg.querySelectorAll(".node").forEach(function (el) {
        var id = el.getAttribute("data-id");
        el.addEventListener("mouseenter", function () {
          highlight(neighbours, id);
        });
        el.addEventListener("focus", function () {
          highlight(neighbours, id);
        });
        el.addEventListener("mouseleave", clear);
        el.addEventListener("blur", clear);
      });
      svg.setAttribute("data-interactive", "true");
    })
    .catch(function () {
      // The picture works without highlighting.
    });
})();
