#!/usr/bin/env bash
# A two-shard ClickHouse cluster on loopback, for the SQL export's distributed test
# (test/exports/to-sql-clickhouse.integration.test.ts) and for trying the ClickHouse query
# by hand (docs/sql.md):
#
#   scripts/clickhouse-cluster.sh start DIR   two clickhouse-server processes, one shard each,
#                                             configured, kept and logged in DIR; waits until
#                                             both answer, writes DIR/cluster.json and the PIDs
#   scripts/clickhouse-cluster.sh stop DIR    stops them by the PIDs in DIR (TERM, then KILL)
#
# The cluster is named `neurules`. DIR/cluster.json names each shard's TCP and HTTP port:
#   {"cluster":"neurules","shards":[{"host":"127.0.0.1","tcp":P,"http":Q},...]}
# Ports are free ones picked at random, unless CLICKHOUSE_BASE_PORT is set (then that port
# and the next three). Debian's clickhouse-server (18.16) runs as whoever starts it, root
# included, from the config file written here; it needs no service user.
set -euo pipefail

SERVER="${CLICKHOUSE_SERVER:-$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)}"
CLIENT="${CLICKHOUSE_CLIENT:-$(command -v clickhouse-client || echo /usr/bin/clickhouse-client)}"
SHARDS=2

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# True when nothing listens on 127.0.0.1:$1.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# $1 free ports, each different, printed one a line.
free_ports() {
  local want=$1 found=() p tries=0
  if [ -n "${CLICKHOUSE_BASE_PORT:-}" ]; then
    for ((p = CLICKHOUSE_BASE_PORT; p < CLICKHOUSE_BASE_PORT + want; p++)); do
      port_free "$p" || { echo "port $p is in use (CLICKHOUSE_BASE_PORT=$CLICKHOUSE_BASE_PORT)" >&2; return 1; }
      echo "$p"
    done
    return 0
  fi
  while [ "${#found[@]}" -lt "$want" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 1000 ] || { echo "no free ports found" >&2; return 1; }
    p=$((20000 + RANDOM % 30000))
    [[ " ${found[*]} " == *" $p "* ]] && continue
    port_free "$p" && found+=("$p")
  done
  printf '%s\n' "${found[@]}"
}

# The config of shard $1 (its folder $2, ports $3 $4) with the cluster of every shard.
write_config() {
  local n=$1 dir=$2 tcp=$3 http=$4 shards=$5
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp</tcp_port>
    <http_port>$http</http_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <include_from>$dir/metrika.xml</include_from>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mlock_executable>false</mlock_executable>
    <display_name>neurules-shard-$n</display_name>
    <macros>
        <neurules_shard_dir>$dir</neurules_shard_dir>
    </macros>
    <remote_servers>
        <neurules>
$shards
        </neurules>
    </remote_servers>
</yandex>
EOF
  cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>in_order</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
  echo '<?xml version="1.0"?><yandex></yandex>' >"$dir/metrika.xml"
}

start() {
  local root=$1
  [ -x "$SERVER" ] || { echo "clickhouse-server is not installed (Debian package clickhouse-server)" >&2; return 1; }
  [ -x "$CLIENT" ] || { echo "clickhouse-client is not installed (Debian package clickhouse-client)" >&2; return 1; }
  mkdir -p "$root"
  root=$(canonical "$root")
  # The folder is written into XML config files as it is.
  if [[ "$root" == *[\&\<\>\"\']* ]]; then
    echo "the cluster's folder must not hold & < > \" or ': $root" >&2
    return 1
  fi
  if ls "$root"/shard-*/pid >/dev/null 2>&1; then
    echo "$root already holds a cluster's PIDs: stop it first ($0 stop \"$root\")" >&2
    return 1
  fi
  local ports
  mapfile -t ports < <(free_ports $((2 * SHARDS)))
  [ "${#ports[@]}" -eq $((2 * SHARDS)) ] || return 1
  local shards="" json="" i
  for ((i = 0; i < SHARDS; i++)); do
    shards+="            <shard><replica><host>127.0.0.1</host><port>${ports[2 * i]}</port></replica></shard>"$'\n'
    json+="${json:+,}{\"host\":\"127.0.0.1\",\"tcp\":${ports[2 * i]},\"http\":${ports[2 * i + 1]}}"
  done
  for ((i = 0; i < SHARDS; i++)); do
    local dir="$root/shard-$((i + 1))"
    mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log}
    write_config $((i + 1)) "$dir" "${ports[2 * i]}" "${ports[2 * i + 1]}" "$shards"
    # In the background, its own PID written: stopped by that PID, never by name.
    (cd "$dir" && exec "$SERVER" --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1) &
    echo $! >"$dir/pid"
  done
  for ((i = 0; i < SHARDS; i++)); do
    local dir="$root/shard-$((i + 1))" deadline=$((SECONDS + 60))
    # The server that answers must be this shard's (its folder, a macro of its config): a
    # port taken by another server after it was found free would answer too. A client that
    # connects and gets no answer gives up after 10 s, so a start cannot hang.
    until [ "$(timeout 10 "$CLIENT" --host 127.0.0.1 --port "${ports[2 * i]}" \
      --query "SELECT substitution FROM system.macros WHERE macro = 'neurules_shard_dir'" 2>/dev/null)" = "$dir" ]; do
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "shard $((i + 1)) exited while starting; its log:" >&2
        tail -n 20 "$dir/log/server.err.log" "$dir/log/stdout.log" >&2 || true
        stop "$root"
        return 1
      fi
      # By the clock, not by tries: a try may take its 10 s.
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "shard $((i + 1)) did not answer within 60 s" >&2
        stop "$root"
        return 1
      fi
      sleep 0.1
    done
  done
  echo "{\"cluster\":\"neurules\",\"shards\":[$json]}" >"$root/cluster.json"
  echo "$root/cluster.json"
}

# The folder $1 as start writes it into the config files: absolute, without symbolic links,
# so that stop finds the servers whichever way the folder is named (relative, trailing /).
canonical() {
  (cd "$1" && pwd -P)
}

# True when process $1 is a clickhouse-server started with the config file $2: its program
# is clickhouse-server (or clickhouse) and one of its arguments is exactly --config-file=$2.
is_shard_server() {
  local arg first=1 found=1
  [ -r "/proc/$1/cmdline" ] || return 1
  while IFS= read -r -d '' arg; do
    if [ "$first" -eq 1 ]; then
      first=0
      case "${arg##*/}" in clickhouse-server | clickhouse) ;; *) return 1 ;; esac
    elif [ "$arg" = "--config-file=$2" ]; then
      found=0
    fi
  done <"/proc/$1/cmdline"
  return "$found"
}

stop() {
  local root pidfile pid waited
  # No such folder: no cluster to stop.
  root=$(canonical "$1" 2>/dev/null) || return 0
  for pidfile in "$root"/shard-*/pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only the server started with this shard's config: a PID file left behind after a
    # crash may name another process by now.
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
      is_shard_server "$pid" "$(dirname "$pidfile")/config.xml"; then
      kill -TERM "$pid" 2>/dev/null || true
      waited=0
      while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 200 ]; do
        sleep 0.1
        waited=$((waited + 1))
      done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

[ $# -eq 2 ] || usage
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
