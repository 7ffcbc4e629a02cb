#!/bin/bash
# Entrypoint of the MariaDB stand-in for mysql:8.4 (see Containerfile): initialises an empty data
# directory from the MYSQL_* variables, runs /docker-entrypoint-initdb.d once, then execs the server.
set -euo pipefail
DATADIR=/var/lib/mysql
SOCKET=/var/run/mysqld/mysqld.sock
log() { echo "$(date -u +%FT%TZ) [entrypoint] $*" >&2; }

# file_env VAR: VAR_FILE names a file whose content becomes VAR (the official image's convention).
file_env() {
  local var=$1 file_var="${1}_FILE"
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
    log "both $var and $file_var are set; use one"; exit 1
  fi
  if [[ -n ${!file_var:-} ]]; then
    [[ -r ${!file_var} ]] || { log "$file_var=${!file_var} is not readable"; exit 1; }
    export "$var"="$(< "${!file_var}")"
    unset "$file_var"
  fi
}

if [[ ${1:-} == -* ]]; then set -- mysqld "$@"; fi
if [[ ${1:-} != mysqld && ${1:-} != mariadbd ]]; then exec "$@"; fi
shift

# Read credentials while still root (Compose mounts secrets readable by root and the web group only).
for v in MYSQL_ROOT_PASSWORD MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD MYSQL_ROOT_HOST; do file_env "$v"; done

if [[ $(id -u) == 0 ]]; then  # started as root (Compose): own the data directory, then drop to mysql
  chown -R mysql:mysql "$DATADIR" /var/run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" mysqld "$@"
fi
[[ -w $DATADIR ]] || { log "$DATADIR is not writable by uid $(id -u) (set fsGroup or chown the volume)"; exit 1; }

if [[ ! -d $DATADIR/mysql ]]; then
  if [[ -z ${MYSQL_ROOT_PASSWORD:-} && -z ${MYSQL_ALLOW_EMPTY_PASSWORD:-} && -z ${MYSQL_RANDOM_ROOT_PASSWORD:-} ]]; then
    log "database is uninitialized and no password option is given:"
    log "set one of MYSQL_ROOT_PASSWORD(_FILE), MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD"
    exit 1
  fi
  if [[ -n ${MYSQL_RANDOM_ROOT_PASSWORD:-} ]]; then
    MYSQL_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  log "initializing $DATADIR"
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve > /dev/null
  mariadbd --datadir="$DATADIR" --skip-networking --socket="$SOCKET" "$@" &
  pid=$!
  for _ in $(seq 60); do
    mariadb-admin --socket="$SOCKET" -uroot ping --silent 2> /dev/null && break
    sleep 1
  done
  sql() { mariadb --protocol=socket --socket="$SOCKET" -uroot "$@"; }
  esc() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }
  root_host=${MYSQL_ROOT_HOST:-%}
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE user NOT IN ('mysql.sys', 'mariadb.sys', 'root') OR host NOT IN ('localhost');"
    echo "DELETE FROM mysql.proxies_priv WHERE host NOT IN ('localhost');"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "${MYSQL_ROOT_PASSWORD:-}")';"
    if [[ $root_host != localhost ]]; then
      echo "CREATE USER 'root'@'$(esc "$root_host")' IDENTIFIED BY '$(esc "${MYSQL_ROOT_PASSWORD:-}")';"
      echo "GRANT ALL ON *.* TO 'root'@'$(esc "$root_host")' WITH GRANT OPTION;"
    fi
    if [[ -n ${MYSQL_DATABASE:-} ]]; then echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"; fi
    if [[ -n ${MYSQL_USER:-} && -n ${MYSQL_PASSWORD:-} ]]; then
      echo "CREATE USER '$(esc "$MYSQL_USER")'@'%' IDENTIFIED BY '$(esc "$MYSQL_PASSWORD")';"
      if [[ -n ${MYSQL_DATABASE:-} ]]; then echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$(esc "$MYSQL_USER")'@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql
  export MYSQL_PWD=${MYSQL_ROOT_PASSWORD:-}
  for f in /docker-entrypoint-initdb.d/*; do
    # shellcheck disable=SC1090  # sourcing the user's own scripts, found at run time
    case "$f" in
      *.sh) log "running $f"; source "$f" ;;
      *.sql) log "running $f"; sql ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} < "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | sql ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
      *) if [[ -e $f ]]; then log "ignoring $f"; fi ;;
    esac
  done
  unset MYSQL_PWD
  mariadb-admin --socket="$SOCKET" -uroot -p"${MYSQL_ROOT_PASSWORD:-}" shutdown
  wait "$pid" || true
  log "initialization done"
fi
exec mariadbd --datadir="$DATADIR" --socket="$SOCKET" "$@"
