"""A real, paced audio output for the playback tests: the JACK dummy backend.

jackd runs under its own server name so it cannot meet another JACK server on the machine;
PortAudio's JACK host API finds it through JACK_DEFAULT_SERVER. PortAudio enumerates host APIs
when it initialises, so it is re-initialised once the server is up.

jackd's messages go to a log file, never to a pipe: it logs every client that comes and goes, and
a pipe nobody read filled up after a few hundred streams of a whole test run; jackd then blocked
writing to it, stopped running its clients, and the next stream's stop() waited for ever.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

JACK_RATE = 48000
JACK_PERIOD = 1024


def _jack_device():
    import sounddevice as sd

    sd._terminate()
    sd._initialize()
    for api in sd.query_hostapis():
        if "JACK" in api["name"] and api["devices"]:
            return api["default_output_device"]
    return None


@pytest.fixture(scope="session")
def jack_device():
    """Index of the PortAudio output device on a running JACK dummy server (48 kHz, 1024 frames)."""
    jackd = shutil.which("jackd")
    if jackd is None:
        pytest.skip("jackd is not installed (apt package jackd2); the playback tests need its dummy backend")
    name = f"emozone_test_{os.getpid()}"
    env_before = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER",
                                                 "JACK_NO_AUDIO_RESERVATION")}
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_START_SERVER"] = "1"  # clients must not spawn a second server
    os.environ["JACK_NO_AUDIO_RESERVATION"] = "1"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [jackd, "-n", name, "--no-realtime", "-d", "dummy", "-r", str(JACK_RATE), "-p", str(JACK_PERIOD)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ.copy())
    try:
        device = None
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                out = log.read().decode(errors="replace")
                pytest.fail(f"jackd exited with {proc.returncode}: {out[-2000:]}")
            device = _jack_device()
            if device is not None:
                break
            time.sleep(0.2)
        if device is None:
            pytest.fail("jackd started but PortAudio does not list a JACK output device")
        yield device
    finally:
        import sounddevice as sd

        # PortAudio's JACK host API asserts if the server vanishes under it: close PortAudio first.
        sd._terminate()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sd._initialize()
