"""The study spec: YAML files validated by Pydantic models, with located errors."""
