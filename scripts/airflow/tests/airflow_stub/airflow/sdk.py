"""DAG, Param and BaseOperator, recording what a DAG file declares."""

_open_dags = []  # DAGs whose ``with`` block is running, innermost last


class Param:
    """A DAG param: its default and its JSON schema (type, enum, minimum, pattern, ...), as Airflow's Param."""

    def __init__(self, default=None, description=None, **schema):
        self.value = default
        self.description = description
        self.schema = schema


class DAG:
    """A DAG: its arguments and its tasks, in declaration order; a context manager, as Airflow's."""

    ARGUMENTS = frozenset({
        "description", "schedule", "start_date", "end_date", "catchup", "default_args", "params", "tags", "doc_md",
        "max_active_runs", "max_active_tasks", "dagrun_timeout", "render_template_as_native_obj", "template_undefined",
        "user_defined_macros", "user_defined_filters", "is_paused_upon_creation", "owner_links", "fail_fast",
        "dag_display_name", "access_control",
    })

    def __init__(self, dag_id, **kwargs):
        unknown = sorted(set(kwargs) - self.ARGUMENTS)
        if unknown:
            raise TypeError(f"DAG {dag_id}: unknown arguments {unknown}")
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.schedule = kwargs.get("schedule")
        self.catchup = kwargs.get("catchup")
        self.default_args = dict(kwargs.get("default_args") or {})
        self.params = {k: v if isinstance(v, Param) else Param(v) for k, v in (kwargs.get("params") or {}).items()}
        self.task_dict = {}

    @property
    def tasks(self):
        return list(self.task_dict.values())

    def __enter__(self):
        _open_dags.append(self)
        return self

    def __exit__(self, *exc):
        _open_dags.pop()
        return False

    def add_task(self, task):
        if task.task_id in self.task_dict:
            raise ValueError(f"DAG {self.dag_id}: task id {task.task_id!r} is used twice")
        self.task_dict[task.task_id] = task


def _tasks(other):
    return list(other) if isinstance(other, (list, tuple, set)) else [other]


class BaseOperator:
    """A task: its id, its arguments (the DAG's default_args filled in, as Airflow does) and its neighbours.

    Subclasses list their own keyword arguments and defaults in ``ARGUMENTS`` and their templated ones in
    ``template_fields``; each becomes an attribute. An argument neither they nor BaseOperator know is an error, as in
    Airflow.
    """

    BASE_ARGUMENTS = frozenset({
        "owner", "email", "email_on_retry", "email_on_failure", "retries", "retry_delay", "retry_exponential_backoff",
        "max_retry_delay", "start_date", "end_date", "depends_on_past", "wait_for_downstream", "params",
        "default_args", "priority_weight", "weight_rule", "queue", "pool", "pool_slots", "execution_timeout",
        "on_execute_callback", "on_failure_callback", "on_success_callback", "on_retry_callback", "trigger_rule",
        "max_active_tis_per_dag", "executor_config", "do_xcom_push", "doc", "doc_md", "doc_rst", "doc_json",
        "doc_yaml", "task_display_name", "executor",
    })
    ARGUMENTS = {}
    template_fields = ()

    def __init__(self, *, task_id, dag=None, **kwargs):
        dag = dag or (_open_dags[-1] if _open_dags else None)
        if dag is None:
            raise RuntimeError(f"task {task_id}: created outside a DAG")
        known = self.BASE_ARGUMENTS | set(self.ARGUMENTS)
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"{type(self).__name__} {task_id}: unknown arguments {unknown}")
        self.task_id = task_id
        self.dag = dag
        self.kwargs = {k: v for k, v in dag.default_args.items() if k in known}
        self.kwargs.update(kwargs)
        for name, default in self.ARGUMENTS.items():
            setattr(self, name, self.kwargs.get(name, default))
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        dag.add_task(self)

    def set_downstream(self, other):
        for task in _tasks(other):
            self.downstream_task_ids.add(task.task_id)
            task.upstream_task_ids.add(self.task_id)

    def set_upstream(self, other):
        for task in _tasks(other):
            task.set_downstream(self)

    def __rshift__(self, other):
        self.set_downstream(other)
        return other

    def __lshift__(self, other):
        self.set_upstream(other)
        return other

    def __rrshift__(self, other):  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other):  # [a, b] << self
        self.set_downstream(other)
        return self

    def __repr__(self):
        return f"<{type(self).__name__} {self.task_id}>"
