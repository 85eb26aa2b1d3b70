"""A stand-in for the parts of the Airflow API that the DAGs under scripts/airflow use, so that their tests run
without Airflow: ``airflow.sdk`` (DAG, Param, BaseOperator), ``EmptyOperator`` and ``SparkSubmitOperator``.

It records what a DAG file declares (the DAG's arguments and params, the tasks with their arguments, the dependencies
between them) and nothing more: it schedules, renders and runs nothing. ``render_dag_commands.py`` renders the
templated fields the way Airflow does.
"""
