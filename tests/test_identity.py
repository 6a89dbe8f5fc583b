# SPDX-License-Identifier: GPL-2.0
"""Who signs the series: the user's git identity (git config, or
GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL alone), or, on a machine with none, a
marked placeholder: the series is still written, one warning line at the
start and one at the end give the two `git config` commands, and the
cover letter's notes (after `---`) say the Signed-off-by must be
replaced."""

import os
import subprocess

import pytest

from conftest import run_apply
from pgwalk import gitops

pytestmark = pytest.mark.unit

SET_NAME = 'git config --global user.name "Your Name"'
SET_EMAIL = 'git config --global user.email "you@example.com"'
PLACEHOLDER = "Signed-off-by: PLACEHOLDER Your Name " \
    "<placeholder@example.invalid>"


@pytest.mark.parametrize("name,email,why", [
    ("", "", "user.name and user.email are not set"),
    ("Ann", "", "user.email is not set"),
    ("", "ann@kernel.org", "user.name is not set"),
    ("Ann", "1234+ann@users.noreply.github.com", "noreply"),
    ("Ann", "ann@no-reply.example.net", "noreply"),
    ("Ann", "you@example.com", "example address"),
    ("Ann", "ann@mail.example", "example address"),
    ("Ann", "root@localhost", "local address"),
    ("Ann", "ann@host.localdomain", "local address"),
    ("Ann", "root@build.(none)", "local address"),
    ("Ann", "ann", "not a mail address"),
])
def test_placeholders_are_named(name, email, why):
    assert why in gitops.placeholder(name, email)


@pytest.mark.parametrize("email", ["ann@kernel.org", "a.b@mm.example-corp.de",
                                   "maintainer@pgwalk.test"])
def test_real_addresses_sign(email):
    assert gitops.placeholder("Ann Author", email) is None


def no_identity(tmp_path, **extra):
    """The environment of a fresh machine: no global or system git
    config, an empty HOME, no identity in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "XDG_CONFIG")) and k != "EMAIL"}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1",
               # The cache stays where it was: only the identity is new.
               PGWALK_CACHE=os.environ.get("PGWALK_CACHE") or
               os.path.join(os.environ.get("XDG_CACHE_HOME") or
                            os.path.expanduser("~/.cache"), "pgwalk-series"),
               **extra)
    return env


def identity_warnings(stderr):
    """The warning lines about the identity (other checks warn too)."""
    return [l for l in stderr.splitlines()
            if l.startswith("apply.sh: warning:") and "git config" in l]


def messages(out):
    return {n: (out / n).read_text() for n in sorted(os.listdir(out))
            if n.endswith(".patch")}


def test_no_identity_writes_the_series_with_a_placeholder(minigit, tmp_path):
    out = tmp_path / "out"
    r = run_apply("--no-checkpatch", minigit, str(out),
                  env=no_identity(tmp_path))
    assert r.returncode == 0, r.stderr
    warnings = identity_warnings(r.stderr)
    assert len(warnings) == 2, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == warnings[0] and warnings[1] in lines[-2:], r.stderr
    for w in warnings:
        assert "user.name and user.email are not set" in w
        assert SET_NAME in w and SET_EMAIL in w
    texts = messages(out)
    assert len(texts) == 4
    for name, text in texts.items():
        assert "From: PLACEHOLDER Your Name <placeholder@example.invalid>" \
            in text, name
        if not name.startswith("0000-"):
            assert PLACEHOLDER in text, name
    cover = texts["0000-cover-letter.patch"]
    blurb, sep, notes = cover.partition("\n---\n")
    assert sep, cover
    assert "placeholder" not in blurb.split("\n\n", 1)[1].lower()
    assert "are a placeholder (git config user.name and user.email are " \
        "not set): replace them with your own before mailing" in \
        " ".join(notes.split())
    assert SET_NAME in notes and SET_EMAIL in notes
    assert (out / "series.mbox").read_text().count(PLACEHOLDER) == 3


def test_identity_from_the_environment_alone(minigit, tmp_path):
    out = tmp_path / "out"
    env = no_identity(tmp_path, GIT_AUTHOR_NAME="Env Author",
                      GIT_AUTHOR_EMAIL="env.author@kernel.org")
    r = run_apply("--no-checkpatch", minigit, str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert identity_warnings(r.stderr) == [], r.stderr
    for name, text in messages(out).items():
        assert "placeholder" not in text.lower(), name
        if not name.startswith("0000-"):
            assert "Signed-off-by: Env Author <env.author@kernel.org>" \
                in text, name


def test_a_noreply_address_gets_the_placeholder_too(minigit, tmp_path):
    out = tmp_path / "out"
    env = no_identity(tmp_path, GIT_AUTHOR_NAME="Ann Author",
                      GIT_AUTHOR_EMAIL="1234+ann@users.noreply.github.com")
    r = run_apply("--no-checkpatch", minigit, str(out), env=env)
    assert r.returncode == 0, r.stderr
    warnings = identity_warnings(r.stderr)
    assert len(warnings) == 2 and "noreply" in warnings[0], r.stderr
    assert all(PLACEHOLDER in t for n, t in messages(out).items()
               if not n.startswith("0000-"))


def test_the_repositorys_identity_wins_as_git_config_says(minigit, tmp_path,
                                                          monkeypatch):
    """Set globally and in the repository (user.name twice there): the
    identity is the value `git config user.name` gives, the last one."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Global Name\n\temail = global@kernel.org\n")
    for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_CONFIG_GLOBAL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HOME", str(home))
    with open(os.path.join(minigit, ".git", "config"), "a") as f:
        f.write("[user]\n\tname = First Local\n[User]\n\tName = Ann Local\n")
    monkeypatch.setattr(gitops, "_IDENTITY", {})
    asked = [subprocess.run(["git", "-C", minigit, "config", key],
                            capture_output=True, text=True).stdout.strip()
             for key in ("user.name", "user.email")]
    assert asked == ["Ann Local", "global@kernel.org"]
    assert gitops.identity(minigit) == tuple(asked)
