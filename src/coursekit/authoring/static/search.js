/*
 * The search results page: each result is marked with the language of its page (chapters/bn/
 * or chapters/en/), in that language. COURSE_LANGUAGE_NAMES is set by the page.
 */
"use strict";

(() => {
  const mark = (item) => {
    const link = item.querySelector("a");
    if (!link || item.querySelector(".course-search-lang")) return;
    const path = new URL(link.getAttribute("href"), document.baseURI).pathname;
    const match = path.match(/\/chapters\/([a-z]+)\//);
    if (!match || !(match[1] in COURSE_LANGUAGE_NAMES)) return;
    const lang = match[1];
    const tag = document.createElement("span");
    tag.className = `course-search-lang course-search-lang-${lang}`;
    tag.lang = lang;
    tag.textContent = COURSE_LANGUAGE_NAMES[lang];
    link.insertAdjacentElement("afterend", tag);
  };

  const watch = () => {
    const results = document.getElementById("search-results");
    if (!results) return;
    results.querySelectorAll("ul.search > li").forEach(mark);
    new MutationObserver((changes) => {
      for (const change of changes)
        change.addedNodes.forEach((node) => {
          if (node.nodeName === "LI") mark(node);
        });
    }).observe(results, { childList: true, subtree: true });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
