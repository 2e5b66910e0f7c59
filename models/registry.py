"""The one adapter to MLflow: tracking store, runs, the model registry and the pyfunc model.

Default store: SQLite under `$STAYOUT_HOME` with artifacts beside it; `MLFLOW_TRACKING_URI`
points anywhere else. Models are registered as `stayout-relapse` and addressed by alias
(`champion`, `challenger`), never by stage or `latest`.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import joblib
import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from features.catalogue import FEATURES_BY_NAME
from models.bundle import ModelBundle
from stayout.errors import NotFoundError
from stayout.home import stayout_home

CHAMPION, CHALLENGER = "champion", "challenger"
DEFAULT_MODEL_NAME = "stayout-relapse"  # the registered model the service answers with unless told otherwise
_SIGNATURE_TYPES = {"float": "double", "int": "long", "bool": "boolean"}
_REQUIREMENTS = ("lightgbm", "scikit-learn", "pandas", "numpy", "joblib")
_DEFAULT_MARK = "STAYOUT_DEFAULT_TRACKING_URI"  # MLflow copies any URI it is given into MLFLOW_TRACKING_URI


def _default_uri() -> str:
    return f"sqlite:///{stayout_home() / 'mlflow.db'}"


def _chosen_uri() -> str | None:
    """A store the user chose with MLFLOW_TRACKING_URI (MLflow itself also writes that variable)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    ours = (None, "", _default_uri(), os.environ.get(_DEFAULT_MARK))
    return None if uri in ours else uri


def tracking_uri() -> str:
    return _chosen_uri() or _default_uri()


def connect() -> MlflowClient:
    """Point MLflow at the store (creating the home folder for the default SQLite store)."""
    uri = tracking_uri()
    if _chosen_uri() is None:
        stayout_home().mkdir(parents=True, exist_ok=True)
        os.environ[_DEFAULT_MARK] = uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(uri, uri)


class Run:
    """A tracked run, as training and promotion write to it (the only face of MLflow they see)."""

    def __init__(self, run_id: str):
        self.run_id = run_id

    def log_params(self, params: dict[str, str]) -> None:
        mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        mlflow.log_metrics(metrics)

    def set_tags(self, tags: dict[str, str]) -> None:
        mlflow.set_tags(tags)

    def log_dict(self, value: dict, artifact: str) -> None:
        mlflow.log_dict(value, artifact)

    def log_text(self, text: str, artifact: str) -> None:
        mlflow.log_text(text, artifact)

    def log_figure(self, figure, artifact: str) -> None:
        mlflow.log_figure(figure, artifact)


@contextmanager
def run(experiment: str | None = None, run_id: str | None = None) -> Iterator[Run]:
    """A new run in `experiment`, or the existing run `run_id` reopened."""
    connect()
    kwargs = {"run_id": run_id} if run_id else {"experiment_id": experiment_id(experiment)}
    with mlflow.start_run(**kwargs) as active:
        yield Run(active.info.run_id)


def experiment_id(name: str) -> str:
    client = connect()
    found = client.get_experiment_by_name(name)
    if found:
        return found.experiment_id
    location = None if _chosen_uri() else (stayout_home() / "mlartifacts").as_uri()
    return client.create_experiment(name, artifact_location=location)


class RelapsePyfunc(mlflow.pyfunc.PythonModel):
    """Loads the bundle and returns calibrated probabilities from catalogue features."""

    def load_context(self, context) -> None:
        self.bundle: ModelBundle = joblib.load(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"score": self.bundle.predict(model_input)})


def signature(bundle: ModelBundle) -> ModelSignature:
    inputs = Schema([ColSpec(_SIGNATURE_TYPES[FEATURES_BY_NAME[name].dtype], name) for name in bundle.feature_names])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", "score")]))


def log_and_register(bundle: ModelBundle, registered_model: str) -> int:
    """Log the bundle as the active run's pyfunc model and register it; returns the new version."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.joblib"
        joblib.dump(bundle, path)
        info = mlflow.pyfunc.log_model(
            name="model", python_model=RelapsePyfunc(), artifacts={"bundle": str(path)},
            signature=signature(bundle), registered_model_name=registered_model,
            pip_requirements=[f"{package}=={version(package)}" for package in _REQUIREMENTS],
        )
    return int(info.registered_model_version)


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    run_id: str
    aliases: tuple[str, ...]
    tags: dict = field(default_factory=dict, compare=False)


def model_version(name: str, alias_or_version: str | int) -> ModelVersion:
    client = connect()
    try:
        if isinstance(alias_or_version, int) or str(alias_or_version).isdigit():
            found = client.get_model_version(name, str(alias_or_version))
        else:
            found = client.get_model_version_by_alias(name, str(alias_or_version))
    except MlflowException as exc:
        raise NotFoundError(f"model {name} has no version or alias {alias_or_version!r}; "
                            "train one with `stayout train` or list them with `stayout models`") from exc
    return ModelVersion(name, int(found.version), found.run_id, tuple(found.aliases), dict(found.tags or {}))


def has_alias(name: str, alias: str) -> bool:
    try:
        model_version(name, alias)
        return True
    except NotFoundError:
        return False


def version_with_alias(name: str, alias: str) -> ModelVersion | None:
    """The version holding `alias`, or None when no version holds it."""
    try:
        return model_version(name, alias)
    except NotFoundError:
        return None


def set_version_tags(name: str, version: int, tags: dict[str, str]) -> None:
    """Tags on a registered version (for example the last as-of date it learned from)."""
    client = connect()
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, str(value))


def set_alias(name: str, alias: str, version: int) -> None:
    connect().set_registered_model_alias(name, alias, str(version))


def load_bundle(name: str, alias_or_version: str | int) -> tuple[ModelBundle, ModelVersion]:
    """The bundle behind a registered version, loaded through MLflow's pyfunc loader."""
    found = model_version(name, alias_or_version)
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/{found.version}")
    return loaded.unwrap_python_model().bundle, found


def list_versions(name: str) -> list[ModelVersion]:
    client = connect()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
        aliases = client.get_registered_model(name).aliases  # alias -> version (search leaves them out)
    except MlflowException:
        return []
    by_version: dict[int, list[str]] = {}
    for alias, number in aliases.items():
        by_version.setdefault(int(number), []).append(alias)
    return sorted((ModelVersion(name, int(v.version), v.run_id, tuple(sorted(by_version.get(int(v.version), []))),
                                dict(v.tags or {})) for v in versions), key=lambda v: v.version)


def run_metrics(run_id: str) -> dict[str, float]:
    return dict(connect().get_run(run_id).data.metrics)


def run_tag(run_id: str, tag: str) -> str | None:
    return connect().get_run(run_id).data.tags.get(tag)


def run_json(run_id: str, artifact: str) -> dict:
    return json.loads(run_text(run_id, artifact))


def run_text(run_id: str, artifact: str) -> str:
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact, tracking_uri=tracking_uri())
    except (MlflowException, OSError) as exc:
        raise NotFoundError(f"run {run_id} has no artifact {artifact}; train the model again") from exc
    return Path(path).read_text(encoding="utf-8")
