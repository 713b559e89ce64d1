/* Loads a self-hosted Matomo, configured from the data- attributes of this script's tag.
   Rendered by the server only for visitors who may be measured; no inline script needed. */
(function () {
  'use strict';
  var tag = document.currentScript;
  var url = tag.getAttribute('data-matomo-url');
  var paq = window._paq = window._paq || [];
  if (tag.getAttribute('data-exempt') === 'true') {
    // CNIL exemption: cookie lifetime capped, no user id, no cross-domain linking, no
    // browser-feature detection (fingerprinting surface).
    paq.push(['disableBrowserFeatureDetection']);
  }
  paq.push(['setVisitorCookieTimeout', Number(tag.getAttribute('data-cookie-days')) * 86400]);
  paq.push(['setSecureCookie', true]);
  paq.push(['setCookieSameSite', 'Lax']);
  paq.push(['setTrackerUrl', url + 'matomo.php']);
  paq.push(['setSiteId', tag.getAttribute('data-site-id')]);
  paq.push(['trackPageView']);
  paq.push(['enableLinkTracking']);
  var script = document.createElement('script');
  script.async = true;
  script.src = url + 'matomo.js';
  document.head.appendChild(script);
}());
