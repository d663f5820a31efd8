"""The training pipeline end to end at toy size on the CPU: data set, training, resume, evaluation."""
import json

import numpy as np
import pytest
import torch

from core.aus import AU_INDEX, SPEECH_INDEX
from core.training.sequences import phoneme_targets, random_au_sequence, speech_truth

pytestmark = pytest.mark.slow


def test_random_au_sequences_are_smooth_bounded_and_blink():
    au = random_au_sequence(500, 25.0, np.random.default_rng(1))
    assert au.shape == (500, 17) and au.min() >= 0 and au.max() <= 5
    blink = au[:, AU_INDEX["AU45"]]
    assert blink.max() > 4.5  # blinks close the eyes fully
    onsets = np.flatnonzero((blink[1:] > 2.5) & (blink[:-1] <= 2.5))
    assert 2 <= len(onsets) <= 12  # ~17 per minute over 20 s
    dd = np.abs(np.diff(au[:, : AU_INDEX["AU45"]], 2, axis=0))
    assert dd.max() < 1.0  # no steps: expression curves are smooth at 25 fps


def test_speech_truth_closes_on_bilabials_and_opens_on_vowels():
    phonemes = [("_", 0.0, 0.2), ("m", 0.2, 0.3), ("a", 0.3, 0.5), ("p", 0.5, 0.58), ("u:", 0.58, 0.8), ("_", 0.8, 1.2)]
    s = speech_truth(phonemes, 100.0, 120)
    jaw, close, rnd = SPEECH_INDEX["jaw_open"], SPEECH_INDEX["lip_close"], SPEECH_INDEX["lip_round"]
    assert s[25, close] > 0.8 and s[40, jaw] > 0.6 and s[70, rnd] > 0.6 and s[110].max() < 0.05
    assert phoneme_targets("_:").sum() == 0


@pytest.fixture(scope="module")
def toy_dataset(tmp_path_factory):
    from core.head import default_head
    from core.training.dataset import CameraSpec, make_sources, render_frames

    root = tmp_path_factory.mktemp("ds")
    head = default_head()
    make_sources(root, head, num_train=2, num_val=2, size=(48, 48), sentences_per_sequence=1, seed=3,
                 cameras=(CameraSpec(0.0, 0.0), CameraSpec(30.0, 5.0)), max_seconds=1.6)
    render_frames(root, head, backend="gl", write_png_every=10)
    return root


def test_dataset_directory_is_inspectable_and_reloads(toy_dataset):
    from core.image import read_png
    from core.training.dataset import load_dataset

    ds = load_dataset(toy_dataset)
    assert len(ds.split("train")) == 2 and len(ds.split("val")) == 2
    seq = ds.sequences[0]
    assert (seq.path / "audio.wav").stat().st_size > 10_000
    assert seq.frames(0).shape == (seq.num_frames, 48, 48, 3)
    png = read_png(seq.path / "frames" / "cam0" / "00000.png")
    assert np.array_equal(png, np.asarray(seq.frames(0)[0]))
    assert seq.frames(0)[0].mean() > 20  # the head is in the picture


def test_frames_of_one_split_are_enough_for_evaluation(toy_dataset, tmp_path):
    """`dataset --stage frames --split val` renders the held-out sequences only; the evaluation then
    renders (PSNR/SSIM) while training on frames still says which file is missing."""
    import shutil

    from core.training.dataset import DatasetError, load_dataset, render_frames
    from core.training.evaluate import evaluate

    copy = tmp_path / "copy"
    shutil.copytree(toy_dataset, copy)
    for p in copy.glob("seq_*/frames_cam*.npy"):
        p.unlink()
    from core.head import default_head

    render_frames(copy, default_head(), backend="gl", write_png_every=1000, split="val")
    ds = load_dataset(copy, require_frames="val")
    assert all((s.path / "frames_cam0.npy").exists() == (s.split == "val") for s in ds.sequences)
    with pytest.raises(DatasetError, match=r"seq_000/frames_cam0.npy: frames not rendered yet"):
        load_dataset(copy)
    res = evaluate(copy, {}, device="cpu", backend="gl", image_every=4, fps_frames=2, au_estimates=False)
    assert np.isfinite(res["no deformation"]["psnr"]) and res["no deformation"]["psnr"] > 10


def test_corrupt_curve_file_is_named(toy_dataset, tmp_path):
    import shutil

    from core.training.dataset import DatasetError, load_dataset

    copy = tmp_path / "copy"
    shutil.copytree(toy_dataset, copy)
    csv = copy / "seq_001" / "aus.csv"
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[5], "nan", 1)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"seq_001/aus.csv: non-finite value on line 4"):
        load_dataset(copy)


def test_train_resume_and_evaluate(toy_dataset, tmp_path):
    from core.training.evaluate import evaluate, results_markdown
    from core.training.train import TrainConfig, train

    ckpt = tmp_path / "six_zones.safetensors"
    # Few steps: each renders with the reference renderer on this CPU (~10 s a step).
    cfg = TrainConfig(steps=2, window=3, render_scale=0.5, log_every=1, checkpoint_every=1)
    first = train(toy_dataset, ckpt, "six_zones", cfg, device="cpu", progress=False)
    assert first["steps"] == 2 and ckpt.exists()
    log = [json.loads(line) for line in (tmp_path / "six_zones.log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    # With the image term on, the shipped image AU estimator reads the renders (the AU-consistency term).
    assert all(np.isfinite(r["au_consistency"]) and r["au_consistency"] > 0 for r in log)
    more = train(toy_dataset, ckpt, "six_zones", TrainConfig(steps=3, window=3, render_scale=0.5, log_every=1), device="cpu", progress=False)
    assert more["steps"] == 3  # resumed at 2, ran 1 more
    log = [json.loads(line) for line in (tmp_path / "six_zones.log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    nopab = tmp_path / "no_pab.safetensors"
    train(toy_dataset, nopab, "no_pab", TrainConfig(steps=1, window=3, render_scale=0.5), device="cpu", progress=False)

    results = evaluate(toy_dataset, {"six_zones": str(ckpt), "no_pab": str(nopab)}, device="cpu", backend="gl", image_every=20, fps_frames=2)
    assert set(results) == {"no deformation", "rig", "six_zones", "no_pab"}
    for row in results.values():
        assert all(np.isfinite(v) for k, v in row.items() if k not in ("jitter", "noise_cut"))
    # The rig row is the truth: its landmarks are exact, its lips right; the AU estimator inverts it
    # to within its floor (the lower face exactly; the lids have ambiguous combinations).
    assert results["rig"]["le_l"] < 1e-3 and results["rig"]["lip_f1"] > 0.99
    assert results["rig"]["aue_l"] < 0.1 and results["rig"]["aue_u"] < 0.5
    # The canonical head misses every AU: its estimated AUs are all 0.
    assert results["no deformation"]["aue_l"] > results["rig"]["aue_l"]
    # The canonical head never moves, so it cannot leak; it misses all the motion instead.
    assert results["no deformation"]["leak_audio"] == 0 and results["no deformation"]["le_l"] > 0.1
    # The six-zone hard mask takes audio out of the upper-face zones: changing only the audio moves
    # no upper-face landmark at all. Plain attention has no such guarantee.
    assert results["six_zones"]["leak_audio"] == pytest.approx(0.0, abs=1e-6)
    assert results["no_pab"]["leak_audio"] > 1e-6
    table = results_markdown(results, "CPU")
    assert "without SZ-PAB" in table and "six zones with a hard mask" in table
