#!/usr/bin/env python3
"""Renders the SparkQuant DAGs under scripts/airflow for one day, checks their layout and prints their commands.

    render_dag_commands.py --ds 2026-12-08 [--param KEY=VALUE ...] [--try-number N] [--dags-folder DIR]

Imports every DAG file of the folder (default: scripts/airflow) against the stub of the Airflow API beside this
script (airflow_stub/), so Airflow need not be installed, only jinja2. Renders every templated field of every task
as Airflow would for a run of that day (jinja2, undefined names are errors; ``ds``, ``ds_nodash``, ``ts``,
``logical_date``, ``run_id``, ``params``, ``ti.try_number``, ``task``, ``dag`` in the context), with the DAG's params
overridden by ``--param`` (a run's conf) and validated against their schemas. Checks that

- every DAG has a schedule and catchup=False;
- its jobs (SparkSubmitOperator tasks running calibrate, gptq or qat) all precede the task ``accuracy_gate``,
  which precedes every publish task; calibrate, gptq and qat are all covered;
- every task runs ``org.sparkquant.job.cli.SparkQuantCli``;
- every job has ``--skip-if-complete`` and an ``--output`` dated ``…/<ds>/…``, and neither ``--dry-run`` nor
  ``--overwrite``; qat also ``--resume-if-present``, a dated ``--checkpoint-dir`` and, in its Spark conf,
  ``spark.dynamicAllocation.enabled=false``;
- every publish task publishes a job's output (``publish --output DIR --latest PATH``), and every job is published;
- with the params' defaults, every path option is a Hadoop URI (hdfs:// or s3a://).

Prints one JSON object per line for each job and publish task of the run, in DAG order:
``{"dag_id", "task_id", "kind": "job"|"publish", "command", "application_args", "conf"}``. Exits 1 after listing
what failed, 2 on bad usage.
"""

import argparse
import datetime
import importlib.util
import json
import pathlib
import re
import sys
import types

HERE = pathlib.Path(__file__).resolve().parent
CLI = "org.sparkquant.job.cli.SparkQuantCli"
JOBS = ("calibrate", "gptq", "qat")
GATE = "accuracy_gate"
PATH_OPTIONS = ("--model", "--tokenizer", "--config", "--data", "--output", "--checkpoint-dir", "--latest")
DEFAULT_SCHEMES = ("hdfs://", "s3a://")


