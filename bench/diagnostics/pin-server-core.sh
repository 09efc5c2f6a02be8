#!/bin/bash
# Pins a running benchmark's server side (the Temporal server, PostgreSQL) to CPU 0 and its Node side (workers, API,
# load generator) to CPU 1, so the server does not share its core with the worker, as on a deployment where they run
# on separate machines. Run it beside `npm run bench` (it pins each matching process, all its threads, once when it
# appears; threads started later inherit the pin) and stop it afterwards: bash bench/diagnostics/pin-server-core.sh &
declare -A pinned
while true; do
  for pid in $(pgrep -f 'start-dev|temporal-server|postgres'); do
    [ -n "${pinned[$pid]}" ] && continue
    taskset -a -cp 0 "$pid" > /dev/null 2>&1 && pinned[$pid]=0
  done
  for pid in $(pgrep -f 'pulse-worker.ts|baseline-worker.ts|pulse-api.ts|thundering-herd.ts|run-all.ts'); do
    [ -n "${pinned[$pid]}" ] && continue
    taskset -a -cp 1 "$pid" > /dev/null 2>&1 && pinned[$pid]=1
  done
  sleep 1
done
