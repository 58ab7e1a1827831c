#!/usr/bin/env bash
# The raw side of the lifecycle bench: one container's create, start, wait
# for its exit and delete, as the plain runtime CLI sequence a user would type.
# The bench runs one bash per round and takes the runtime's own cost from the
# stamps this prints (EPOCHREALTIME, a builtin: no process in the timed path),
# not from Node, whose fork-based spawn copies the bench's page tables for
# every child and so added its own cost to each of the three runtime calls.
#
# usage: raw-lifecycle.sh RUNTIME ROOT BUNDLE ID PIDFILE NAPFIFO
#   prints "t0 t1 t2 t3 t4" (seconds, µs resolution): before create, after
#   create (pid read), after start, after the exit was seen, after delete.
#   NAPFIFO is a FIFO nobody writes: `read -t` on it is a sleep without a process.
set -euo pipefail
bin=$1 root=$2 bundle=$3 id=$4 pidfile=$5 nap=$6
exec {napfd}<>"$nap"
t0=$EPOCHREALTIME
# create hands its stdio to the container: nothing that the bench reads until the container exits.
"$bin" --root "$root" create --bundle "$bundle" --pid-file "$pidfile" "$id" </dev/null >/dev/null
# The pid file has no newline, so read reports end of file having read it.
read -r pid <"$pidfile" || [ -n "$pid" ]
t1=$EPOCHREALTIME
"$bin" --root "$root" start "$id" </dev/null >/dev/null
t2=$EPOCHREALTIME
# Not our child: poll its state every ms (a zombie counts as exited), for at most 30 s.
for ((i = 0; i < 30000; i++)); do
  { read -r _ _ state _ <"/proc/$pid/stat"; } 2>/dev/null || break
  [ "$state" != Z ] || break
  read -r -t 0.001 -u "$napfd" _ || :
done
[ "$i" -lt 30000 ] || { echo "$bin container $id (pid $pid) did not exit" >&2; exit 1; }
t3=$EPOCHREALTIME
"$bin" --root "$root" delete "$id" </dev/null >/dev/null
t4=$EPOCHREALTIME
echo "$t0 $t1 $t2 $t3 $t4"
