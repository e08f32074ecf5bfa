#!/usr/bin/env python3
"""Runs action.yml's steps as a GitHub runner would, on this machine, for action/test.sh.

    action/runner.py WORKDIR NAME=VALUE...

Inputs are NAME=VALUE (the rest take action.yml's defaults). Each step whose `if` holds (only
`inputs.NAME == 'VALUE'` conditions, joined by `&&`, are understood; a condition on another
step's output is false, as on a cache miss) and that has a `run` is run with bash in WORKDIR,
with its `env` after `${{ inputs.NAME }}` substitution, GITHUB_ACTION_PATH the repository root,
and GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH and GITHUB_ENV files in a fresh temporary
folder; a line a step adds to GITHUB_PATH is on PATH for the steps after it. `uses:` steps are
skipped (no actions/cache here) and so is any step that would install from crates.io. The
steps' output goes to stderr, as their log; stdout gets a JSON object: the exit status of the last step run, the outputs, the summary. Exit status: 0
(the action's own status is in the JSON), 2 on a usage error.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def substitute(text, inputs, outputs):
    def value(m):
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr.startswith("runner."):
            return {"os": "Linux", "arch": "X64"}.get(expr[len("runner."):], "")
        if expr.startswith("steps."):
            _, step, _, name = expr.split(".", 3)
            return outputs.get(step, {}).get(name, "")
        raise SystemExit(f"runner.py: expression not understood: {expr}")

    return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))


def condition(expr, inputs):
    for part in expr.split("&&"):
        m = re.fullmatch(r"\s*inputs\.([\w-]+)\s*==\s*'([^']*)'\s*", part)
        if m is None:
            return False  # e.g. a cache hit: never here
        if inputs[m.group(1)] != m.group(2):
            return False
    return True


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    workdir = sys.argv[1]
    with open(os.path.join(ROOT, "action.yml")) as f:
        action = yaml.safe_load(f)
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    for arg in sys.argv[2:]:
        name, _, value = arg.partition("=")
        if name not in inputs:
            print(f"runner.py: action.yml has no input {name}", file=sys.stderr)
            return 2
        inputs[name] = value
    assert action["runs"]["using"] == "composite", "a composite action"
    files = tempfile.mkdtemp()
    paths = {n: os.path.join(files, n) for n in ("output", "summary", "path", "env")}
    for p in paths.values():
        open(p, "w").close()
    outputs, status, ran = {}, 0, []
    for step in action["runs"]["steps"]:
        if "if" in step and not condition(step["if"], inputs):
            continue
        if "run" not in step or "cargo install" in step["run"]:
            continue
        with open(paths["path"]) as f:
            extra_path = [l.strip() for l in f if l.strip()]
        env = dict(os.environ)
        env.update(
            GITHUB_ACTION_PATH=ROOT,
            GITHUB_OUTPUT=paths["output"],
            GITHUB_STEP_SUMMARY=paths["summary"],
            GITHUB_PATH=paths["path"],
            GITHUB_ENV=paths["env"],
            PATH=os.pathsep.join(extra_path + [env["PATH"]]),
        )
        for k, v in (step.get("env") or {}).items():
            env[k] = substitute(v, inputs, outputs)
        open(paths["output"], "w").close()
        # As the runner does for `shell: bash`.
        script = substitute(step["run"], inputs, outputs)
        status = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                cwd=workdir, env=env, stdout=sys.stderr).returncode
        ran.append(substitute(step.get("name", step.get("id", "")), inputs, outputs))
        step_outputs = {}
        with open(paths["output"]) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                step_outputs[k] = v
        if "id" in step:
            outputs[step["id"]] = step_outputs
        if status != 0:
            break
    action_outputs = {k: substitute(v["value"], inputs, outputs) for k, v in action.get("outputs", {}).items()}
    with open(paths["summary"]) as f:
        summary = f.read()
    print(json.dumps({"status": status, "steps": ran, "outputs": action_outputs, "summary": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
