#!/usr/bin/env bash
# Usage: scripts/test-db.sh ensure
#        scripts/test-db.sh start DIR | stop DIR
#        scripts/test-db.sh stop-server DIR SERVER | start-server DIR SERVER
#        scripts/test-db.sh psql DIR SQL...
#        scripts/test-db.sh redis-cli DIR [--tcp] ARGS...
#
# Throwaway PostgreSQL and Redis servers for the tests, on loopback only.
#
#   ensure        installs Debian's postgresql and redis-server when their
#                 binaries are missing. The packages' own services (a system
#                 cluster on 5432, a system Redis on 6379) are kept from
#                 starting during the install when no policy-rc.d exists; the
#                 tests never use them either way.
#   start DIR     a fresh PostgreSQL (superuser xoxe, scram-sha-256, random
#                 password, database xoxe_test, 127.0.0.1 on a free port, fsync
#                 on), a Redis on a unix socket and a Redis on 127.0.0.1 on a
#                 free port (one random password for both; AOF with
#                 appendfsync always), all state under DIR. Writes DIR/env
#                 (export lines, mode 0600) and DIR/secrets (the PostgreSQL
#                 password, then the Redis one, for the secret scan). When all
#                 three servers of DIR already run, does nothing; otherwise it
#                 stops what is left and starts over with empty servers.
#   stop DIR      stops all three (PostgreSQL -m immediate, Redis SHUTDOWN
#                 NOSAVE), kills nothing it did not start; safe to repeat, or
#                 after a half-done start. Keeps DIR (logs, env, secrets).
#   stop-server DIR postgres|redis|redis-unix|redis-tcp
#   start-server DIR postgres|redis|redis-unix|redis-tcp
#                 stop or start one server ("redis": both Redis servers),
#                 keeping its data, port and socket.
#   psql DIR SQL...
#                 runs each SQL with psql as xoxe on xoxe_test over TCP
#                 (unaligned, tuples only, stops at the first error).
#   redis-cli DIR [--tcp] ARGS...
#                 redis-cli against the unix-socket Redis (--tcp: the TCP one).
#
# The passwords never reach a command line, the terminal or a log: initdb reads
# a pwfile, Redis a 0600 config file, psql a PGPASSFILE, redis-cli REDISCLI_AUTH.
# As root, the PostgreSQL tools run as the postgres user (initdb refuses root):
# their directory DIR/pg belongs to postgres, or, when postgres cannot reach DIR
# (or its socket path would be too long), a mktemp directory under /tmp that
# DIR/state records and stop removes (after copying its log to DIR). Commands
# that start or stop servers of one DIR take DIR/lock (flock) in turn.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

# Unix socket paths are limited to 107 bytes (sun_path).
max_socket_path=100
wait_steps=150 # 0.1 s each

# ---------------------------------------------------------------------------
# ensure

