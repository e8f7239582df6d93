"""Parses OpenMetrics text from stdin with prometheus_client's strict
parser and prints the families as JSON (values as Python float reprs, so
NaN and infinities survive JSON)."""

import json
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError as e:  # the Rust test turns this exit code into a hint
    print(f"prometheus_client is not installed: {e}", file=sys.stderr)
    sys.exit(3)

text = sys.stdin.buffer.read().decode("utf-8")
families = []
for family in text_string_to_metric_families(text):
    families.append(
        {
            "name": family.name,
            "type": family.type,
            "unit": family.unit,
            "help": family.documentation,
            "samples": [
                {
                    "name": s.name,
                    "labels": s.labels,
                    "value": repr(float(s.value)),
                    "exemplar": s.exemplar.labels if s.exemplar else None,
                }
                for s in family.samples
            ],
        }
    )
json.dump(families, sys.stdout, ensure_ascii=False)
