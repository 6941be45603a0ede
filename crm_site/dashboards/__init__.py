"""Dashboards and reports: composition pages built from the feature apps' selectors.

Modules: ``periods`` (the period chooser), ``rules`` (pure KPI and schedule maths), ``sections``
(one adapter per feature app, absent apps give no section), ``selectors`` (scoped, cached
composition), ``charts`` (chart + table specs), ``scorecard`` and ``reports`` (services and
selectors of the balanced scorecard and the monthly report), ``exports`` (Excel).
"""