pg_bindir() {
  local d dirs=()
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  fi
  shopt -s nullglob
  dirs=(/usr/lib/postgresql/*/bin)
  shopt -u nullglob
  [ ${#dirs[@]} -gt 0 ] || return 1
  while read -r d; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done < <(printf '%s\n' "${dirs[@]}" | sort -V -r)
  return 1
}

missing_packages() {
  local bin
  bin=$(pg_bindir || true)
  if [ -z "$bin" ] || ! command -v psql >/dev/null 2>&1 || ! id -u postgres >/dev/null 2>&1; then
    echo postgresql
  fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo redis-server
  fi
}

cmd_ensure() {
  local missing=() sudo_="" policy=/usr/sbin/policy-rc.d made_policy=""
  mapfile -t missing < <(missing_packages)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "installing: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo_=sudo
  # Keep the packages' services (a system cluster on 5432, Redis on 6379) from
  # starting: "exit 101" tells invoke-rc.d and deb-systemd-invoke not to.
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, %s: no service starts during the install\nexit 101\n' "$prog" \
      | $sudo_ tee "$policy" >/dev/null
    $sudo_ chmod 755 "$policy"
    made_policy=1
    # shellcheck disable=SC2064 # expand now: the path and sudo are fixed
    trap "$sudo_ rm -f '$policy'" EXIT
  fi
  # Quiet: apt's output is shown only when it fails.
  local log
  log=$(mktemp)
  if ! $sudo_ apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "apt-get update failed"
  fi
  if ! DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$log"
  if [ -n "$made_policy" ]; then $sudo_ rm -f "$policy"; trap - EXIT; fi
  missing=()
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -eq 0 ] || die "still missing after the install: ${missing[*]}"
}

# ---------------------------------------------------------------------------
# state

# Sets the globals for DIR: paths, and (when start recorded them) PG_DIR,
# PG_BIN, PG_PORT, REDIS_PORT, PG_TMP from DIR/state.
load_dir() {
  if [ $# -lt 1 ] || [ -z "$1" ]; then die "missing DIR"; fi
  DIR=$(realpath -m -- "$1")
  [[ $DIR =~ ^/[A-Za-z0-9_./+-]+$ ]] \
    || die "DIR must be a path of letters, digits and _./+- only (it goes into URLs and config files): $DIR"
  case $DIR in /|/bin|/boot|/dev|/etc|/home|/lib|/proc|/root|/sys|/tmp|/usr|/var) die "refusing DIR=$DIR";; esac
  STATE=$DIR/state
  ENV_FILE=$DIR/env
  SECRETS=$DIR/secrets
  PGPASS=$DIR/pgpass
  R_UNIX_DIR=$DIR/redis
  R_TCP_DIR=$DIR/redis-tcp
  R_SOCK=$DIR/redis.sock
  PG_DIR="" PG_BIN="" PG_PORT="" REDIS_PORT="" PG_TMP=""
  if [ -f "$STATE" ]; then
    local k v
    while IFS='=' read -r k v; do
      case $k in
        PG_DIR) PG_DIR=$v;; PG_BIN) PG_BIN=$v;; PG_PORT) PG_PORT=$v;;
        REDIS_PORT) REDIS_PORT=$v;; PG_TMP) PG_TMP=$v;;
      esac
    done < "$STATE"
  fi
}

# Serializes the commands that change DIR's servers (fd 9; the servers
# themselves are started with it closed, so they do not hold the lock).
lock_dir() {
  mkdir -p "$DIR"
  exec 9>>"$DIR/lock"
  flock -w 300 9 || die "another $prog holds $DIR/lock"
}

save_state() {
  ( umask 077
    printf 'PG_DIR=%s\nPG_BIN=%s\nPG_PORT=%s\nREDIS_PORT=%s\nPG_TMP=%s\n' \
      "$PG_DIR" "$PG_BIN" "$PG_PORT" "$REDIS_PORT" "$PG_TMP" > "$STATE.tmp" )
  mv -f "$STATE.tmp" "$STATE"
}

need_state() {
  if [ -z "$PG_DIR" ] || [ -z "$PG_BIN" ] || [ -z "$PG_PORT" ] || [ -z "$REDIS_PORT" ]; then
    die "no servers were set up in $DIR (run: $prog start $DIR)"
  fi
}

pg_password() { sed -n 1p "$SECRETS"; }
redis_password() { sed -n 2p "$SECRETS"; }

random_secret() { od -An -tx1 -N20 /dev/urandom | tr -d ' \n'; }

# A port nobody listens on now: bind 127.0.0.1:0 and let go of it (Debian's
# python3 first: a version-manager shim costs a few tenths of a second).
free_port() {
  local py=python3
  [ ! -x /usr/bin/python3 ] || py=/usr/bin/python3
  "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Runs a PostgreSQL tool as postgres (as root) from a directory it can enter.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

# True when PID runs (a zombie does not: the servers daemonize, and some
# containers' init reaps its adopted children only now and then).
alive() {
  local stat
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# True when PID runs and its name starts with NAME.
pid_is() {
  local pid=$1 name=$2 comm
  alive "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$name"* ]]
}

wait_gone() {
  local pid=$1 i
  for ((i = 0; i < wait_steps; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------
# PostgreSQL

pg_data() { echo "$PG_DIR/data"; }
pg_log() { echo "$PG_DIR/postgres.log"; }

pg_postmaster_pid() {
  local f
  f=$(pg_data)/postmaster.pid
  [ -n "$PG_DIR" ] && [ -f "$f" ] || return 1
  head -n1 "$f"
}

pg_running() {
  local pid
  pid=$(pg_postmaster_pid 2>/dev/null) || return 1
  pid_is "$pid" postgres
}

pg_ready() {
  [ -n "$PG_BIN" ] && [ -n "$PG_PORT" ] || return 1
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -U xoxe -t 2 >/dev/null 2>&1
}

# Chooses PG_DIR: DIR/pg when postgres can reach it and the socket path fits.
pg_choose_dir() {
  local d=$DIR/pg sock_len suffix=/.s.PGSQL.65535
  sock_len=$(( ${#d} + ${#suffix} ))
  PG_TMP=""
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$d"
    chown postgres:postgres "$d"
    chmod 0700 "$d"
    if [ "$sock_len" -le "$max_socket_path" ] && as_postgres test -w "$d" -a -x "$d"; then
      PG_DIR=$d; return 0
    fi
    rmdir "$d" 2>/dev/null || true
    PG_TMP=$(mktemp -d /tmp/xoxe-pg.XXXXXX)
    chown postgres:postgres "$PG_TMP"
    chmod 0700 "$PG_TMP"
    note "the postgres user cannot use $d (no search permission on a parent, or the socket path is too long): using $PG_TMP"
    PG_DIR=$PG_TMP
  else
    mkdir -p "$d"
    chmod 0700 "$d"
    [ "$sock_len" -le "$max_socket_path" ] || die "socket path under $d too long; use a shorter DIR"
    PG_DIR=$d
  fi
}

pg_write_port() {
  local conf
  conf=$(pg_data)/xoxe.conf
  {
    echo "# written by $prog"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PG_DIR'"
    echo "unix_socket_permissions = 0700"
    echo "fsync = on"
    echo "synchronous_commit = on"
    echo "max_connections = 200"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
  } > "$conf"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$conf"
  chmod 0600 "$conf"
}

pg_init() {
  local pwfile data pass
  data=$(pg_data)
  pwfile=$PG_DIR/pwfile
  pass=$(pg_password)
  ( umask 077; printf '%s\n' "$pass" > "$pwfile" )
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$pwfile"
  if ! as_postgres "$PG_BIN/initdb" -D "$data" -U xoxe --pwfile="$pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C --no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    sed 's/^/  /' "$PG_DIR/initdb.log" >&2
    die "initdb failed (log: $PG_DIR/initdb.log)"
  fi
  rm -f "$pwfile"
  echo "include_if_exists = 'xoxe.conf'" >> "$data/postgresql.conf"
}

# Starts the cluster on PG_PORT; returns 2 when the port was taken.
pg_start_once() {
  local log
  log=$(pg_log)
  pg_write_port
  if as_postgres "$PG_BIN/pg_ctl" -D "$(pg_data)" -l "$log" -w -t 60 start >/dev/null 2>&1; then
    return 0
  fi
  if grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets' "$log" 2>/dev/null; then
    return 2
  fi
  return 1
}

pg_start() { # $1: "retry" to pick another port when PG_PORT is taken
  local rc attempt
  pg_running && return 0
  for attempt in 1 2 3 4 5; do
    rc=0; pg_start_once || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 2 ] && [ "${1:-}" = retry ] && [ "$attempt" -lt 5 ]; then
      note "port $PG_PORT was taken; trying another"
      PG_PORT=$(free_port); save_state
      continue
    fi
    tail -n 20 "$(pg_log)" 2>/dev/null | sed 's/^/  /' >&2 || true
    die "PostgreSQL did not start on 127.0.0.1:$PG_PORT (log: $(pg_log))"
  done
}

pg_stop() {
  local pid
  pid=$(pg_postmaster_pid 2>/dev/null) || return 0
  pid_is "$pid" postgres || { rm -f "$(pg_data)/postmaster.pid"; return 0; }
  local children=() child
  mapfile -t children < <(pgrep -P "$pid" || true)
  as_postgres "$PG_BIN/pg_ctl" -D "$(pg_data)" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  if ! wait_gone "$pid"; then
    note "PostgreSQL ($pid) ignored pg_ctl stop; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" || die "PostgreSQL ($pid) did not exit"
  fi
  # The postmaster waits for its children; make sure none lingers anyway.
  for child in "${children[@]}"; do
    pid_is "$child" postgres || continue
    wait_gone "$child" || { kill -KILL "$child" 2>/dev/null || true; wait_gone "$child" || true; }
  done
}

pg_psql() { # psql as xoxe over TCP; extra args follow
  local db=$1; shift
  PGPASSFILE=$PGPASS PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$PG_PORT user=xoxe dbname=$db" "$@"
}

# ---------------------------------------------------------------------------
# Redis

redis_dir() { case $1 in unix) echo "$R_UNIX_DIR";; tcp) echo "$R_TCP_DIR";; esac; }

redis_pid() {
  local f
  f=$(redis_dir "$1")/redis.pid
  [ -f "$f" ] || return 1
  head -n1 "$f"
}

redis_running() {
  local pid
  pid=$(redis_pid "$1" 2>/dev/null) || return 1
  pid_is "$pid" redis-server
}

redis_cli() { # KIND ARGS...
  local kind=$1 pass; shift
  pass=$(redis_password)
  if [ "$kind" = unix ]; then
    REDISCLI_AUTH=$pass redis-cli -s "$R_SOCK" "$@"
  else
    REDISCLI_AUTH=$pass redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}

# One command with a deadline (something else on the port may never answer).
redis_probe() { # KIND ARGS...
  local kind=$1 pass; shift
  pass=$(redis_password)
  if [ "$kind" = unix ]; then
    REDISCLI_AUTH=$pass timeout 3 redis-cli -s "$R_SOCK" "$@" 2>/dev/null
  else
    REDISCLI_AUTH=$pass timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@" 2>/dev/null
  fi
}

redis_write_conf() {
  local kind=$1 d
  d=$(redis_dir "$kind")
  ( umask 077
    {
      echo "# written by $prog"
      if [ "$kind" = unix ]; then
        echo "port 0"
        echo "unixsocket $R_SOCK"
        echo "unixsocketperm 700"
      else
        echo "bind 127.0.0.1"
        echo "port $REDIS_PORT"
      fi
      echo "dir $d"
      echo "save \"\""
      echo "appendonly yes"
      echo "appendfsync always"
      echo "daemonize yes"
      echo "pidfile $d/redis.pid"
      echo "logfile $d/redis.log"
      echo "requirepass $(redis_password)"
    } > "$d/redis.conf" )
}

# Starts one Redis; returns 2 when its TCP port was taken.
redis_start_once() {
  local kind=$1 d pid i
  d=$(redis_dir "$kind")
  redis_write_conf "$kind"
  rm -f "$d/redis.pid"
  : >> "$d/redis.log"
  local log_lines
  log_lines=$(wc -l < "$d/redis.log")
  # (daemonize: it returns once forked; a bad config fails here, on stderr)
  redis-server "$d/redis.conf" >>"$d/redis.log" 2>&1 9>&- || return 1
  for ((i = 0; i < wait_steps; i++)); do
    # daemonized: the pid file appears, then the process may die on a bind error
    # One reader, no pipe: `tail | grep -q` fails under pipefail when grep quits early.
    if awk -v n="$log_lines" 'NR > n && /Address already in use|Could not create server TCP listening socket/ { found = 1 }
        END { exit !found }' "$d/redis.log"; then
      pid=$(redis_pid "$kind" 2>/dev/null) && pid_is "$pid" redis-server && kill "$pid" 2>/dev/null
      return 2
    fi
    if [ -S "${R_SOCK}" ] || [ "$kind" = tcp ]; then
      [ "$(redis_probe "$kind" PING)" != PONG ] || return 0
    fi
    if [ -f "$d/redis.pid" ] && ! redis_running "$kind" && [ "$i" -gt 10 ]; then
      return 1
    fi
    sleep 0.1
  done
  return 1
}

redis_start() { # KIND ["retry"]
  local kind=$1 d rc attempt
  d=$(redis_dir "$kind")
  redis_running "$kind" && return 0
  for attempt in 1 2 3 4 5; do
    rc=0; redis_start_once "$kind" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 2 ] && [ "${2:-}" = retry ] && [ "$attempt" -lt 5 ]; then
      note "port $REDIS_PORT was taken; trying another"
      REDIS_PORT=$(free_port); save_state
      continue
    fi
    tail -n 20 "$d/redis.log" 2>/dev/null | sed 's/^/  /' >&2 || true
    die "Redis ($kind) did not start (log: $d/redis.log)"
  done
}

redis_stop() {
  local kind=$1 pid d
  d=$(redis_dir "$kind")
  pid=$(redis_pid "$kind" 2>/dev/null) || return 0
  if pid_is "$pid" redis-server; then
    if [ -f "$SECRETS" ]; then redis_probe "$kind" SHUTDOWN NOSAVE >/dev/null || true; fi
    if ! wait_gone "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      if ! wait_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" || die "Redis ($kind, $pid) did not exit"
      fi
    fi
  fi
  rm -f "$d/redis.pid"
  [ "$kind" != unix ] || rm -f "$R_SOCK"
}

# ---------------------------------------------------------------------------
# commands

all_running() {
  [ -f "$ENV_FILE" ] && [ -f "$SECRETS" ] && [ -n "$PG_PORT" ] || return 1
  pg_running && pg_ready && redis_running unix && redis_running tcp || return 1
  [ "$(redis_probe unix PING)" = PONG ] && [ "$(redis_probe tcp PING)" = PONG ]
}

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_env() {
  local pgpass rpass
  pgpass=$(pg_password)
  rpass=$(redis_password)
  ( umask 077
    {
      echo "# written by $prog start $DIR: the throwaway test servers"
      echo "export XOXE_TEST_POSTGRES_URL=$(shell_quote "postgresql://xoxe:$pgpass@127.0.0.1:$PG_PORT/xoxe_test")"
      echo "export XOXE_TEST_REDIS_URL=$(shell_quote "redis://:$rpass@127.0.0.1:$REDIS_PORT/0")"
      echo "export XOXE_TEST_REDIS_UNIX_URL=$(shell_quote "redis+unix://$R_SOCK?db=0&pass=$rpass")"
      echo "export XOXE_TEST_DB_SECRETS=$(shell_quote "$SECRETS")"
      echo "export XOXE_TEST_DB_DIR=$(shell_quote "$DIR")"
      echo "export XOXE_TEST_PG_BIN=$(shell_quote "$PG_BIN")"
      echo "export XOXE_TEST_PG_SOCKET_DIR=$(shell_quote "$PG_DIR")"
      echo "export XOXE_TEST_PG_PORT=$(shell_quote "$PG_PORT")"
      echo "export XOXE_TEST_REDIS_SOCKET=$(shell_quote "$R_SOCK")"
      echo "export XOXE_TEST_REDIS_PORT=$(shell_quote "$REDIS_PORT")"
    } > "$ENV_FILE.tmp" )
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_start() {
  load_dir "$@"
  lock_dir
  if all_running; then
    echo "test servers already running in $DIR"
    return 0
  fi
  [ "$(id -u)" -ne 0 ] || id -u postgres >/dev/null 2>&1 || die "no postgres user (run: $prog ensure)"
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (run: $prog ensure)"
  # Whatever a failed or stopped start left: stop it, then start from nothing.
  stop_all
  rm -rf "$DIR/pg" "$R_UNIX_DIR" "$R_TCP_DIR" "$R_SOCK" "$STATE" "$ENV_FILE" "$SECRETS" "$PGPASS"
  mkdir -p "$DIR" "$R_UNIX_DIR" "$R_TCP_DIR"
  chmod 0755 "$DIR"
  chmod 0700 "$R_UNIX_DIR" "$R_TCP_DIR"
  [ $(( ${#R_SOCK} )) -le "$max_socket_path" ] || die "the Redis socket path $R_SOCK is too long; use a shorter DIR"

  PG_BIN=$(pg_bindir) || die "no PostgreSQL server binaries (initdb, pg_ctl) found (run: $prog ensure)"
  pg_choose_dir
  ( umask 077; { random_secret; echo; random_secret; echo; } > "$SECRETS" )
  PG_PORT=$(free_port)
  REDIS_PORT=0
  save_state
  ( umask 077
    printf '127.0.0.1:*:*:xoxe:%s\n%s:*:*:xoxe:%s\n' "$(pg_password)" "$PG_DIR" "$(pg_password)" > "$PGPASS" )

  pg_init
  pg_start retry
  pg_psql postgres -c 'CREATE DATABASE xoxe_test' >/dev/null || die "could not create the database xoxe_test"

  redis_start unix
  REDIS_PORT=$(free_port); save_state
  redis_start tcp retry

  write_env
  echo "test servers running in $DIR: PostgreSQL 127.0.0.1:$PG_PORT, Redis $R_SOCK and 127.0.0.1:$REDIS_PORT (env: $ENV_FILE)"
}

stop_all() {
  local failed=""
  if [ -n "$PG_DIR" ] && [ -n "$PG_BIN" ]; then pg_stop || failed=1; fi
  redis_stop unix || failed=1
  redis_stop tcp || failed=1
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
    [ ! -f "$PG_TMP/postgres.log" ] || cp -f "$PG_TMP/postgres.log" "$DIR/postgres.log" 2>/dev/null || true
    rm -rf "$PG_TMP"
    PG_TMP=""
    [ ! -f "$STATE" ] || save_state
  fi
  [ -z "$failed" ]
}

cmd_stop() {
  load_dir "$@"
  [ -d "$DIR" ] || return 0
  lock_dir
  stop_all || die "could not stop every server in $DIR"
  echo "test servers in $DIR stopped"
}

server_kinds() {
  case ${1:-} in
    postgres) echo postgres;;
    redis) echo unix; echo tcp;;
    redis-unix) echo unix;;
    redis-tcp) echo tcp;;
    *) die "SERVER must be postgres, redis, redis-unix or redis-tcp (got '${1:-}')";;
  esac
}

cmd_stop_server() {
  [ $# -eq 2 ] || die "usage: $prog stop-server DIR postgres|redis|redis-unix|redis-tcp"
  local k kinds
  kinds=$(server_kinds "$2") || exit 1
  load_dir "$1"
  need_state
  lock_dir
  for k in $kinds; do
    if [ "$k" = postgres ]; then pg_stop; else redis_stop "$k"; fi
  done
}

cmd_start_server() {
  [ $# -eq 2 ] || die "usage: $prog start-server DIR postgres|redis|redis-unix|redis-tcp"
  local k kinds
  kinds=$(server_kinds "$2") || exit 1
  load_dir "$1"
  need_state
  lock_dir
  for k in $kinds; do
    if [ "$k" = postgres ]; then
      [ -d "$PG_DIR/data" ] || die "$PG_DIR/data is gone (stop removes the /tmp fallback); run: $prog start $DIR"
      pg_start
    else
      redis_start "$k"
    fi
  done
}

cmd_psql() {
  [ $# -ge 2 ] || die "usage: $prog psql DIR SQL..."
  load_dir "$1"; shift
  need_state
  local args=() sql
  for sql in "$@"; do args+=(-c "$sql"); done
  pg_psql xoxe_test -A -t "${args[@]}"
}

cmd_redis_cli() {
  [ $# -ge 2 ] || die "usage: $prog redis-cli DIR [--tcp] ARGS..."
  load_dir "$1"; shift
  need_state
  local kind=unix
  if [ "$1" = --tcp ]; then kind=tcp; shift; fi
  redis_cli "$kind" "$@"
}

[ $# -ge 1 ] || die "usage: $prog ensure | start DIR | stop DIR | stop-server DIR SERVER | start-server DIR SERVER | psql DIR SQL... | redis-cli DIR [--tcp] ARGS..."
command=$1; shift
case $command in
  ensure) cmd_ensure;;
  start) [ $# -eq 1 ] || die "usage: $prog start DIR"; cmd_start "$@";;
  stop) [ $# -eq 1 ] || die "usage: $prog stop DIR"; cmd_stop "$@";;
  stop-server) cmd_stop_server "$@";;
  start-server) cmd_start_server "$@";;
  psql) cmd_psql "$@";;
  redis-cli) cmd_redis_cli "$@";;
  *) die "unknown command '$command' (ensure, start, stop, stop-server, start-server, psql, redis-cli)";;
esac
