#!/usr/bin/env bash
# Runs the sandbox test binaries on a real older kernel: Debian 12's 6.1 (Landlock ABI 2), booted
# under qemu-system-x86_64 with software emulation (no KVM needed), tests reporting over the
# serial console. About 20 s of boot and tests on 2 cores, after a static build of the tests.
#
#   scripts/kernel-matrix.sh [TESTS]    TESTS: comma list, default pledge,unveil,faults,answers,hardening
#
# Needs: apt-get install qemu-system-x86 busybox-static cpio (and apt-get update for the kernel
# package). Work files go to target/kmatrix. Exit status: 0 when every test binary passed.
set -euo pipefail
PROJ=$(cd "$(dirname "$0")/.." && pwd)
TESTS=${1:-pledge,unveil,faults,answers,hardening}
WORK=$PROJ/target/kmatrix
mkdir -p "$WORK"
cd "$WORK"

# The kernel: the generic flavour that linux-image-amd64 names on Debian 12.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/{print $2; exit}')
[ -n "$pkg" ] || { echo "kernel-matrix: no linux-image-amd64 in apt (run apt-get update)" >&2; exit 2; }
ls "$pkg"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1
deb=$(ls "$pkg"_*.deb | sort -V | tail -1)
rm -rf kernel && mkdir kernel && dpkg-deb -x "$deb" kernel
vmlinuz=$(ls kernel/boot/vmlinuz-*)

# Static test binaries (the guest has no shared libraries).
list=()
for t in ${TESTS//,/ }; do list+=(--test "$t"); done
(cd "$PROJ" && CARGO_TARGET_DIR="$WORK/target" RUSTFLAGS="-C target-feature=+crt-static" \
  cargo test --no-run --target x86_64-unknown-linux-gnu "${list[@]}" 2>&1) > build.log
root=rootfs
rm -rf $root && mkdir -p $root/{bin,sbin,usr/bin,etc,proc,sys,dev,tmp,var/tmp,tests}
cp /bin/busybox $root/bin/busybox
for a in sh mount ls poweroff grep mkdir sleep uname ifconfig; do ln -sf busybox $root/bin/$a; done
# Real files, not links to busybox: scenarios exec /usr/bin/true and unveil only its directory.
for a in true env cat echo tee; do cp /bin/busybox $root/usr/bin/$a; cp /bin/busybox $root/bin/$a; done
echo kmatrix > $root/etc/hostname
echo 'root:x:0:0:root:/root:/bin/sh' > $root/etc/passwd
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >> $root/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > $root/etc/group
printf '127.0.0.1\tlocalhost kmatrix\n::1\tlocalhost ip6-localhost\n' > $root/etc/hosts
echo 'nameserver 127.0.0.1' > $root/etc/resolv.conf
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > $root/etc/nsswitch.conf
: > $root/etc/ld.so.cache
for z in /usr/share/zoneinfo/Etc/UTC /usr/share/zoneinfo/Europe/Paris; do
  [ -e "$z" ] && mkdir -p "$root$(dirname "$z")" && cp "$z" "$root$z"
done
[ -e $root/usr/share/zoneinfo/Etc/UTC ] && ln -sf /usr/share/zoneinfo/Etc/UTC $root/etc/localtime
for t in ${TESTS//,/ }; do
  f=$(grep -o "tests/$t.rs ([^)]*)" build.log | sed 's/.*(\(.*\))/\1/')
  [ -n "$f" ] || { echo "kernel-matrix: no binary for $t (see $WORK/build.log)" >&2; exit 2; }
  case $f in /*) ;; *) f=$PROJ/$f ;; esac
  cp "$f" $root/tests/$t
done
cat > $root/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp; mount -t tmpfs vartmp /var/tmp
ifconfig lo 127.0.0.1 up
echo "KM: kernel $(uname -r)"
for t in $(tr ' ' '\n' < /proc/cmdline | sed -n 's/^kmtests=//p' | tr , ' '); do
  echo "KM: BEGIN $t"
  cd /tmp; TMPDIR=/tmp /tests/$t 2>&1; echo "KM: END $t rc=$?"
done
echo "KM: DONE"
poweroff -f
INIT
chmod +x $root/init
(cd $root && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd.gz
timeout 1500 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -nic none -no-reboot \
  -kernel "$vmlinuz" -initrd initrd.gz -append "console=ttyS0 quiet panic=-1 kmtests=$TESTS" \
  | tee serial.log | grep -E '^KM:|passed, |FAILED|^failed' || true
grep -q '^KM: DONE' serial.log || { echo "kernel-matrix: the guest did not finish" >&2; exit 1; }
! grep -E '^KM: END .* rc=[1-9]' serial.log >/dev/null
