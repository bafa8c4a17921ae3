// Registerlandkarte, map page: choosing a state shows its districts without reloading the page
// (from /api/map); without script the links load /map?state=… instead.
(function () {
  "use strict";
  var map = document.getElementById("germany");
  var panel = document.getElementById("state-detail");
  if (!map || !panel || !window.fetch || !window.history) {
    return;
  }

  function count(n) {
    return Number(n).toLocaleString("de-DE");
  }

  function percent(part, whole) {
    var share = whole > 0 ? (part * 100) / whole : 0;
    return share.toFixed(1);
  }

  function element(tag, attributes, children) {
    var svgTags = { svg: true, rect: true };
    var el = svgTags[tag]
      ? document.createElementNS("http://www.w3.org/2000/svg", tag)
      : document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      el.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) {
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function render(state) {
    var list = element("ol", { class: "districts", id: "district-list" });
    state.districts.forEach(function (d) {
      var share = percent(d.connected, d.registers);
      list.appendChild(element("li", {
        "data-key": d.key,
        "data-registers": String(d.registers),
        "data-connected": String(d.connected)
      }, [
        element("span", { class: "district-name" }, [
          d.name + " ",
          element("span", { class: "muted kind" }, [d.city ? "kreisfreie Stadt" : "Kreis"])
        ]),
        element("svg", { class: "bar", viewBox: "0 0 100 8", preserveAspectRatio: "none", "aria-hidden": "true" }, [
          element("rect", { class: "bar-bg", width: "100", height: "8" }),
          element("rect", { class: "bar-fg", width: share, height: "8" })
        ]),
        element("span", { class: "district-counts" }, [
          element("strong", {}, [count(d.connected)]),
          " / " + count(d.registers) + " ",
          element("span", { class: "muted" }, ["(" + share.replace(".", ",") + " %)"])
        ])
      ]));
    });
    var search = element("a", { href: "/?state=" + encodeURIComponent(state.key) }, ["Register suchen"]);
    var children = [
      element("h2", { id: "state-name", "data-state": state.key }, [state.name]),
      element("p", { class: "state-summary" }, [
        element("strong", {}, [count(state.connected)]),
        " von " + count(state.registers) + " Registern angeschlossen; davon landesweit: " +
          count(state.state_level.connected) + " von " + count(state.state_level.registers) + ". ",
        search
      ]),
      element("h3", {}, ["Kreise und kreisfreie Städte"]),
      list
    ];
    while (panel.firstChild) {
      panel.removeChild(panel.firstChild);
    }
    children.forEach(function (child) {
      panel.appendChild(child);
    });
  }

  function select(key) {
    map.querySelectorAll("a.state").forEach(function (a) {
      var chosen = a.getAttribute("data-state") === key;
      a.classList.toggle("selected", chosen);
      if (chosen) {
        // Drawn last, so that its outline lies on top of its neighbours'.
        a.parentNode.appendChild(a);
      }
    });
    document.querySelectorAll("#state-table tr[data-state]").forEach(function (tr) {
      tr.classList.toggle("selected", tr.getAttribute("data-state") === key);
    });
  }

  function show(key, push) {
    return fetch("/api/map?state=" + encodeURIComponent(key), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("map data: " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (!data.state) {
          throw new Error("no such state");
        }
        render(data.state);
        select(key);
        document.title = "Karte: " + data.state.name + " – Registerlandkarte";
        if (push) {
          history.pushState({ state: key }, "", "/map?state=" + encodeURIComponent(key));
        }
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.state, a.state-link") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    var key = link.getAttribute("data-state");
    event.preventDefault();
    show(key, true).catch(function () {
      window.location.href = "/map?state=" + encodeURIComponent(key);
    });
  });

  window.addEventListener("popstate", function () {
    var key = new URLSearchParams(window.location.search).get("state");
    if (!key) {
      window.location.reload();
      return;
    }
    show(key, false).catch(function () {
      window.location.reload();
    });
  });
})();
