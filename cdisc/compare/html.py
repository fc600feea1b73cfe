"""Jinja2 template of the ``cdisc diff`` HTML report (kept in Python so it ships with the package)."""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cdisc diff: {{ result.base }} vs {{ result.compare }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; font-family: ui-monospace, monospace; }
th { background: #f2f2f2; }
.equal { color: #176b2c; font-weight: bold; } .different { color: #a4161a; font-weight: bold; }
.note { color: #555; }
</style>
</head>
<body>
<h1>Comparison of {{ result.base }} (base) with {{ result.compare }} (compare):
<span class="{{ 'equal' if result.equal else 'different' }}">{{ result.verdict }}</span></h1>
<p>{{ compared }}</p>
<h2>Summary</h2>
<table>
<tr>{% for column in summary.columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in summary.itertuples(index=False) %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% if result.only_base %}<p>Datasets only in base: {{ result.only_base | join(", ") }}</p>{% endif %}
{% if result.only_compare %}<p>Datasets only in compare: {{ result.only_compare | join(", ") }}</p>{% endif %}
{% for reason in result.not_compared %}<p class="different">Not compared: {{ reason }}</p>{% endfor %}
{% for d in datasets %}
<h2 id="{{ d.name }}">{{ d.name }} <span class="{{ 'equal' if d.equal else 'different' }}">{{ 'equal' if d.equal else 'different' }}</span></h2>
<p>{{ d.base }} vs {{ d.compare }}; keys: {{ d.keys | join(", ") or "(record order)" }}.
{{ d.matched }} matched observations, {{ d.only_base_count }} only in base, {{ d.only_compare_count }} only in compare;
{{ d.compared | length }} variables compared, {{ d.values | length }} with differences.</p>
{% if d.only_base_variables %}<p>Variables only in base: {{ d.only_base_variables | join(", ") }}</p>{% endif %}
{% if d.only_compare_variables %}<p>Variables only in compare: {{ d.only_compare_variables | join(", ") }}</p>{% endif %}
{% if d.attributes %}<h3>Attribute differences</h3>
<table><tr><th>variable</th><th>attribute</th><th>base</th><th>compare</th></tr>
{% for a in d.attributes %}<tr><td>{{ a.variable or "(dataset)" }}</td><td>{{ a.attribute }}</td><td>{{ a.base }}</td><td>{{ a.compare }}</td></tr>
{% endfor %}</table>{% endif %}
{% for title, frame, count in [("Records with duplicate keys (not matched)", d.duplicates, d.duplicate_count), ("Observations only in base", d.only_base, d.only_base_count), ("Observations only in compare", d.only_compare, d.only_compare_count)] %}
{% if count %}<h3>{{ title }}: {{ count }}{% if frame | length < count %} (first {{ frame | length }}){% endif %}</h3>
<table><tr>{% for column in frame.columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in frame.itertuples(index=False) %}<tr>{% for value in row %}<td>{{ value | cell }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
{% endfor %}
{% if d.values %}<h3>Value differences</h3>
<table><tr><th>variable</th><th>differences</th><th>max abs diff</th></tr>
{% for v in d.values %}<tr><td><a href="#{{ d.name }}-{{ v.variable }}">{{ v.variable }}</a></td><td>{{ v.count }}</td><td>{{ v.max_difference | cell }}</td></tr>
{% endfor %}</table>
{% for v in d.values %}<h3 id="{{ d.name }}-{{ v.variable }}">{{ v.variable }}: {{ v.count }} differing value(s){% if v.records | length < v.count %} (first {{ v.records | length }}){% endif %}</h3>
<table><tr>{% for column in v.records.columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in v.records.to_dict(orient="records") %}<tr>{% for column, value in row.items() %}<td>{{ value | quoted if column in ("BASE", "COMPARE") else value | cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}{% endif %}
{% for note in d.notes %}<p class="note">Note: {{ note }}</p>{% endfor %}
{% endfor %}
</body>
</html>
"""  # noqa: E501  (a Jinja template: each line is output HTML, kept whole)
