#!/usr/bin/env bash
# A two-node MariaDB Galera cluster on loopback, for the cluster test tier.
#
#   scripts/galera.sh start [dir]   initialise (first time) and start both nodes; waits until the
#                                   cluster has 2 members; prints one MySQL URL per node
#   scripts/galera.sh stop  [dir]   stops the two mariadbd processes it started (by their PIDs)
#   scripts/galera.sh kill-node N [dir]   SIGKILLs node N (1 or 2), for the node-loss test
#   scripts/galera.sh start-node 2 [dir]  starts node 2 again; it rejoins node 1's cluster
#
# Node 1 listens on 127.0.0.1:3401 and bootstraps the cluster; node 2 on 3402 joins it. Galera's
# group traffic, incremental (IST) and full (SST) transfers get ports of their own per node, so
# both run on one machine. mariadbd runs as the `mysql` user over data directories it owns: the
# rsync state transfer fails with "Permission denied" when it runs as root.
set -euo pipefail

cmd="${1:-}"
dir="${GALERA_DIR:-${2:-${TMPDIR:-/tmp}/sveltekit-trpc-admin-galera}}"
[[ "$cmd" == *-node ]] && dir="${GALERA_DIR:-${3:-${TMPDIR:-/tmp}/sveltekit-trpc-admin-galera}}"
provider=/usr/lib/galera/libgalera_smm.so
user=mysql

port() { echo $((3400 + $1)); }
node_dir() { echo "$dir/node$1"; }

fail() {
	echo "galera: $*" >&2
	exit 1
}

write_config() {
	local n="$1" d
	d=$(node_dir "$n")
	cat >"$d/my.cnf" <<CNF
[mysqld]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$(port "$n")
bind-address=127.0.0.1
user=$user
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=sveltekit_trpc_admin_test
wsrep_cluster_address=gcomm://127.0.0.1:4561,127.0.0.1:4562
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$((4560 + n))
# Node 1 weighs 2: when node 2 is killed (not shut down), node 1 still holds a majority of the
# weight and stays primary. Two equal nodes would both stop serving on losing each other; real
# deployments run three nodes or add the arbitrator (garbd) instead.
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$((4560 + n));ist.recv_addr=127.0.0.1:$((4570 + n));gcache.size=32M;pc.weight=$((n == 1 ? 2 : 1))"
wsrep_sst_receive_address=127.0.0.1:$((4580 + n))
wsrep_sst_method=rsync
# Read-your-writes across nodes: a read waits until this node has applied what the cluster
# committed before it (a code sent through node 1 is checked through node 2 at once).
wsrep_sync_wait=1
CNF
}

client() {
	local n="$1"
	shift
	mariadb --no-defaults --protocol=socket -S "$(node_dir "$n")/mysqld.sock" -u root -N "$@"
}

cluster_size() {
	client "$1" -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | awk '{print $2}'
}

node_ready() {
	[ "$(client "$1" -e "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | awk '{print $2}')" = ON ]
}

start_node() {
	local n="$1" d
	d=$(node_dir "$n")
	shift
	# start-stop-daemon's pid file is ours; mariadbd's own pid-file is written only once it is up.
	start-stop-daemon --start --background --make-pidfile --pidfile "$d/started.pid" \
		--exec /usr/sbin/mariadbd -- --defaults-file="$d/my.cnf" "$@"
}

wait_for() {
	local what="$1" tries="$2"
	shift 2
	for _ in $(seq 1 "$tries"); do
		"$@" && return 0
		sleep 1
	done
	fail "timed out waiting for $what (logs: $dir/node*/error.log)"
}

start() {
	[ -x /usr/sbin/mariadbd ] || fail "mariadbd not found (apt-get install mariadb-server)"
	[ -f "$provider" ] || fail "$provider not found (apt-get install galera-4)"
	command -v rsync >/dev/null || fail "rsync not found (apt-get install rsync)"
	if [ -f "$dir/node1/started.pid" ] && kill -0 "$(cat "$dir/node1/started.pid")" 2>/dev/null; then
		fail "already running in $dir (scripts/galera.sh stop first)"
	fi
	for n in 1 2; do
		local d
		d=$(node_dir "$n")
		mkdir -p "$d"
		write_config "$n"
		if [ ! -d "$d/data/mysql" ]; then
			mkdir -p "$d/data"
			mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=socket \
				--skip-test-db >"$d/install.log" 2>&1 || fail "mariadb-install-db failed ($d/install.log)"
		fi
		chown -R "$user:$user" "$d"
	done
	# A clean stop leaves safe_to_bootstrap: 1 on the last node down; after a kill it is 0, and
	# this test cluster (never holding anything worth keeping) may bootstrap from node 1 anyway.
	[ -f "$(node_dir 1)/data/grastate.dat" ] &&
		sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(node_dir 1)/data/grastate.dat"
	start_node 1 --wsrep-new-cluster
	wait_for "node 1" 60 node_ready 1
	# Over TCP the tests connect as root@127.0.0.1 without a password, like the machine's MariaDB.
	client 1 -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
		CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4;"
	start_node 2
	wait_for "node 2 to join" 120 node_ready 2
	wait_for "a cluster of 2" 60 test "$(cluster_size 1)" = 2
	for n in 1 2; do echo "mysql://root@127.0.0.1:$(port "$n")/test"; done
}

stop_node() {
	local n="$1" signal="${2:-TERM}" pidfile
	pidfile="$(node_dir "$n")/started.pid"
	[ -f "$pidfile" ] || return 0
	local pid
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill "-$signal" "$pid"
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f "$pidfile"
}

case "$cmd" in
start) start ;;
stop)
	# Node 2 first, so node 1 is the last one down and may bootstrap next time.
	stop_node 2
	stop_node 1
	;;
kill-node)
	n="${2:-}"
	[ "$n" = 1 ] || [ "$n" = 2 ] || fail "kill-node takes 1 or 2"
	stop_node "$n" KILL
	;;
start-node)
	[ "${2:-}" = 2 ] || fail "start-node takes 2 (node 1 bootstraps: use start)"
	start_node 2
	wait_for "node 2 to rejoin" 120 node_ready 2
	wait_for "a cluster of 2" 60 test "$(cluster_size 1)" = 2
	;;
*)
	echo "usage: scripts/galera.sh start|stop [dir] | kill-node 1|2 [dir] | start-node 2 [dir]" >&2
	exit 2
	;;
esac
