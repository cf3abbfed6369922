"""Dev-only benchmark drivers, run by `manage.py bench` (ops), and the locustfile.

Not an installed app and never imported by the application (import-linter); `bench web`
needs locust from requirements-dev.txt. docs/benchmarks.md describes each method.
"""
