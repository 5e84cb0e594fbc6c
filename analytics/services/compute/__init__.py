"""The analytics computation: every customer's lifetime value, the models' predictions, RFM,
Pareto classes, churn risk, the dashboard's daily figures and the report snapshots.

One module per step (see runner.py for the order): ``transactions`` reads the base with grouped
SQL into numpy arrays, ``values`` (historic lifetime value), ``models_fit`` (BG/NBD and
Gamma-Gamma), ``scores`` (RFM, ABC, churn), ``writer`` (CustomerValue and CustomerStats in bulk),
``facts`` (DailyFact), ``snapshots`` and ``churn`` (ReportSnapshot), ``basket`` (ProductPair).
"""

from analytics.services.compute.runner import STEP_LABELS, run_compute

__all__ = ["STEP_LABELS", "run_compute"]
