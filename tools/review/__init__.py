"""Plan-review rules, one concern per file, registered in ``tools/plan_report.py``."""
