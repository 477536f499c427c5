// Charts of the console's reports page: the study report's own Vega-Lite specs (data inline), drawn with vega-embed.
// Each chart has a text alternative, and the tables of its section hold the numbers.
(function () {
  const source = document.getElementById('report-charts');
  if (!source || typeof vegaEmbed !== 'function') return;
  const charts = JSON.parse(source.textContent);
  // No injected <style> (vega-embed's default style, the tooltip's): the page's policy allows only the app's style sheets.
  // No eval either (script-src 'self'): the report's specs carry expressions (formats, calculations), which Vega would
  // compile with new Function; its interpreter evaluates them from the parsed syntax tree instead.
  const options = { actions: false, renderer: 'svg', defaultStyle: false, tooltip: false, ast: true, expr: vega.expressionInterpreter };
  Object.keys(charts).forEach(function (id) {
    const target = document.getElementById(id);
    if (!target) return;
    vegaEmbed(target, charts[id], options).then(function () {
      // The container carries the chart's text alternative (role img, aria-label) and its section's table the numbers;
      // the SVG's own marks would repeat them piecemeal, some unlabelled, so assistive technology skips the drawing.
      const svg = target.querySelector('svg');
      if (svg) svg.setAttribute('aria-hidden', 'true');
    }).catch(function (e) { target.textContent = 'The chart could not be drawn: ' + e.message; });
  });
})();
