/* perfluence: keeps the pf_cid from the landing URL in a first-party cookie. docs/shops.md */
(function (w, d) {
  "use strict";
  var RE = /^[0-9A-Za-z_~]{22}$/, AGE = 7776000, script = d.currentScript;
  function read() {
    var m = ("; " + d.cookie).match(/; pf_cid=([^;]*)/);
    return m && RE.test(m[1]) ? m[1] : null;
  }
  function store(v) {
    var host = location.hostname, parts = host.split("."), dom = "", i;
    // The top-most domain taking a probe cookie is the registrable one (shop.co.uk, not co.uk).
    if (!/^[\d.]+$|:/.test(host)) {
      for (i = parts.length - 2; i >= 0 && !dom; i--) {
        dom = "; Domain=" + parts.slice(i).join(".") + "; Path=/";
        d.cookie = "pf_t=1" + dom;
        if (/(^|; )pf_t=1/.test(d.cookie)) d.cookie = "pf_t=" + dom + "; Max-Age=0";
        else dom = "";
      }
    }
    d.cookie = "pf_cid=" + v + (dom || "; Path=/") + "; Max-Age=" + AGE + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  var fresh = null;
  try {
    fresh = new URLSearchParams(location.search).get("pf_cid");
  } catch (e) {}
  if (fresh && RE.test(fresh)) store(fresh); else fresh = null;
  var id = function () { return fresh || read(); };
  w.perfluence = w.perfluence || {};
  w.perfluence.clickId = id;
  var cid = id();
  if (cid && script && script.hasAttribute("data-shopify") && w.fetch) {
    var sent = null;
    try { sent = sessionStorage.getItem("pf_cid_sent"); } catch (e) {}
    if (sent !== cid) {
      // A cart attribute reaches the order as note_attributes[pf_cid].
      fetch("/cart/update.js", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ attributes: { pf_cid: cid } })
      }).then(function (r) {
        try { if (r.ok) sessionStorage.setItem("pf_cid_sent", cid); } catch (e) {}
      }, function () {});
    }
  }
})(window, document);
