# Shared by the repository's scripts (source it). Finds or installs what Sprout needs and says clearly
# what is missing when it cannot.

# (no `dirname`: the launcher sources this on every call)
_lib_dir="${BASH_SOURCE[0]%/*}"
[ "$_lib_dir" = "${BASH_SOURCE[0]}" ] && _lib_dir=.
# (and no subshell: into the directory and back, which leaves $PWD as it was for relative arguments)
_lib_from="$PWD"
CDPATH='' builtin cd -- "$_lib_dir/.." && SPROUT_ROOT="$PWD"
CDPATH='' builtin cd -- "$_lib_from" 2>/dev/null || true

die() {
  echo "sprout: $*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Sets JAVA_FEATURE to the Java feature version of the JDK at $1 (25 for "25.0.3"), or to nothing. The JDK's
# release file says it; it is read with bash alone (the launcher runs this on every call, and each subprocess costs
# a few ms), and the JVM is asked only when there is no release file (about 80 ms).
java_feature() {
  JAVA_FEATURE=""
  local line
  if [ -f "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ $line =~ ^JAVA_VERSION=\"?([0-9]+)(\.([0-9]+))? ]]; then
        JAVA_FEATURE="${BASH_REMATCH[1]}"
        [ "$JAVA_FEATURE" = 1 ] && JAVA_FEATURE="${BASH_REMATCH[3]}"
        return 0
      fi
    done < "$1/release"
  fi
  [ -x "$1/bin/java" ] || return 0
  JAVA_FEATURE="$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]) }')"
}

# Whether $1 is a JDK (java and javac) of feature version 25 or newer; leaves its version in JAVA_FEATURE.
jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  java_feature "$1"
  [ -n "$JAVA_FEATURE" ] && [ "$JAVA_FEATURE" -ge 25 ] 2>/dev/null
}

# Exports JAVA_HOME: $JAVA_HOME when it is a JDK >= 25, else the newest such JDK under /usr/lib/jvm.
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then
    export JAVA_HOME
    return
  fi
  local candidate best="" best_version=0
  for candidate in /usr/lib/jvm/*; do
    [ -d "$candidate" ] || continue
    if jdk_ok "$candidate" && [ "$JAVA_FEATURE" -gt "$best_version" ]; then
      best="$candidate"
      best_version="$JAVA_FEATURE"
    fi
  done
  [ -n "$best" ] || die "no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable under /usr/lib/jvm).
  Install one, e.g. Eclipse Temurin 25 (https://adoptium.net/temurin/releases/?version=25), then set JAVA_HOME to it."
  export JAVA_HOME="$best"
}

apt_install() {
  is_root && command -v apt-get >/dev/null 2>&1 || return 1
  echo "sprout: installing $* with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The build needs Apache Maven >= 3.9.6 (the protobuf plugin refuses older ones). A suitable `mvn` on PATH
# is used as it is; otherwise Maven MAVEN_PINNED is fetched once from Maven Central, checked against its
# published SHA-512, and kept under ~/.cache/sprout.
MAVEN_MIN=3.9.6
MAVEN_PINNED=3.9.16
MAVEN_CMD=""

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

ensure_maven() {
  local found
  if command -v mvn >/dev/null 2>&1; then
    found="$(mvn -B -v 2>/dev/null | awk '/^Apache Maven/ { print $3; exit }')"
    if [ -n "$found" ] && version_ge "$found" "$MAVEN_MIN"; then
      MAVEN_CMD=mvn
      return
    fi
  fi
  local home="${XDG_CACHE_HOME:-$HOME/.cache}/sprout/apache-maven-$MAVEN_PINNED"
  if [ ! -x "$home/bin/mvn" ]; then
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates \
      || die "curl is missing: it is needed to fetch Apache Maven $MAVEN_PINNED (or install Maven >= $MAVEN_MIN yourself)."
    local url="https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/$MAVEN_PINNED/apache-maven-$MAVEN_PINNED-bin.tar.gz"
    local tmp
    tmp="$(mktemp -d)"
    echo "sprout: fetching Apache Maven $MAVEN_PINNED from Maven Central (found ${found:-no mvn}; the build needs >= $MAVEN_MIN)" >&2
    curl -fsSL --retry 3 -o "$tmp/maven.tar.gz" "$url" && curl -fsSL --retry 3 -o "$tmp/maven.sha512" "$url.sha512" \
      || { rm -rf "$tmp"; die "could not download $url. Install Apache Maven >= $MAVEN_MIN and put it on PATH."; }
    echo "$(cut -d' ' -f1 "$tmp/maven.sha512")  $tmp/maven.tar.gz" | sha512sum -c --quiet - \
      || { rm -rf "$tmp"; die "the download of $url does not match its published SHA-512; not using it."; }
    mkdir -p "$(dirname "$home")" && tar -xzf "$tmp/maven.tar.gz" -C "$tmp" && rm -rf "$home" \
      && mv "$tmp/apache-maven-$MAVEN_PINNED" "$home" || die "could not unpack Apache Maven into $home"
    rm -rf "$tmp"
  fi
  MAVEN_CMD="$home/bin/mvn"
}

# libfuse3 and fusermount3: the compute's FUSE data directory needs them (from the compute issue on).
ensure_fuse3() {
  if command -v fusermount3 >/dev/null 2>&1 && [ -e /usr/lib/x86_64-linux-gnu/libfuse3.so.3 -o -n "$(ldconfig -p 2>/dev/null | grep libfuse3.so.3)" ]; then
    return
  fi
  apt_install fuse3 && return
  die "fuse3 (libfuse3 and fusermount3) is missing and could not be installed: computes mount their data
  directory through FUSE. Install it as root: apt-get install fuse3"
}

# PostgreSQL's server binaries (initdb, postgres, pgbench, pg_amcheck) for computes and tests: version 15 from
# Debian when none of 13-17 is installed under /usr/lib/postgresql (or SPROUT_PG_BIN names one).
ensure_postgres() {
  if [ -n "${SPROUT_PG_BIN:-}" ] && [ -x "$SPROUT_PG_BIN/postgres" ]; then
    return
  fi
  for v in 15 17 16 14 13; do
    [ -x "/usr/lib/postgresql/$v/bin/postgres" ] && [ -x "/usr/lib/postgresql/$v/bin/pgbench" ] && return
  done
  apt_install postgresql-15 && return
  die "PostgreSQL server binaries (13-17) are missing and could not be installed. Install them as root:
  apt-get install postgresql-15   (or point SPROUT_PG_BIN at a bin directory holding postgres, initdb, pgbench)"
}

# curl: the end-to-end benchmark drives the control plane's API with it, as a script would (and its tests run it).
ensure_curl() {
  command -v curl >/dev/null 2>&1 && return
  apt_install curl && return
  die "curl is missing and could not be installed: the end-to-end benchmark drives the control plane's API with it.
  Install it as root: apt-get install curl"
}

# FUSE needs the kernel device; containers often lack it.
ensure_dev_fuse() {
  [ -c /dev/fuse ] || die "/dev/fuse is missing: computes mount their data directory through FUSE.
  On a container, start it with --device /dev/fuse (and --cap-add SYS_ADMIN)."
}

maven() {
  # Maven itself runs on the chosen JDK; keep JDK 25's sun.misc.Unsafe notices about Maven's own libraries quiet.
  [ -n "$MAVEN_CMD" ] || ensure_maven
  MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" "$MAVEN_CMD" -B -ntp "$@"
}

# A throwaway `./sprout up` for scripts that measure or check through the real CLI: data in $1, on free ports
# (SPROUT_PAGE_PORT, SPROUT_HTTP_PORT, SPROUT_PG_PORT are set), its pid in SPROUT_UP_PID, the superuser's password
# in PGPASSWORD. The caller stops it with stop_sprout_up (in its EXIT trap).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start_sprout_up() {
  local data="$1"
  SPROUT_PAGE_PORT=$(free_port); SPROUT_HTTP_PORT=$(free_port); SPROUT_PG_PORT=$(free_port)
  mkdir -p "$data"
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -jar cli/target/sprout.jar up --data-dir "$data" --page-port "$SPROUT_PAGE_PORT" \
    --http-port "$SPROUT_HTTP_PORT" --pg-port "$SPROUT_PG_PORT" > "$data.up.log" 2>&1 &
  SPROUT_UP_PID=$!
  for _ in $(seq 1 180); do
    grep -q "Ctrl-C stops it" "$data.up.log" 2>/dev/null && break
    kill -0 "$SPROUT_UP_PID" 2>/dev/null || { cat "$data.up.log" >&2; die "sprout up failed (its output is above)"; }
    sleep 1
  done
  grep -q "Ctrl-C stops it" "$data.up.log" || die "sprout up did not start within 3 minutes ($data.up.log)"
  export PGPASSWORD; PGPASSWORD="$(cat "$data/password")"
}
stop_sprout_up() {
  if [ -n "${SPROUT_UP_PID:-}" ]; then
    kill "$SPROUT_UP_PID" 2>/dev/null || true
    wait "$SPROUT_UP_PID" 2>/dev/null || true
    SPROUT_UP_PID=""
  fi
}
