"""Nightly quantization of all-MiniLM-L6-v2 with SparkQuant: calibrate, gptq and qat, an accuracy gate, publish.

Every day (``@daily``, no catch-up, one run at a time) three ``sparkquant`` jobs run side by side from the fat jar
through ``spark-submit`` (``SparkSubmitOperator``, main class ``org.sparkquant.job.cli.SparkQuantCli``)::

    calibrate (w8a8)  --+
    gptq (w4g32)      --+--> accuracy_gate --> publish_calibrate, publish_gptq, publish_qat
    qat (w4g32)       --+

Inputs and outputs are Hadoop URIs (``hdfs://...``, ``s3a://...``), set by the DAG's params. Each run writes under
its logical date (``ds``)::

    OUTPUT_ROOT/2026-12-08/calibrate/          model.onnx, report.json, _SUCCESS
    OUTPUT_ROOT/2026-12-08/gptq/
    OUTPUT_ROOT/2026-12-08/qat/
    OUTPUT_ROOT/2026-12-08/qat.checkpoints/    qat's checkpoints, kept after the run
    OUTPUT_ROOT/latest/calibrate               a text file: the URI of the newest published calibrate output
    OUTPUT_ROOT/latest/gptq, OUTPUT_ROOT/latest/qat

Re-runs and retries are safe:

- every job commits its output atomically (written under a hidden temporary name on the target file system, moved
  into place, ``_SUCCESS`` written last) and is given ``--skip-if-complete``: a job whose output is complete exits 0
  at once, so clearing a run redoes only what is missing;
- ``qat`` checkpoints to ``OUTPUT_ROOT/<ds>/qat.checkpoints`` (after every epoch and every ``qat_checkpoint_every``
  steps) and is given ``--resume-if-present``: a retry continues from the newest checkpoint instead of starting over;
- ``publish`` refuses an output without ``_SUCCESS`` and replaces the pointer in one step; publishing again is
  harmless. Clearing the run of an *older* day publishes that day again: trigger the newest day afterwards (or clear
  without the publish tasks) to move the pointers forward.

Accuracy gate: ``accuracy_gate`` passes everything for now. It becomes the real gate with ``sparkquant evaluate``
(accuracy of each output against the FP32 model, failing below ``--fail-below``), which is not part of SparkQuant
yet; the block marked ACCURACY GATE below is the one task to switch on. Until then the pointers move to every
complete output.

Deployment:

- needs apache-airflow-providers-apache-spark and an Airflow connection ``spark_default`` to the cluster (``yarn``,
  ``spark://host:7077``, ``k8s://...``); the deploy mode is the connection's (``cluster`` keeps drivers off the Airflow
  workers);
- put ``spark-job/target/sparkquant-spark.jar`` where the cluster reads it and set the ``jar`` param;
- ``s3a://`` needs hadoop-aws and the AWS SDK bundle on the cluster (see the README, "Running on a cluster");
- ``qat`` trains in barrier stages: dynamic allocation is off for it (its ``conf`` below) and it gets a fixed number
  of executors with one task slot each (``spark.task.cpus`` = executor cores).

Other inputs for one run: ``airflow dags trigger sparkquant_minilm --conf '{"data": "s3a://...", ...}'`` (the run's
conf overrides the params). Another model family: copy this file and change ``DAG_ID``, ``FAMILY``, the params'
defaults and the jobs' options.

Checked without Airflow: ``scripts/airflow/tests/render_dag_commands.py`` renders every task for a day against a
stub of the Airflow API and checks this layout; the build's ``AirflowDagTest`` runs the rendered commands with
``--dry-run`` on the test models.
"""

from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, Param
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.models.param import Param
    from airflow.operators.empty import EmptyOperator
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

DAG_ID = "sparkquant_minilm"
FAMILY = "minilm"
CLI = "org.sparkquant.job.cli.SparkQuantCli"

# This run's outputs, and the pointers to the newest published ones.
DAY = "{{ params.output_root }}/{{ ds }}"
LATEST = "{{ params.output_root }}/latest"


def uri_param(default, description):
    """A path param: a Hadoop URI (hdfs://, s3a://, ...)."""
    return Param(default, type="string", pattern=r"^[a-z][a-z0-9+.-]*://\S+$", description=description)


def spark_submit(task_id, application_args, conf=None, **operator_args):
    """A ``sparkquant`` command run from the fat jar by spark-submit; the Spark application is named after the task,
    the day and the try."""
    return SparkSubmitOperator(
        task_id=task_id,
        conn_id="spark_default",
        application="{{ params.jar }}",
        java_class=CLI,
        name=f"sparkquant-{FAMILY}-{task_id}-" + "{{ ds_nodash }}-try{{ ti.try_number }}",
        application_args=application_args,
        conf=conf,
        **operator_args,
    )


