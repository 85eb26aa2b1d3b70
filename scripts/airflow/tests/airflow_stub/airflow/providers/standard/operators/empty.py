"""EmptyOperator: a task that does nothing."""

from airflow.sdk import BaseOperator


class EmptyOperator(BaseOperator):
    pass
