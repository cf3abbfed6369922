"""Operations: management commands that work across the portal and the EPJ (seeding, benchmarks).

The one place allowed to import both systems and the dev-only benchmark drivers in `bench/`;
import-linter keeps every other package from importing this one.
"""
