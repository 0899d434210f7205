#!/bin/sh
#
# Create the system users routstrd's children run as, and the empty
# directory they are chrooted into.  Idempotent; needs root.  With
# systemd, etc/routstrd.sysusers does the same through systemd-sysusers.

set -e

if [ "$(id -u)" != 0 ]; then
	echo "mkusers.sh: needs root" >&2
	exit 1
fi

CHROOT=${CHROOT:-/var/empty}

if [ ! -d "$CHROOT" ]; then
	install -d -m 0755 -o root -g root "$CHROOT"
	echo "created $CHROOT"
fi

for u in _routstrd _ledgerd _mintd _relayd-client; do
	if ! getent passwd "$u" >/dev/null; then
		useradd --system --no-create-home --user-group \
		    --home-dir "$CHROOT" --shell /usr/sbin/nologin \
		    --comment "routstrd privilege separation" "$u"
		echo "created user $u"
	fi
done
