#!/usr/bin/env bash
# Runs every test Fanout has, on a fresh machine: installs what the tests need, builds, runs the xunit suite,
# then runs the README's main command and checks the figures its run.json must show.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
  echo "== installing: ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL: the store and distributed-worker tests need a real server. Unless FANOUT_TEST_POSTGRES names one, install
# PostgreSQL from apt when missing, start a throwaway cluster on loopback in a temporary directory (run as the postgres
# user: it refuses root) and stop + delete it on exit.
cleanup=()
on_exit() { local c; for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT
if [ -z "${FANOUT_TEST_POSTGRES:-}" ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "== installing: postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  pg_dir=$(mktemp -d /tmp/fanout-pg.XXXXXX)
  chown postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "== postgresql: $pg_bin on 127.0.0.1:$pg_port ($pg_dir)"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U fanout >/dev/null
  cleanup+=("runuser -u postgres -- '$pg_bin/pg_ctl' -D '$pg_dir/data' -m immediate stop >/dev/null 2>&1; rm -rf '$pg_dir'")
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300" -w start >/dev/null
  export FANOUT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=fanout;Database=postgres"
fi

# Claude Code: the agent test that drives the real CLI against the simulator needs it. Installed (pinned) under the
# ignored artifacts/ folder, once; without npm or a registry the test reports itself skipped and the suite goes on.
claude_version=2.1.332
claude_dir="$PWD/artifacts/claude-code"
claude_bin="$claude_dir/node_modules/.bin/claude"
if [ ! -x "$claude_bin" ] || [ "$("$claude_bin" --version 2>/dev/null | cut -d' ' -f1)" != "$claude_version" ]; then
  echo "== installing: @anthropic-ai/claude-code@$claude_version (npm)"
  if ! { command -v npm >/dev/null && npm install --prefix "$claude_dir" --no-audit --no-fund --loglevel=error \
      "@anthropic-ai/claude-code@$claude_version" >/dev/null; }; then
    echo "   not installed (npm missing or unreachable): the Claude Code test will be skipped"
  fi
fi
[ -x "$claude_bin" ] && export FANOUT_TEST_CLAUDE="$claude_bin"

echo "== build"
dotnet build Fanout.slnx -c Release -nologo -v q

echo "== unit and integration tests"
log=$(mktemp)
set +e
dotnet test Fanout.slnx -c Release --no-build -nologo -v q --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1)
failed=$(sed -E 's/Failed: +([0-9]+).*/\1/' <<<"$summary")
passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
rm -f "$log"
if [ "$status" -ne 0 ] || [ -z "$summary" ]; then
  echo "tests: ${passed:-0} passed, ${failed:-?} failed"
  exit 1
fi

echo "== example: examples/site-generator (the README's main command)"
out=$(mktemp -d)
cleanup+=("rm -rf '$out'")
# A fresh store and --no-cache: a journal or cache left by an earlier run in this folder would serve the tasks and the
# figures below would not measure a real run.
dotnet run --project src/Fanout.Cli -c Release --no-build -- run examples/site-generator/plan.yaml --out "$out" --plain \
  --store "$out/fanout.db" --no-cache
python3 - "$out/run.json" "$out/report.html" <<'PY'
import json, sys, os
report = json.load(open(sys.argv[1]))
assert os.path.getsize(sys.argv[2]) > 1000, "report.html missing or empty"
print(f"example: status={report['status']} speedup={report['speedup']} efficiency={report['efficiency']} "
      f"makespan={report['makespan_ms']/1000:.1f}s tasks={len(report['tasks'])}")
assert report["status"] == "succeeded", report["status"]
assert report.get("cache_hits", 0) == 0, f"{report['cache_hits']} tasks came from the cache: not a real run"
assert report["speedup"] >= 3, f"speedup {report['speedup']} < 3"
assert report["efficiency"] >= 0.95, f"efficiency {report['efficiency']} < 0.95"
PY
echo "== example: examples/tool-batch (parallel, --sequential, --verify-sequential) from a copy of its folder"
batch=$(mktemp -d)
cleanup+=("rm -rf '$batch'")
fanout_cli=(dotnet run --project "$PWD/src/Fanout.Cli" -c Release --no-build --)
for mode in parallel sequential; do
  cp -r examples/tool-batch "$batch/$mode"
  flag=(); [ "$mode" = sequential ] && flag=(--sequential)
  (cd "$batch/$mode" && "${fanout_cli[@]}" run plan.yaml "${flag[@]}" --out "$batch/$mode-run" --plain --store memory >/dev/null)
done
python3 - "$batch/parallel-run/run.json" "$batch/sequential-run/run.json" <<'PY'
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
outputs = [{t["id"]: (t["status"], t.get("output")) for t in r["tasks"]} for r in runs]
print(f"tool-batch: parallel {runs[0]['makespan_ms']:.0f}ms (speedup {runs[0]['speedup']}), sequential {runs[1]['makespan_ms']:.0f}ms, "
      f"{len(runs[0]['inferred_edges'])} inferred edges")
assert all(r["status"] == "succeeded" for r in runs), [r["status"] for r in runs]
assert runs[1]["peak_concurrency"] == 1, runs[1]["peak_concurrency"]
assert outputs[0] == outputs[1], "parallel and sequential outputs differ"
PY
fresh=$(mktemp -d)
cleanup+=("rm -rf '$fresh'")
cp -r examples/tool-batch/. "$fresh"
(cd "$fresh" && "${fanout_cli[@]}" run plan.yaml --verify-sequential)
# --- begin: examples/agent-team (issue 16) ---------------------------------------------------------------------------
echo "== example: examples/agent-team (coding agents in git worktrees) from a copy of its folder made into a git repository"
team=$(mktemp -d)
cleanup+=("rm -rf '$team'")
cp -r examples/agent-team "$team/repo"
git -C "$team/repo" init -q -b main
git -C "$team/repo" add -A
git -C "$team/repo" -c user.name=fanout-test -c user.email=test@localhost commit -qm "agent-team example"
(cd "$team/repo" && "${fanout_cli[@]}" run plan.yaml --plain --out "$team/run" --store memory >/dev/null)
run_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["run_id"])' "$team/run/run.json")
for task in research_api research_ui backend frontend integrated security_review docs; do
  git -C "$team/repo" rev-parse --verify -q "refs/heads/fanout/$run_id/$task" >/dev/null \
    || { echo "agent-team: branch fanout/$run_id/$task is missing"; exit 1; }
done
worktrees=$(git -C "$team/repo" worktree list --porcelain | grep -c '^worktree ')
[ "$worktrees" -eq 1 ] || { echo "agent-team: $((worktrees - 1)) worktree(s) left after success"; exit 1; }
git -C "$team/repo" worktree add -q --detach "$team/integrated" "fanout/$run_id/integrated"
(cd "$team/integrated" && python3 -m unittest discover -s tests -q 2>&1 | tail -n 1)
git -C "$team/repo" worktree remove --force "$team/integrated"
echo "agent-team: run $run_id — 7 branches, no worktree left, the integrated branch passes its test"
# --- end: examples/agent-team ---------------------------------------------------------------------------------------
echo "tests: $passed passed, $failed failed, $skipped skipped"
