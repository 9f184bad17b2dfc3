#!/usr/bin/env bash
# Build the lvs-lab Debian bookworm root filesystem as a tar, without any container registry.
#
#   usage: images/debian/build-rootfs.sh OUT.tar
#   then:  docker import --change 'CMD ["/usr/sbin/init"]' OUT.tar lvs-lab/debian:bookworm
#
# Route: `apt-get download` of the packages below plus their dependency closure (using the host's apt
# lists), `dpkg-deb` extraction into an empty directory, then fix-ups that replace the maintainer
# scripts we skip (users/groups, alternatives, apache2 modules/site, ...). No dpkg database in the result.
# Needs: root (file ownership, chroot for ldconfig/sysusers/check), apt-get, apt-cache, dpkg-deb, tar.
# The image contract this builds is documented in images/README.md.
set -euo pipefail

PROG=${0##*/}
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { local rc=$1; shift; log "error: $*"; exit "$rc"; }

[[ $# -eq 1 && -n $1 && $1 != -* ]] || { echo "usage: $PROG OUT.tar" >&2; exit 2; }
OUT=$1
[[ $(id -u) -eq 0 ]] || die 2 "must run as root (dpkg-deb extraction keeps file ownership; chroot is used)"
for c in apt-get apt-cache dpkg-deb tar chroot; do
  command -v "$c" >/dev/null || die 2 "missing command: $c"
done
policy=$(apt-cache policy apache2 2>/dev/null || true)   # no `| grep -q`: SIGPIPE + pipefail
if [[ $policy != *"Candidate: "[0-9]* ]]; then
  die 3 "apt has no candidate for apache2: the host's apt lists are empty or stale; run 'apt-get update' first"
fi

# What the labs use (see images/README.md). The Priority: required set is added below, as in
# /work/shared/kernel-sandbox/build-xfull-tar.sh.
PKGS=(systemd-sysv dbus apache2 ipvsadm iproute2 curl tcpdump procps iputils-arping iputils-ping
      net-tools arptables kmod keepalived)

# Alternatives that apt-cache lists for virtual/or-dependencies but that must not be installed
# (other inits, other awk/syslog implementations, ...). From the proven recipe.
EXCL='usrmerge|cdebconf|libdebian-installer4|libnewt0.52|libslang2|libtextwrap1|libelogind0|elogind|gawk|libsigsegv2|original-awk|gpgv1|gpgv2|libfile-find-rule-perl|libnumber-compare-perl|libtext-glob-perl|libmpfr6|systemd-standalone-sysusers|systemd-standalone-tmpfiles|opensysusers|sysvinit-core|runit-init|dbus-broker|busybox-syslogd|inetutils-syslogd|rsyslog|systemd-sysv-compat|finit-sysv|openrc|runit|init'
# Trimming: packages in the closure that the labs never use, each checked not to be needed by the
# contract (apache2 + apache2ctl + modules enabled by default, systemd boot, keepalived, the tools):
#  - perl (the package: perldoc, cpan, ...). perl-base (/usr/bin/perl) stays. Of perl-modules-5.36
#    and libperl5.36 (~45 MB) only libperl.so (keepalived -> libnetsnmpagent links it) and the modules
#    the Apache helpers a2enmod/a2query load are kept: see "perl" below.
#  - libxml2 + libicu72 (~38 MB): only mod_proxy_html / mod_xml2enc (not enabled) link libxml2.
#  - the apr-util DB drivers other than sqlite3 and their client libraries (alternatives of one
#    or-dependency; the drivers are plugins loaded only by mod_dbd, not enabled).
#  - apt, libapt-pkg6.0, gpgv, debian-archive-keyring: useless without apt lists and dpkg database.
#  - e2fsprogs, libext2fs2, libss2, logsave: filesystem tools, no use in a container.
#  - tzdata (UTC without /etc/localtime), pci.ids (names for lspci only), install-info.
DROP='perl|libxml2|libicu72|libaprutil1-dbd-mysql|libaprutil1-dbd-odbc|libaprutil1-dbd-pgsql|libmariadb3|mariadb-common|mysql-common|libodbc2|libltdl7|libpq5|apt|libapt-pkg6\.0|gpgv|debian-archive-keyring|e2fsprogs|libext2fs2|libss2|logsave|tzdata|pci\.ids|install-info'

T0=$SECONDS
W=$(mktemp -d "${TMPDIR:-/tmp}/lvs-lab-rootfs.XXXXXX")
trap 'rm -rf "$W"; rm -f "$OUT.part"' EXIT
mkdir -p "$W/debs" "$W/root"
R=$W/root

mapfile -t REQ < <(apt-cache dumpavail | awk '/^Package:/{p=$2} /^Priority: required/{print p}' | sort -u)
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${REQ[@]}" "${PKGS[@]}" \
  | grep -v '^ ' | grep -v '^<' | sort -u | grep -Ev "^($EXCL)\$" | grep -Ev "^($DROP)\$" > "$W/pkgs.txt"
mapfile -t LIST < "$W/pkgs.txt"
for p in "${PKGS[@]}"; do grep -qx "$p" "$W/pkgs.txt" || die 1 "package $p missing from the closure"; done

log "downloading ${#LIST[@]} packages"
( cd "$W/debs" && apt-get download -q "${LIST[@]}" ) > "$W/download.log" 2>&1 \
  || { grep -v unsandboxed "$W/download.log" >&2 || true; die 1 "apt-get download failed"; }
n=$(find "$W/debs" -name '*.deb' | wc -l)
[[ $n -eq ${#LIST[@]} ]] || die 1 "expected ${#LIST[@]} .deb files, got $n"

log "extracting"
mkdir -p "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib "$R"/usr/lib64
for l in bin sbin lib lib64; do ln -sfn usr/$l "$R"/$l; done     # merged /usr, as debootstrap does
for d in "$W"/debs/*.deb; do
  dpkg-deb --fsys-tarfile "$d" | tar -x --keep-directory-symlink -C "$R"
done

log "fixing up"
# users and groups (base-passwd + what the skipped postinsts and systemd-sysusers would add)
cp "$R"/usr/share/base-passwd/passwd.master "$R"/etc/passwd
cp "$R"/usr/share/base-passwd/group.master  "$R"/etc/group
echo 'tcpdump:x:101:102::/nonexistent:/usr/sbin/nologin' >> "$R"/etc/passwd
echo 'tcpdump:x:102:' >> "$R"/etc/group
: > "$R"/etc/shadow; : > "$R"/etc/gshadow; chmod 640 "$R"/etc/shadow "$R"/etc/gshadow
chroot "$R" /usr/bin/systemd-sysusers >/dev/null 2>&1 || die 1 "systemd-sysusers failed in the rootfs"
: > "$R"/etc/machine-id        # empty: systemd writes a fresh id at the first boot of each container
# alternatives (update-alternatives in the skipped postinsts)
ln -sf mawk "$R"/usr/bin/awk
ln -sf mawk "$R"/usr/bin/nawk
ln -sf arptables-legacy "$R"/usr/sbin/arptables
ln -sf arptables-legacy-save "$R"/usr/sbin/arptables-save
ln -sf arptables-legacy-restore "$R"/usr/sbin/arptables-restore
ln -sf which.debianutils "$R"/usr/bin/which
ln -sf more "$R"/usr/bin/pager
mkdir -p "$R"/tmp "$R"/var/tmp && chmod 1777 "$R"/tmp "$R"/var/tmp
rm -rf "$R"/var/run "$R"/var/lock
ln -s /run "$R"/var/run
ln -s /run/lock "$R"/var/lock
# /run is a tmpfs only under systemd; without it (docker --init) apache2ctl needs /run/lock to exist:
#   mktemp: failed to create directory via template '/var/lock/apache2.XXXXXXXXXX': No such file or directory
mkdir -p "$R"/run/lock && chmod 1777 "$R"/run/lock
ln -sf ../proc/self/mounts "$R"/etc/mtab
# apache2 postinst equivalent (a2enmod/a2ensite/a2enconf defaults)
( cd "$R"/etc/apache2
  for m in access_compat alias auth_basic authn_core authn_file authz_core authz_host authz_user autoindex \
           deflate dir env filter mime mpm_event negotiation reqtimeout setenvif status; do
    for f in mods-available/$m.load mods-available/$m.conf; do
      if [[ -e $f ]]; then ln -sf ../$f mods-enabled/; fi
    done
  done
  ln -sf ../sites-available/000-default.conf sites-enabled/
  for c in charset localized-error-pages other-vhosts-access-log security serve-cgi-bin; do
    ln -sf ../conf-available/$c.conf conf-enabled/
  done )
mkdir -p "$R"/var/log/apache2 "$R"/var/cache/apache2/mod_cache_disk "$R"/var/lib/apache2 "$R"/var/www/html
cp "$R"/usr/share/apache2/default-site/index.html "$R"/var/www/html/index.html
# The contract: `systemctl start httpd` starts apache2 (an alias by symlink, as on CentOS the unit is
# httpd.service), the web server is NOT enabled at boot (the lab starts it), `apachectl` exists.
mkdir -p "$R"/etc/systemd/system
ln -sfn /lib/systemd/system/apache2.service "$R"/etc/systemd/system/httpd.service
rm -f "$R"/etc/systemd/system/multi-user.target.wants/apache2.service
[[ -e $R/usr/sbin/apachectl ]] || ln -s apache2ctl "$R"/usr/sbin/apachectl
# No unit gets enabled by a preset at first boot (the image has no enablement beyond the defaults).
mkdir -p "$R"/etc/systemd/system-preset
echo 'disable *' > "$R"/etc/systemd/system-preset/99-lvs-lab.preset
# Units that have no job in a lab container: mask them (fewer processes at boot; a boot without
# masks also reaches `running`, checked with `systemctl --failed`). Not installed at all, so nothing to
# mask: udev/systemd-udevd, apt (apt-daily timers), e2fsprogs (e2scrub), systemd-timesyncd.
#  - getty.target: no consoles in a container (getty-static.service would spawn agetty on tty2-6).
#  - kernel-wide file systems and knobs that a privileged container would set for the whole host:
#    debugfs, tracefs, hugetlbfs, fusectl, configfs, binfmt_misc, and systemd-sysctl.service (Debian
#    ships only host-global defaults there: kernel.pid_max, fs.protected_*). The labs set their
#    per-network-namespace sysctls themselves.
#  - module loading at boot (modprobe@*.service, systemd-modules-load): the image has no modules.
#  - systemd-remount-fs.service: there is no /etc/fstab.
for u in getty.target sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount \
         sys-fs-fuse-connections.mount sys-kernel-config.mount proc-sys-fs-binfmt_misc.automount \
         systemd-binfmt.service systemd-sysctl.service modprobe@.service systemd-modules-load.service \
         systemd-remount-fs.service; do
  ln -sfn /dev/null "$R"/etc/systemd/system/$u
done

# perl: keep only the modules that the Apache helpers (a2enmod & co, a2query) load. They are found by
# running the helpers in the rootfs with a module that records %INC at exit; XS modules keep their
# auto/ directory. Everything else of /usr/{share,lib/x86_64-linux-gnu}/perl/5.36.0 goes (~40 MB).
P=$R/tmp/lvs-lab-perl; PS=usr/share/perl/5.36.0; PL=usr/lib/x86_64-linux-gnu/perl/5.36.0
mkdir -p "$P"
cat > "$P/LvsLabInc.pm" <<'PM'
package LvsLabInc; END { open(my $f, '>>', '/tmp/lvs-lab-perl/inc.txt') or die; print $f "$_\n" for grep { defined } values %INC } 1;
PM
a2run='a2query -m status >/dev/null && a2query -s 000-default >/dev/null && a2query -c charset >/dev/null &&
       a2enmod -q status && a2ensite -q 000-default && a2enconf -q charset'
chroot "$R" env PERL5LIB=/tmp/lvs-lab-perl PERL5OPT=-MLvsLabInc /bin/sh -ec "$a2run" \
  || die 1 "a2enmod/a2query do not run in the rootfs"
sed -e 's|/perl/5\.36/|/perl/5.36.0/|' "$P/inc.txt" | sort -u | while read -r f; do
  case $f in
    /$PS/*) echo "${f#/}" ;;
    /$PL/*) echo "${f#/}"; m=${f#/$PL/}; m=${m%.pm}
            if [[ -d $R/$PL/auto/$m ]]; then echo "$PL/auto/$m"; fi ;;
  esac
done > "$P/keep.txt"
tar -C "$R" -cf "$P/keep.tar" -T "$P/keep.txt"
rm -rf "${R:?}/$PS" "${R:?}/$PL"
mkdir -p "$R/$PS" "$R/$PL"
tar -C "$R" -xf "$P/keep.tar"
rm -rf "$P"
chroot "$R" /bin/sh -ec "$a2run" || die 1 "a2enmod/a2query broken by the perl trimming"

# Trim: documentation, manuals, translations, and other data the labs never read.
rm -rf "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/locale/* \
       "$R"/usr/share/lintian "$R"/usr/share/linda "$R"/usr/share/bug "$R"/usr/share/zsh \
       "$R"/usr/share/bash-completion "$R"/usr/share/common-licenses "$R"/usr/share/gcc \
       "$R"/usr/lib/x86_64-linux-gnu/gconv \
       "$R"/var/cache/apt "$R"/var/lib/apt "$R"/var/cache/debconf/*-old "$R"/var/log/apt
chroot "$R" /sbin/ldconfig

# Check: every binary the contract names is present and finds its shared libraries.
missing=()
for b in ipvsadm ip ss netstat ifconfig route curl tcpdump arping ping arptables sysctl systemctl \
         modprobe lsmod keepalived apache2 apache2ctl apachectl awk ps; do
  chroot "$R" /bin/sh -c "command -v $b" >/dev/null || missing+=("$b")
done
[[ ${#missing[@]} -eq 0 ]] || die 1 "missing from the rootfs: ${missing[*]}"
bad=$(chroot "$R" /bin/sh -c 'for f in /usr/sbin/apache2 /usr/sbin/keepalived /usr/sbin/ipvsadm \
        /usr/bin/curl /usr/bin/tcpdump /usr/bin/ip /usr/bin/ss /usr/bin/arping /usr/bin/ping \
        /usr/lib/systemd/systemd /usr/bin/systemctl /usr/bin/dbus-daemon /usr/bin/kmod \
        $(for m in /etc/apache2/mods-enabled/*.load; do sed -n "s/^LoadModule [^ ]* //p" "$m"; done); do
        ldd "$f" | sed -n "s|^|$f: |; /not found/p"; done' 2>&1) || die 1 "ldd check failed: $bad"
[[ -z $bad ]] || die 1 "unresolved shared libraries: $bad"

log "writing tar"
mkdir -p "$(dirname -- "$OUT")"
tar --numeric-owner -C "$R" -cf "$OUT.part" .
mv -f "$OUT.part" "$OUT"
log "wrote $OUT ($(du -m "$OUT" | cut -f1) MB) in $((SECONDS - T0)) s"
