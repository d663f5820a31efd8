"""The data set loader under hostile files: its description (dataset.json), the curve tables and
the .npy arrays damaged by the shared structural mutators. Only DatasetError naming the file
escapes, or the data set loads with frames of the right shape."""
from __future__ import annotations

import json
import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutate import dump_json, mutate_bytes, mutate_csv, mutate_json, record, corpus_files


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from core.head import default_head
    from core.training.dataset import CameraSpec, make_sources, render_frames

    root = tmp_path_factory.mktemp("fuzzds")
    head = default_head()
    make_sources(root, head, num_train=1, num_val=1, size=(16, 16), sentences_per_sequence=1, seed=5,
                 cameras=(CameraSpec(0.0, 0.0),), max_seconds=0.8)
    render_frames(root, head, backend="gl", write_png_every=1000)
    return root


def _loads(root):
    from core.training.dataset import load_dataset

    ds = load_dataset(root)
    for s in ds.sequences:
        f = s.frames(0)
        assert f.ndim == 4 and f.shape[0] >= 1
        assert s.mel.ndim == 2
    return ds


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), target=st.sampled_from(["dataset.json", "aus.csv", "mel.npy", "frames"]))
def test_any_damaged_file_gives_only_a_dataset_error(small_dataset, tmp_path_factory, seed, target):
    from core.training.dataset import DatasetError

    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("case")
    shutil.copytree(small_dataset, root, dirs_exist_ok=True)
    seq = sorted(p for p in root.iterdir() if p.is_dir())[0]
    if target == "dataset.json":
        p = root / "dataset.json"
        p.write_text(dump_json(mutate_json(json.loads(p.read_text()), rng, rounds=rng.choice([1, 2]))))
    elif target == "aus.csv":
        p = seq / "aus.csv"
        p.write_text(mutate_csv(p.read_text(), rng, rounds=rng.choice([1, 3])))
    elif target == "mel.npy":
        p = seq / "mel.npy"
        p.write_bytes(mutate_bytes(p.read_bytes(), rng, rounds=rng.choice([1, 3]), protect=6))
    else:
        p = seq / "frames_cam0.npy"
        p.write_bytes(mutate_bytes(p.read_bytes(), rng, rounds=rng.choice([1, 3]), protect=6))
    # The loader is given the folder; the error may rightly name another file of it (a damaged
    # description can point at a sequence that is not there), so the message must name the folder.
    try:
        _loads(root)
    except DatasetError as exc:
        assert str(root) in str(exc), exc
    except Exception as exc:  # noqa: BLE001 - whatever escapes is the finding
        saved = record("dataset", p.read_bytes(), "." + p.name)
        raise AssertionError(f"{type(exc).__name__} escaped for a damaged {target}: {exc!s:.300} "
                             f"(kept as {saved.name})") from exc


@pytest.mark.parametrize("found", corpus_files("dataset"), ids=lambda p: p.name)
def test_corpus_files_give_a_dataset_error(small_dataset, tmp_path, found):
    """Every damaged file that once escaped, put back in place of the file it damaged (its name
    ends with that file's name: ``*.dataset.json``, ``*.aus.csv``, ``*.mel.npy``)."""
    from core.training.dataset import DatasetError, load_dataset

    root = tmp_path / "ds"
    shutil.copytree(small_dataset, root)
    seq = sorted(p for p in root.iterdir() if p.is_dir())[0]
    target = next(t for t in ("dataset.json", "aus.csv", "mel.npy", "frames_cam0.npy") if found.name.endswith(t))
    (root if target == "dataset.json" else seq).joinpath(target).write_bytes(found.read_bytes())
    with pytest.raises(DatasetError, match=str(root)):
        load_dataset(root)


def test_the_undamaged_data_set_loads(small_dataset):
    assert len(_loads(small_dataset).sequences) == 2
