#!/usr/bin/env bash
# Build the lvs-lab WordPress-cluster root filesystem (seed 003's second half) as a tar, without a registry:
# the base lab rootfs (images/debian/build-rootfs.sh) plus Debian's nginx, php-fpm, php-mysql, mariadb-server,
# nfs-kernel-server, nfs-common and wordpress. One image serves every role of that cluster (web, database,
# NFS server, director, client): see images/README.md for why one and not three.
#
#   usage: images/wordpress/build-rootfs.sh BASE.tar OUT.tar
#   then:  docker import --change 'CMD ["/usr/sbin/init"]' OUT.tar lvs-lab/wordpress:bookworm
#
# Route: apt resolves the packages' dependencies against an empty dpkg status (so alternatives resolve as
# apt would on a fresh system, never to Apache's mod_php), `apt-get download`, `dpkg-deb` extraction over
# the base rootfs, then the fix-ups that stand in for the maintainer scripts we skip.
# Needs: root, apt-get, dpkg-deb, tar, chroot, and the host's apt lists.
set -euo pipefail

PROG=${0##*/}
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { local rc=$1; shift; log "error: $*"; exit "$rc"; }

[[ $# -eq 2 && -f $1 && -n $2 && $2 != -* ]] || { echo "usage: $PROG BASE.tar OUT.tar" >&2; exit 2; }
BASE=$1 OUT=$2
[[ $(id -u) -eq 0 ]] || die 2 "must run as root (dpkg-deb extraction keeps file ownership; chroot is used)"
for c in apt-get dpkg-deb tar chroot; do command -v "$c" >/dev/null || die 2 "missing command: $c"; done

# What seed 003's cluster runs. php-xml: WordPress's XML-RPC endpoint (the lab posts through it).
# wordpress-theme-twentytwentythree: the package only recommends a theme, and a site without one renders nothing.
PKGS=(nginx php-fpm php-mysql php-xml mariadb-server nfs-kernel-server nfs-common wordpress
      wordpress-theme-twentytwentythree)
# Never these: Apache's PHP module (php's first alternative; the seed runs php-fpm behind nginx), usrmerge
# (the base rootfs is merged already).
NOT=(libapache2-mod-php8.2- apache2-bin- usrmerge-)

T0=$SECONDS
W=$(mktemp -d "${TMPDIR:-/tmp}/lvs-lab-wordpress.XXXXXX")
trap 'rm -rf "$W"; rm -f "$OUT.part"' EXIT
mkdir -p "$W/debs" "$W/root"
R=$W/root
: > "$W/status"
apt-get -q -o Dir::State::status="$W/status" -s install --no-install-recommends "${PKGS[@]}" "${NOT[@]}" \
  > "$W/resolve.log" 2>&1 || { cat "$W/resolve.log" >&2; die 3 "apt cannot resolve ${PKGS[*]}: run 'apt-get update' first"; }
mapfile -t LIST < <(awk '/^Inst /{print $2}' "$W/resolve.log")
log "downloading ${#LIST[@]} packages"
( cd "$W/debs" && apt-get download -q "${LIST[@]}" ) > "$W/download.log" 2>&1 \
  || { grep -v unsandboxed "$W/download.log" >&2 || true; die 1 "apt-get download failed"; }

log "extracting over $BASE"
tar -C "$R" -xf "$BASE"
for d in "$W"/debs/*.deb; do
  dpkg-deb --fsys-tarfile "$d" | tar -x --keep-directory-symlink -C "$R"
done

log "fixing up"
# users the skipped postinsts add (mariadb-server, rpcbind, nfs-common); www-data runs nginx and php-fpm
chroot "$R" /usr/bin/systemd-sysusers >/dev/null 2>&1 || die 1 "systemd-sysusers failed in the rootfs"
chroot "$R" /bin/sh -ec '
  id mysql >/dev/null 2>&1 || useradd -r -U -d /nonexistent -s /usr/sbin/nologin mysql
  id _rpc  >/dev/null 2>&1 || useradd -r -d /run/rpcbind -s /usr/sbin/nologin -g nogroup _rpc
  id statd >/dev/null 2>&1 || useradd -r -d /var/lib/nfs -s /usr/sbin/nologin -g nogroup statd'
# alternatives
ln -sf mariadb.cnf "$R"/etc/mysql/my.cnf
ln -sf php8.2 "$R"/usr/bin/php
# php: the ini files the php8.2-* postinsts copy to mods-available and php.ini, and phpenmod's conf.d links
# ("; priority=NN" in each ini; ffi stays off as in Debian)
mkdir -p "$R"/etc/php/8.2/mods-available
cp "$R"/usr/share/php8.2-*/*/*.ini "$R"/etc/php/8.2/mods-available/
rm -f "$R"/etc/php/8.2/mods-available/ffi.ini
for sapi in fpm cli; do
  mkdir -p "$R/etc/php/8.2/$sapi/conf.d"
  ini=php.ini-production; [[ $sapi == cli ]] && ini=php.ini-production.cli
  cp "$R/usr/lib/php/8.2/$ini" "$R/etc/php/8.2/$sapi/php.ini"
  for m in "$R"/etc/php/8.2/mods-available/*.ini; do
    prio=$(sed -n 's/^; *priority=\([0-9]*\).*/\1/p' "$m"); prio=${prio:-20}
    ln -sf "/etc/php/8.2/mods-available/${m##*/}" "$R/etc/php/8.2/$sapi/conf.d/$prio-${m##*/}"
  done
done
# nginx-common's postinst: the default site (serves /var/www/html), its directories
ln -sf /etc/nginx/sites-available/default "$R"/etc/nginx/sites-enabled/default
mkdir -p "$R"/var/lib/nginx "$R"/var/log/nginx
# nfs-kernel-server's postinst writes an empty /etc/exports; the lab writes the seed's line
[[ -e $R/etc/exports ]] || : > "$R"/etc/exports
mkdir -p "$R"/var/lib/nfs/rpc_pipefs "$R"/var/lib/nfs/v4recovery
chroot "$R" chown statd /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/state
# mariadb-server's postinst: the system tables (what CentOS 6's `service mysqld start` did at its first start)
# A small redo log (the 10.11 default is 96 MB of zeros in the image): a lab's database holds a few posts.
# A bounded buffer pool: 10.11.12+ reserves address space for innodb_buffer_pool_size_max, by default 8 TB,
# which a User-Mode Linux guest cannot map ("InnoDB: Cannot map innodb_buffer_pool_size_max=8388608m").
printf '[mysqld]\ninnodb_log_file_size = 8M\ninnodb_buffer_pool_size = 32M\ninnodb_buffer_pool_size_max = 64M\n' \
  > "$R"/etc/mysql/mariadb.conf.d/60-lvs-lab.cnf
mkdir -p "$R"/var/lib/mysql "$R"/run/mysqld && chroot "$R" chown mysql:mysql /var/lib/mysql /run/mysqld
chroot "$R" /usr/bin/mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --skip-name-resolve --force \
  > "$W/install-db.log" 2>&1 || { tail -20 "$W/install-db.log" >&2; die 1 "mariadb-install-db failed in the rootfs"; }
# nothing of this starts at boot: the lab starts each service where the seed does (no postinst enabled any)
find "$R"/etc/systemd/system -name '*.wants' -type d -exec sh -c \
  'for l in "$1"/nginx.service "$1"/php8.2-fpm.service "$1"/mariadb.service "$1"/nfs-server.service; do rm -f "$l"; done' _ {} \;

# Trim: MariaDB's offline table tools, dump/import/binlog clients and benchmarks (~5 MB each, ~110 MB in all),
# which the lab never runs; mariadb (the seed's `mysql`), mariadb-admin, -check and -upgrade (debian-start) stay.
for b in aria_chk aria_dump_log aria_ftdump aria_pack aria_read_log myisam_ftdump myisamchk myisamlog myisampack \
         innochecksum mariadb-binlog mariadb-conv mariadb-dump mariadb-import mariadb-plugin mariadb-show mariadb-slap \
         mariadb-tzinfo-to-sql mariadb-waitpid perror replace resolve_stack_dump; do
  rm -f "$R/usr/bin/$b"
done
chroot "$R" find /usr/bin -xtype l -delete     # the mysql* names of what went (links judged inside the rootfs)
rm -rf "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/locale/* \
       "$R"/usr/share/lintian "$R"/var/cache/apt "$R"/var/lib/apt "$R"/var/log/apt
chroot "$R" /sbin/ldconfig

missing=()
for b in nginx php-fpm8.2 php mariadbd mariadb mount.nfs exportfs rpc.nfsd rpc.mountd rpcbind showmount; do
  chroot "$R" /bin/sh -c "command -v $b" >/dev/null || missing+=("$b")
done
[[ ${#missing[@]} -eq 0 ]] || die 1 "missing from the rootfs: ${missing[*]}"
[[ -f $R/usr/share/wordpress/wp-login.php ]] || die 1 "WordPress is not in /usr/share/wordpress"
mods=$(chroot "$R" /usr/bin/php -m)   # no `| grep -q`: SIGPIPE + pipefail
for m in mysqli xml; do [[ $'\n'$mods$'\n' == *$'\n'$m$'\n'* ]] || die 1 "php has no $m module"; done

log "writing tar"
mkdir -p "$(dirname -- "$OUT")"
tar --numeric-owner -C "$R" -cf "$OUT.part" .
mv -f "$OUT.part" "$OUT"
log "wrote $OUT ($(du -m "$OUT" | cut -f1) MB) in $((SECONDS - T0)) s"
