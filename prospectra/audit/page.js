// Run in each audited page (Playwright's page.evaluate): what it keeps in storage, its title,
// its links and whether the consent banner shows. Keys only, never values.
async (bannerSelector) => {
  const keys = (s) => { const k = []; for (let i = 0; i < s.length; i++) k.push(s.key(i)); return k; };
  const out = {localStorage: [], sessionStorage: [], indexedDB: [], cacheStorage: []};
  try { out.localStorage = keys(localStorage); out.sessionStorage = keys(sessionStorage); } catch (e) {}
  try {
    for (const info of await indexedDB.databases()) {
      const db = await new Promise((ok, ko) => {
        const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = ko;
      });
      const stores = Array.from(db.objectStoreNames);
      db.close();
      out.indexedDB.push(...(stores.length ? stores.map((s) => info.name + "/" + s) : [info.name]));
    }
  } catch (e) {}
  try { if (self.caches) out.cacheStorage = await caches.keys(); } catch (e) {}
  const html = (document.contentType || "").includes("html");
  const links = html ? Array.from(document.querySelectorAll("a[href]:not([download])"), (a) => a.href) : [];
  const banner = !!document.querySelector(bannerSelector);
  return {storage: out, title: document.title, links: links, banner: banner};
}
