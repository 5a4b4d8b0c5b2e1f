// Broadsheet's search page (theme/templates/search.html): loads Pagefind's UI and the index
// that `invoke build` writes to pagefind/ beside the pages, one Pagefind bundle per quarter
// (pagefind/shards.json lists them, newest first; tools/search.py), searched as one with
// Pagefind's mergeIndex. The only script of the site. Works from the domain root and from a
// sub-path: every address is taken from the page's own data-site-root, resolved against the
// page's URL.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  var status = document.createElement("p");
  status.className = "search-status";
  status.setAttribute("role", "status");
  box.appendChild(status);
  var say = function (text) { status.textContent = text; };

  if (location.protocol === "file:") {
    say("Search cannot run from a copy opened from disk: serve the site over HTTP (invoke serve), or find the story in the archives.");
    return;
  }
  var root = new URL(box.getAttribute("data-site-root") || "./", document.baseURI);
  var folder = new URL("pagefind/", root);
  var missing = function () {
    say("The search index is missing: build the site with invoke build (with Pagefind installed) to search it.");
  };
  say("Loading search\u2026");
  fetch(new URL("shards.json", folder).href, {cache: "no-cache"})  // a new quarter is searched at once
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (list) { start(list.shards.map(function (shard) { return new URL(shard + "/", folder); })); })
    .catch(missing);

  function start(bundles) {
    if (!bundles.length) return missing();
    var bundle = bundles[0];
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("pagefind-ui.css", bundle).href;
    document.head.appendChild(css);

    var ui = document.createElement("div");
    ui.id = "search-ui";
    box.appendChild(ui);

    var script = document.createElement("script");
    script.src = new URL("pagefind-ui.js", bundle).href;
    script.onload = function () {
      var search = new window.PagefindUI({
        element: "#search-ui",
        bundlePath: bundle.pathname,
        mergeIndex: bundles.slice(1).map(function (other) { return {bundlePath: other.pathname}; }),
        baseUrl: root.pathname,
        showImages: false,
        showSubResults: false
      });
      var input = ui.querySelector("input");
      if (input) {  // a visible label for Pagefind's field (it has only a title)
        input.id = "search-input";
        var label = document.createElement("label");
        label.htmlFor = "search-input";
        label.className = "search-label";
        label.textContent = "Words to look for in the stories";
        box.insertBefore(label, ui);
      }
      say("");
      status.hidden = true;
      var query = new URLSearchParams(location.search).get("q");
      if (query) search.triggerSearch(query);
    };
    script.onerror = missing;
    document.head.appendChild(script);
  }
})();
