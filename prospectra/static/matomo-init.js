/* Loads a self-hosted Matomo, configured from the data- attributes of this script's tag.
   Rendered by the server only for visitors who may be measured, on the pages it may run on;
   no inline script needed. */
(function () {
  'use strict';
  var tag = document.currentScript;
  var url = tag.getAttribute('data-matomo-url');
  var site = tag.getAttribute('data-site-id');
  var paq = window._paq = window._paq || [];
  if (tag.getAttribute('data-exempt') === 'true') {
    // CNIL exemption: no user id, no cross-domain linking (neither is ever pushed here), no
    // browser-feature detection (fingerprinting surface).
    paq.push(['disableBrowserFeatureDetection']);
  }
  // The visitor cookie lives cookie-days from its creation, never extended by later visits:
  // Matomo rewrites _pk_id at each visit, so it is given only what remains of that lifetime
  // (its value is "<visitor id>.<creation time in seconds>").
  var lifetime = Number(tag.getAttribute('data-cookie-days')) * 86400;
  var found = document.cookie.match(new RegExp('(?:^|; )_pk_id\\.' + site + '\\.[^=]*=([^;]*)'));
  if (found) {
    var created = Number(decodeURIComponent(found[1]).split('.')[1]);
    if (created > 0) {
      lifetime = Math.max(1, created + lifetime - Math.floor(Date.now() / 1000));
    }
  }
  paq.push(['setVisitorCookieTimeout', lifetime]);
  paq.push(['setSessionCookieTimeout', 1800]);
  paq.push(['setCookiePath', '/']);
  paq.push(['setSecureCookie', true]);
  paq.push(['setCookieSameSite', 'Lax']);
  paq.push(['setTrackerUrl', url + 'matomo.php']);
  paq.push(['setSiteId', site]);
  paq.push(['trackPageView']);
  paq.push(['enableLinkTracking']);
  var script = document.createElement('script');
  script.async = true;
  script.src = url + 'matomo.js';
  document.head.appendChild(script);
}());
