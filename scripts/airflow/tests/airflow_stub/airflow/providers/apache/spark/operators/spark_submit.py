"""SparkSubmitOperator, with the arguments and templated fields of apache-airflow-providers-apache-spark."""

from airflow.sdk import BaseOperator


class SparkSubmitOperator(BaseOperator):
    ARGUMENTS = {
        "application": "", "conf": None, "conn_id": "spark_default", "files": None, "py_files": None,
        "archives": None, "driver_class_path": None, "jars": None, "java_class": None, "packages": None,
        "exclude_packages": None, "repositories": None, "total_executor_cores": None, "executor_cores": None,
        "executor_memory": None, "driver_memory": None, "keytab": None, "principal": None, "proxy_user": None,
        "name": "arrow-spark", "num_executors": None, "status_poll_interval": 1, "application_args": None,
        "env_vars": None, "verbose": False, "spark_binary": None, "properties_file": None, "yarn_queue": None,
        "deploy_mode": None, "use_krb5ccache": False, "post_submit_commands": None, "track_driver_via_k8s_api": False,
        "yarn_track_via_rm_api": False, "durable": None,
    }
    template_fields = (
        "application", "conf", "files", "py_files", "jars", "driver_class_path", "packages", "exclude_packages",
        "keytab", "principal", "proxy_user", "name", "application_args", "env_vars", "post_submit_commands",
        "properties_file",
    )