def job(command, preset, options, conf=None, **operator_args):
    """A data-driven job (calibrate, gptq, qat) on the params' inputs, writing DAY/command, a no-op once that output
    is complete."""
    return spark_submit(
        command,
        [
            command,
            "--model", "{{ params.model }}",
            "--tokenizer", "{{ params.tokenizer }}",
            "--config", "{{ params.config }}",
            "--data", "{{ params.data }}",
            "--preset", preset,
            *options,
            "--output", f"{DAY}/{command}",
            "--skip-if-complete",
        ],
        conf=conf,
        **operator_args,
    )


with DAG(
    dag_id=DAG_ID,
    description="Nightly SparkQuant calibrate (w8a8), gptq and qat (w4g32) of all-MiniLM-L6-v2, then latest pointers",
    doc_md=__doc__,
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "sparkquant",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
    },
    params={
        "jar": uri_param("hdfs:///apps/sparkquant/sparkquant-spark.jar", "SparkQuant's fat jar"),
        "model": uri_param("hdfs:///models/minilm/fp32/model.onnx", "FP32 ONNX model"),
        "tokenizer": uri_param("hdfs:///models/minilm/fp32/tokenizer.json", "the model's tokenizer.json"),
        "config": uri_param("hdfs:///models/minilm/conf/minilm.yaml",
                            "quantizer and data config (conf/examples/minilm.yaml); each job sets its preset"),
        "data": uri_param("hdfs:///data/minilm/sentences", "text data, one sentence per line: file, directory or glob"),
        "output_root": Param("hdfs:///models/minilm/nightly", type="string", pattern=r"^[a-z][a-z0-9+.-]*://\S*[^/]$",
                             description="outputs go to OUTPUT_ROOT/<ds>/<job>, pointers to OUTPUT_ROOT/latest/<job>"
                             " (a Hadoop URI without a trailing slash)"),
        "max_samples": Param(512, type="integer", minimum=1, description="samples calibrate and gptq use"),
        "calibrate_preset": Param("w8a8", type="string", description="calibrate's preset"),
        "gptq_preset": Param("w4g32", type="string", description="gptq's preset"),
        "qat_preset": Param("w4g32", type="string", description="qat's preset"),
        "qat_max_samples": Param(20000, type="integer", minimum=1, description="samples qat trains and validates on"),
        "qat_epochs": Param(3, type="integer", minimum=1, description="qat's epochs"),
        "qat_checkpoint_every": Param(200, type="integer", minimum=1,
                                      description="qat's steps between checkpoints, besides those after every epoch"),
    },
    tags=["sparkquant", "quantization", FAMILY],
) as dag:
    calibrate = job(
        "calibrate", "{{ params.calibrate_preset }}",
        ["--max-samples", "{{ params.max_samples }}"],
        num_executors=4, executor_cores=4, executor_memory="8g", driver_memory="4g",
        execution_timeout=timedelta(hours=3),
    )
    gptq = job(
        "gptq", "{{ params.gptq_preset }}",
        ["--max-samples", "{{ params.max_samples }}"],
        num_executors=4, executor_cores=4, executor_memory="8g", driver_memory="8g",
        execution_timeout=timedelta(hours=6),
    )
    qat = job(
        "qat", "{{ params.qat_preset }}",
        [
            "--max-samples", "{{ params.qat_max_samples }}",
            "--epochs", "{{ params.qat_epochs }}",
            "--batch-size", "32",
            "--micro-batch-size", "8",
            "--checkpoint-every", "{{ params.qat_checkpoint_every }}",
            "--checkpoint-dir", f"{DAY}/qat.checkpoints",
            "--resume-if-present",
        ],
        # barrier stages: a fixed set of executors, one task slot each
        conf={"spark.dynamicAllocation.enabled": "false", "spark.task.cpus": "4"},
        num_executors=4, executor_cores=4, executor_memory="8g", driver_memory="8g",
        execution_timeout=timedelta(hours=12),
        retries=3,
    )
    jobs = [calibrate, gptq, qat]

    # ---- ACCURACY GATE -------------------------------------------------------------------------------------------
    # Off: passes everything until `sparkquant evaluate` exists. To switch it on, replace this task (keep its task_id
    # so that the dependencies stay) with an evaluate run over each job's output that fails below a threshold, e.g.
    #   spark_submit("accuracy_gate", ["evaluate", "--model", "{{ params.model }}",
    #                "--tokenizer", "{{ params.tokenizer }}", "--data", "{{ params.eval_data }}",
    #                "--output", f"{DAY}/<job>", "--fail-below", "{{ params.gate_fail_below }}"])
    # and add the params it uses (held-out data, the metric's threshold).
    accuracy_gate = EmptyOperator(
        task_id="accuracy_gate",
        doc_md="Accuracy gate before publishing: passes for now; runs `sparkquant evaluate ... --fail-below` once that"
        " command exists.",
    )
    # --------------------------------------------------------------------------------------------------------------

    publish = [
        spark_submit(
            f"publish_{command}",
            ["publish", "--output", f"{DAY}/{command}", "--latest", f"{LATEST}/{command}"],
            driver_memory="1g",
            execution_timeout=timedelta(minutes=15),
        )
        for command in (j.task_id for j in jobs)
    ]

    jobs >> accuracy_gate >> publish
