// Charts of the console's reports page: the study report's own Vega-Lite specs (data inline), drawn with vega-embed.
// Each chart has a text alternative, and the tables of its section hold the numbers.
(function () {
  const source = document.getElementById('report-charts');
  if (!source || typeof vegaEmbed !== 'function') return;
  const charts = JSON.parse(source.textContent);
  // No injected <style> (vega-embed's default style, the tooltip's): the page's policy allows only the app's style sheets.
  const options = { actions: false, renderer: 'svg', defaultStyle: false, tooltip: false };
  Object.keys(charts).forEach(function (id) {
    const target = document.getElementById(id);
    if (target) vegaEmbed(target, charts[id], options).catch(function (e) { target.textContent = 'The chart could not be drawn: ' + e.message; });
  });
})();
