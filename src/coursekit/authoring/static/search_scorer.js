/*
 * The course's search scorer: Sphinx's scores, plus `docTitle` for a page whose own title holds
 * every searched word (split and stemmed as the query is), so the chapter named after a word
 * comes before the pages that mention it only in a section heading or the text.
 */
var Scorer = {
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {
    0: 15,
    1: 5,
    2: -5,
  },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
  // the page's own title holds every searched word
  docTitle: 20,

  _words: (text) => {
    const stemmer = new Stemmer();
    return splitQuery(text).map((word) => stemmer.stemWord(word.toLowerCase()));
  },

  _queryWords: () => {
    const query = new URLSearchParams(window.location.search).get("q") || "";
    if (Scorer._lastQuery !== query) {
      Scorer._lastQuery = query;
      const stemmer = new Stemmer();
      Scorer._lastWords = splitQuery(query.toLowerCase())
        .filter((word) => stopwords.indexOf(word) === -1 && !word.match(/^\d+$/))
        .map((word) => stemmer.stemWord(word));
    }
    return Scorer._lastWords;
  },

  score: (result) => {
    const [docName, _title, _anchor, _descr, score, _filename] = result;
    const index = Search._index;
    const doc = index.docnames.indexOf(docName);
    const wanted = Scorer._queryWords();
    if (doc < 0 || wanted.length === 0) return score;
    const titleWords = new Set(Scorer._words(index.titles[doc] || ""));
    return wanted.every((word) => titleWords.has(word)) ? score + Scorer.docTitle : score;
  },
};