class Problems(Exception):
    """What is wrong with a DAG file, one line each."""


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ds", required=True, help="the run's logical date, YYYY-MM-DD")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a param of the run (as in its conf); repeatable")
    parser.add_argument("--try-number", type=int, default=1, help="ti.try_number (default: 1)")
    parser.add_argument("--dags-folder", type=pathlib.Path, default=HERE.parent,
                        help="folder of the DAG files (default: scripts/airflow)")
    args = parser.parse_args(argv)
    try:
        day = datetime.date.fromisoformat(args.ds)
    except ValueError:
        parser.error(f"--ds {args.ds!r} is not a date YYYY-MM-DD")
    overrides = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--param {item!r} is not KEY=VALUE")
        overrides[key] = value
    try:
        import jinja2  # noqa: F401  (checked here for a clear message)
    except ImportError:
        print("render_dag_commands: needs jinja2 (pip install jinja2)", file=sys.stderr)
        return 2

    files = sorted(args.dags_folder.glob("*.py"))
    if not files:
        print(f"render_dag_commands: no DAG file in {args.dags_folder}", file=sys.stderr)
        return 1
    sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
    sys.path[:0] = [str(HERE / "airflow_stub"), str(args.dags_folder)]  # Airflow puts the DAGs folder on sys.path
    lines, problems, commands = [], [], set()
    for path in files:
        try:
            for dag in load_dags(path):
                rendered = render_dag(dag, day, overrides, args.try_number)
                check_dag(dag, rendered, day)
                check_default_paths(dag, render_dag(dag, day, {}, args.try_number))
                for task_id, kind, task_args, conf in rendered:
                    if kind == "job":
                        commands.add(task_args[0])
                    if kind in ("job", "publish"):
                        lines.append(json.dumps({"dag_id": dag.dag_id, "task_id": task_id, "kind": kind,
                                                 "command": task_args[0], "application_args": task_args,
                                                 "conf": conf or {}}))
        except Problems as e:
            problems += [f"{path.name}: {line}" for line in e.args[0]]
    missing = [c for c in JOBS if c not in commands]
    if missing and not problems:
        problems.append(f"no DAG runs {', '.join(missing)}")
    if problems:
        for line in problems:
            print(f"render_dag_commands: {line}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def load_dags(path):
    """The DAGs a file defines at module level, as Airflow finds them."""
    from airflow.sdk import DAG

    spec = importlib.util.spec_from_file_location(f"dag_file_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # what Airflow would report as an import error
        raise Problems([f"import failed: {type(e).__name__}: {e}"]) from e
    dags = [v for v in vars(module).values() if isinstance(v, DAG)]
    if not dags:
        raise Problems(["defines no DAG"])
    return dags


def resolve_params(dag, overrides):
    """The params' values for a run: defaults, overridden by the run's conf, each checked against its schema."""
    unknown = sorted(set(overrides) - set(dag.params))
    if unknown:
        raise Problems([f"DAG {dag.dag_id}: no params {unknown}; it has {sorted(dag.params)}"])
    values, problems = {}, []
    for key, param in dag.params.items():
        value = param.value
        if key in overrides:
            value = overrides[key]
            if param.schema.get("type", "string") not in ("string", ["string"]):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass  # left a string, which the schema check reports
        problem = schema_problem(value, param.schema)
        if problem:
            problems.append(f"DAG {dag.dag_id}: param {key}={value!r}: {problem}")
        values[key] = value
    if problems:
        raise Problems(problems)
    return values


def schema_problem(value, schema):
    """What is wrong with a value under the parts of JSON schema params use (type, enum, bounds, pattern), if any."""
    types_ = schema.get("type")
    if types_ is not None:
        types_ = types_ if isinstance(types_, list) else [types_]
        checks = {"string": lambda v: isinstance(v, str), "null": lambda v: v is None,
                  "boolean": lambda v: isinstance(v, bool),
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                  "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}
        if not any(checks[t](value) for t in types_):
            return f"not of type {' or '.join(types_)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"not one of {schema['enum']}"
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        return f"below the minimum {schema['minimum']}"
    if "maximum" in schema and isinstance(value, (int, float)) and value > schema["maximum"]:
        return f"above the maximum {schema['maximum']}"
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return f"does not match {schema['pattern']}"
    return None


def render_dag(dag, day, overrides, try_number):
    """Every task's rendered fields: (task_id, kind, application_args, conf) in DAG order."""
    import jinja2.sandbox

    # As Airflow: a sandboxed environment, undefined names are errors, the do extension.
    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"],
                                              cache_size=0)
    params = resolve_params(dag, overrides)
    logical_date = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
    problems, rendered = [], []
    for task in dag.tasks:
        context = {
            "ds": day.isoformat(), "ds_nodash": day.strftime("%Y%m%d"), "ts": logical_date.isoformat(),
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"), "logical_date": logical_date,
            "run_id": f"scheduled__{logical_date.isoformat()}", "params": params, "dag": dag, "task": task,
            "ti": types.SimpleNamespace(try_number=try_number, task_id=task.task_id, dag_id=dag.dag_id),
        }
        fields = {}
        for field in task.template_fields:
            try:
                fields[field] = render(env, getattr(task, field), context)
            except jinja2.TemplateError as e:
                problems.append(f"task {task.task_id}: field {field}: {type(e).__name__}: {e}")
        if type(task).__name__ != "SparkSubmitOperator":
            rendered.append((task.task_id, "other", None, None))
            continue
        if task.java_class != CLI:
            problems.append(f"task {task.task_id}: java_class is {task.java_class!r}, not {CLI}")
        if not fields.get("application"):
            problems.append(f"task {task.task_id}: no application (the SparkQuant jar)")
        args = [str(a) for a in fields.get("application_args") or []]
        kind = "job" if args[:1] and args[0] in JOBS else "publish" if args[:1] == ["publish"] else "other"
        rendered.append((task.task_id, kind, args, fields.get("conf")))
    if problems:
        raise Problems(problems)
    return rendered


def render(env, content, context):
    """A templated field rendered as Airflow renders it: strings as templates, containers item by item (dict
    values, not keys), anything else as it is."""
    if isinstance(content, str):
        return env.from_string(content).render(**context)
    if isinstance(content, (list, tuple)):
        return type(content)(render(env, item, context) for item in content)
    if isinstance(content, dict):
        return {k: render(env, v, context) for k, v in content.items()}
    if isinstance(content, set):
        return {render(env, item, context) for item in content}
    return content


def option(args, name):
    """The value after an option, or None."""
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def check_dag(dag, rendered, day):
    """The layout this module's docstring lists."""
    problems = []
    if dag.schedule is None:
        problems.append(f"DAG {dag.dag_id}: no schedule")
    if dag.catchup is not False:
        problems.append(f"DAG {dag.dag_id}: catchup is {dag.catchup!r}, not False")
    jobs = [r for r in rendered if r[1] == "job"]
    publishes = [r for r in rendered if r[1] == "publish"]
    if not jobs:
        problems.append(f"DAG {dag.dag_id}: no calibrate, gptq or qat task")
    gate = dag.task_dict.get(GATE)
    if gate is None:
        problems.append(f"DAG {dag.dag_id}: no task {GATE}")
    dated = f"/{day.isoformat()}/"
    outputs = {}
    for task_id, _, args, conf in jobs:
        command, output = args[0], option(args, "--output")
        if "--skip-if-complete" not in args:
            problems.append(f"task {task_id}: {command} without --skip-if-complete")
        for flag in ("--dry-run", "--overwrite"):
            if flag in args:
                problems.append(f"task {task_id}: {command} with {flag}")
        if output is None or dated not in output:
            problems.append(f"task {task_id}: --output {output!r} is not dated (…{dated}…)")
        elif output in outputs:
            problems.append(f"task {task_id}: --output {output} is also {outputs[output]}'s")
        else:
            outputs[output] = task_id
        if command == "qat":
            if "--resume-if-present" not in args:
                problems.append(f"task {task_id}: qat without --resume-if-present")
            checkpoints = option(args, "--checkpoint-dir")
            if checkpoints is None or dated not in checkpoints:
                problems.append(f"task {task_id}: qat's --checkpoint-dir {checkpoints!r} is not dated (…{dated}…)")
            if (conf or {}).get("spark.dynamicAllocation.enabled") != "false":
                problems.append(f"task {task_id}: qat without spark.dynamicAllocation.enabled=false in its conf")
        if gate is not None and task_id not in gate.upstream_task_ids:
            problems.append(f"task {task_id}: not upstream of {GATE}")
    published = set()
    for task_id, _, args, _ in publishes:
        output = option(args, "--output")
        if option(args, "--latest") is None:
            problems.append(f"task {task_id}: publish without --latest")
        if output not in outputs:
            problems.append(f"task {task_id}: publishes {output!r}, which no job writes")
        published.add(output)
        if gate is not None and gate.task_id not in upstream_closure(dag, task_id):
            problems.append(f"task {task_id}: does not wait for {GATE}")
    for output, task_id in outputs.items():
        if output not in published:
            problems.append(f"task {task_id}: its output {output} is never published")
    if problems:
        raise Problems(problems)


def upstream_closure(dag, task_id):
    """Every task that runs before a task."""
    seen, todo = set(), [task_id]
    while todo:
        for up in dag.task_dict[todo.pop()].upstream_task_ids:
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def check_default_paths(dag, rendered):
    """With the params' defaults, the inputs and outputs are on a cluster file system."""
    problems = []
    for task_id, _, args, _ in rendered:
        for name in PATH_OPTIONS if args else ():
            value = option(args, name)
            if value is not None and not value.startswith(DEFAULT_SCHEMES):
                problems.append(f"task {task_id}: by default {name} is {value!r}, not a "
                                f"{' or '.join(DEFAULT_SCHEMES)} URI")
    if problems:
        raise Problems(problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
