// Charts of the console's progress page, drawn with Vega-Lite from the data the page carries.
// The tables below the charts hold the same numbers; each chart has a text alternative.
(function () {
  const source = document.getElementById('progress-data');
  if (!source || typeof vegaEmbed !== 'function') return;
  const data = JSON.parse(source.textContent);
  // No injected <style> (vega-embed's default style, the tooltip's): the page's policy allows only the app's style sheets.
  // No eval either (script-src 'self'): Vega's expression interpreter instead of compiled expressions.
  const options = { actions: false, renderer: 'svg', defaultStyle: false, tooltip: false, ast: true, expr: vega.expressionInterpreter };
  vegaEmbed('#chart-criteria', {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Answers per criterion',
    width: 'container',
    data: { values: data.criteria },
    mark: 'bar',
    encoding: {
      y: { field: 'criterion', type: 'nominal', title: null },
      x: { field: 'count', type: 'quantitative', title: 'answers', axis: { tickMinStep: 1, format: 'd' } },
      color: {
        field: 'answer', type: 'nominal', title: null,
        scale: { domain: ['leaning to one image', 'neutral'], range: ['#0b4f9c', '#9aa5b1'] },
      },
    },
  }, options);
  vegaEmbed('#chart-days', {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Answers per day (UTC)',
    width: 'container',
    data: { values: data.days },
    mark: { type: 'bar', color: '#0b4f9c' },
    encoding: {
      x: { field: 'day', type: 'ordinal', title: null },
      y: { field: 'answers', type: 'quantitative', title: 'answers', axis: { tickMinStep: 1, format: 'd' } },
    },
  }, options);
})();
