"""Jinja2 template of the ``cdisc validate`` HTML report (kept in Python so it ships with the package)."""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cdisc validate: {{ validation.submission.root }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.mono { font-family: ui-monospace, monospace; }
.error { color: #a4161a; font-weight: bold; } .warning { color: #9a6700; } .notice { color: #0b5394; }
</style>
</head>
<body>
<h1>Validation of {{ validation.submission.root }}</h1>
<p><span class="error">{{ counts.error }} error(s)</span>, <span class="warning">{{ counts.warning }} warning(s)</span>,
<span class="notice">{{ counts.notice }} notice(s)</span> in {{ validation.submission.datasets | length }} dataset(s).</p>
{% if validation.skipped %}<p>Not run: {% for id, reason in validation.skipped.items() %}{{ id }} ({{ reason }}){% if not loop.last %}; {% endif %}{% endfor %}</p>{% endif %}
<h2>Summary</h2>
{% if summary | length %}<table>
<tr><th>severity</th><th>rule</th><th>dataset</th><th>variable</th><th>count</th><th>message (first)</th></tr>
{% for row in summary.itertuples(index=False) %}<tr><td class="{{ row.severity }}">{{ row.severity }}</td><td><a href="#rule-{{ row.rule }}">{{ row.rule }}</a></td>
<td>{{ row.dataset }}</td><td>{{ row.variable }}</td><td>{{ row.count }}</td><td>{{ row.message }}</td></tr>
{% endfor %}</table>{% else %}<p>No findings.</p>{% endif %}
<h2>Findings</h2>
{% for key, frame, total in groups %}<h3>{{ key[0] }} · {{ key[1] or "(submission)" }}{% if key[2] %}.{{ key[2] }}{% endif %}: {{ total }} finding(s){% if total > frame | length %} (first {{ frame | length }}){% endif %}</h3>
<table><tr><th>record</th><th>value</th><th>message</th></tr>
{% for f in frame.itertuples(index=False) %}<tr><td>{{ f.row }}</td><td class="mono">{{ f.value }}</td><td>{{ f.message }}</td></tr>
{% endfor %}</table>
{% endfor %}
<h2>Rules</h2>
<table><tr><th>id</th><th>severity</th><th>title</th><th>requirement</th><th>run</th></tr>
{% for r in validation.rules %}<tr id="rule-{{ r.id }}"><td>{{ r.id }}</td><td class="{{ r.severity }}">{{ r.severity }}</td><td>{{ r.title }}</td><td>{{ r.citation }}</td><td>{{ "no" if r.id in validation.skipped else "yes" }}</td></tr>
{% endfor %}</table>
</body>
</html>
"""  # noqa: E501  (a Jinja template: each line is output HTML, kept whole)
