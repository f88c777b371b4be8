"""Business metrics as CloudWatch EMF through Powertools Metrics (flushed by the handler's
`log_metrics`)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import Metrics, MetricUnit


class PowertoolsMetrics:
    """The `BusinessMetrics` port."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def count(self, name: str, value: int = 1, *, unit: str = "Count") -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)
