"""Example Airflow DAG: calibrate a model with SparkQuant on a Spark cluster.

Runs ``sparkquant calibrate`` from the fat jar (spark-job/target/sparkquant-spark.jar, copy it where the Airflow
workers can read it) through ``spark-submit``. The job configures Kryo, executor engine settings and glibc malloc
settings itself; only resources are set here. Needs apache-airflow-providers-apache-spark and an Airflow connection
``spark_default`` pointing at the cluster (``spark://host:7077``, ``yarn`` or ``k8s://...``).

Trigger with other inputs: ``airflow dags trigger sparkquant_calibrate --conf '{"model": ..., "data": ..., "output": ...}'``
(params are overridden by the run's conf when ``dag_run_conf_overrides_params`` is on, the default).
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SPARKQUANT_JAR = "/opt/sparkquant/sparkquant-spark.jar"

with DAG(
    dag_id="sparkquant_calibrate",
    description="Post-training quantization (w8a8) of an ONNX model, calibrated on a dataset, with SparkQuant",
    start_date=datetime(2025, 1, 1),
    schedule=None,
    catchup=False,
    default_args={
        "owner": "sparkquant",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
    },
    params={
        # model, tokenizer and output are paths on the driver's machine (deploy mode client); data may be on any
        # Hadoop file system the cluster reaches
        "model": Param("/models/minilm/model.onnx", type="string", description="FP32 ONNX model"),
        "tokenizer": Param("/models/minilm/tokenizer.json", type="string", description="tokenizer.json for text"),
        "data": Param("hdfs:///data/minilm/calibration", type="string", description="calibration dataset"),
        "data_format": Param("text", enum=["text", "jsonl", "images", "parquet", "arrow"]),
        "max_samples": Param(512, type="integer", minimum=1, description="samples to calibrate on"),
        "output": Param("/models/minilm/w8a8", type="string", description="output directory (must not exist)"),
    },
    tags=["sparkquant", "quantization"],
) as dag:
    calibrate = SparkSubmitOperator(
        task_id="calibrate",
        conn_id="spark_default",
        application=SPARKQUANT_JAR,
        java_class="org.sparkquant.job.cli.SparkQuantCli",
        name="sparkquant-calibrate-{{ ds_nodash }}",
        deploy_mode="client",
        executor_cores=1,
        executor_memory="4g",
        driver_memory="4g",
        num_executors=4,
        application_args=[
            "calibrate",
            "--model", "{{ params.model }}",
            "--tokenizer", "{{ params.tokenizer }}",
            "--data", "{{ params.data }}",
            "--data-format", "{{ params.data_format }}",
            "--max-samples", "{{ params.max_samples }}",
            "--output", "{{ params.output }}",
            "--preset", "w8a8",
        ],
        execution_timeout=timedelta(hours=6),
    )
