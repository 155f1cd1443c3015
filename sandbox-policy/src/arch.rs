//! Supported architectures: their syscall tables and the flag values the table compares against.
//!
//! Nothing here reads the build machine's `cfg` or `libc`: every number is looked up through an
//! explicit [`Arch`], so a policy compiled on x86_64 for aarch64 gets aarch64's numbers.
//! Syscall numbers come from the `syscalls` crate (generated from the kernel's tables); flag
//! values are written out per architecture from the kernel's uapi headers.

use std::fmt;
use std::str::FromStr;

/// A CPU architecture the sandbox can compile policies for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// x86-64 (`AUDIT_ARCH_X86_64`). Its i386 and x32 ABIs are refused by every program.
    X86_64,
    /// 64-bit Arm (`AUDIT_ARCH_AARCH64`).
    Aarch64,
    /// 64-bit RISC-V (`AUDIT_ARCH_RISCV64`).
    Riscv64,
}

impl Arch {
    /// Every supported architecture.
    pub const ALL: [Arch; 3] = [Arch::X86_64, Arch::Aarch64, Arch::Riscv64];

    /// The name Rust gives it in `cfg(target_arch = "...")`.
    #[must_use]
    pub const fn target_arch(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// The value the kernel puts in `seccomp_data.arch` for this architecture's native ABI.
    #[must_use]
    pub const fn audit_arch(self) -> u32 {
        match self {
            Arch::X86_64 => 0xC000_003E,
            Arch::Aarch64 => 0xC000_00B7,
            Arch::Riscv64 => 0xC000_00F3,
        }
    }

    /// The syscall number of `name` on this architecture, if it has one.
    #[must_use]
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        let nr = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::from_str(name).ok()?.id(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::from_str(name).ok()?.id(),
            Arch::Riscv64 => syscalls::riscv64::Sysno::from_str(name).ok()?.id(),
        };
        u32::try_from(nr).ok()
    }

    /// The name of syscall `nr`, if the table has one.
    #[must_use]
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        let nr = usize::try_from(nr).ok()?;
        Some(match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::new(nr)?.name(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::new(nr)?.name(),
            Arch::Riscv64 => syscalls::riscv64::Sysno::new(nr)?.name(),
        })
    }

    /// Every syscall of the table, as (number, name), in number order.
    #[must_use]
    pub fn syscalls(self) -> Vec<(u32, &'static str)> {
        fn collect<T: Copy>(
            it: impl Iterator<Item = T>,
            id: fn(T) -> i32,
            name: fn(T) -> &'static str,
        ) -> Vec<(u32, &'static str)> {
            it.map(|s| {
                (
                    u32::try_from(id(s)).expect("syscall numbers are positive"),
                    name(s),
                )
            })
            .collect()
        }
        match self {
            Arch::X86_64 => collect(syscalls::x86_64::Sysno::iter(), |s| s.id(), |s| s.name()),
            Arch::Aarch64 => collect(syscalls::aarch64::Sysno::iter(), |s| s.id(), |s| s.name()),
            Arch::Riscv64 => collect(syscalls::riscv64::Sysno::iter(), |s| s.id(), |s| s.name()),
        }
    }

    /// The highest syscall number in the table; anything above gets ENOSYS.
    #[must_use]
    pub fn max_syscall(self) -> u32 {
        self.syscalls().last().map_or(0, |(nr, _)| *nr)
    }

    /// Flag and constant values for this architecture.
    #[must_use]
    pub const fn consts(self) -> &'static Consts {
        match self {
            Arch::X86_64 | Arch::Riscv64 => &GENERIC,
            Arch::Aarch64 => &AARCH64,
        }
    }

    /// The architecture this crate was compiled for, when it is supported.
    ///
    /// Only the runtime uses this: code that builds programs takes an explicit [`Arch`].
    #[must_use]
    pub const fn native() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else if cfg!(target_arch = "riscv64") {
            Some(Arch::Riscv64)
        } else {
            None
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.target_arch())
    }
}

/// Flag values that the promise table compares syscall arguments against.
///
/// The three supported architectures agree on most values; the open(2) flags that differ
/// (`O_DIRECTORY`, `O_NOFOLLOW`, `O_DIRECT`, `O_LARGEFILE`, and so `O_TMPFILE`) are why this is a
/// table per architecture and not a set of global constants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // each field is the uapi constant of the same name
pub struct Consts {
    pub o_accmode: u64,
    pub o_wronly: u64,
    pub o_rdwr: u64,
    pub o_creat: u64,
    pub o_trunc: u64,
    pub o_directory: u64,
    pub o_nofollow: u64,
    pub o_tmpfile: u64,
    pub o_path: u64,
    pub prot_exec: u64,
    pub map_fixed: u64,
    pub shm_exec: u64,
    pub read_implies_exec: u64,
    pub mfd_exec: u64,
    pub mfd_noexec_seal: u64,
    pub at_empty_path: u64,
    pub clone_vm: u64,
    pub clone_fs: u64,
    pub clone_files: u64,
    pub clone_sighand: u64,
    pub clone_pidfd: u64,
    pub clone_ptrace: u64,
    pub clone_vfork: u64,
    pub clone_parent: u64,
    pub clone_thread: u64,
    pub clone_newns: u64,
    pub clone_sysvsem: u64,
    pub clone_settls: u64,
    pub clone_parent_settid: u64,
    pub clone_child_cleartid: u64,
    pub clone_detached: u64,
    pub clone_untraced: u64,
    pub clone_child_settid: u64,
    pub clone_newcgroup: u64,
    pub clone_newuts: u64,
    pub clone_newipc: u64,
    pub clone_newuser: u64,
    pub clone_newpid: u64,
    pub clone_newnet: u64,
    pub clone_io: u64,
    pub csignal: u64,
    pub af_unix: u64,
    pub af_inet: u64,
    pub af_inet6: u64,
    pub af_netlink: u64,
    pub sock_stream: u64,
    pub sock_dgram: u64,
    pub sock_raw: u64,
    pub sock_seqpacket: u64,
    pub sock_nonblock: u64,
    pub sock_cloexec: u64,
    pub netlink_route: u64,
    pub ipproto_ip: u64,
    pub ipproto_tcp: u64,
    pub ipproto_udp: u64,
    pub ipproto_ipv6: u64,
    pub sol_socket: u64,
    pub f_dupfd: u64,
    pub f_getfd: u64,
    pub f_setfd: u64,
    pub f_getfl: u64,
    pub f_setfl: u64,
    pub f_getlk: u64,
    pub f_setlk: u64,
    pub f_setlkw: u64,
    pub f_setown: u64,
    pub f_getown: u64,
    pub f_setsig: u64,
    pub f_getsig: u64,
    pub f_setown_ex: u64,
    pub f_getown_ex: u64,
    pub f_ofd_getlk: u64,
    pub f_ofd_setlk: u64,
    pub f_ofd_setlkw: u64,
    pub f_setlease: u64,
    pub f_getlease: u64,
    pub f_dupfd_cloexec: u64,
    pub f_setpipe_sz: u64,
    pub f_getpipe_sz: u64,
    pub f_add_seals: u64,
    pub f_get_seals: u64,
    pub tcgets: u64,
    pub tcsets: u64,
    pub tcsetsw: u64,
    pub tcsetsf: u64,
    pub tcsbrk: u64,
    pub tcxonc: u64,
    pub tcflsh: u64,
    pub tiocsctty: u64,
    pub tiocgpgrp: u64,
    pub tiocspgrp: u64,
    pub tiocsti: u64,
    pub tiocgwinsz: u64,
    pub tiocswinsz: u64,
    pub fionread: u64,
    pub tioclinux: u64,
    pub fionbio: u64,
    pub tiocnotty: u64,
    pub tiocgptn: u64,
    pub tiocsptlck: u64,
    pub tiocgsid: u64,
    pub fionclex: u64,
    pub fioclex: u64,
    pub tiocgptpeer: u64,
    pub sigabrt: u64,
    pub sigsys: u64,
    pub sig_block: u64,
    pub sig_unblock: u64,
    pub sig_setmask: u64,
    pub s_isuid_isgid_isvtx: u64,
    pub pr_set_pdeathsig: u64,
    pub pr_get_pdeathsig: u64,
    pub pr_get_dumpable: u64,
    pub pr_get_keepcaps: u64,
    pub pr_set_keepcaps: u64,
    pub pr_set_name: u64,
    pub pr_get_name: u64,
    pub pr_get_seccomp: u64,
    pub pr_set_seccomp: u64,
    pub pr_capbset_read: u64,
    pub pr_capbset_drop: u64,
    pub pr_get_timerslack: u64,
    pub pr_set_child_subreaper: u64,
    pub pr_get_child_subreaper: u64,
    pub pr_set_no_new_privs: u64,
    pub pr_get_no_new_privs: u64,
    pub pr_get_tid_address: u64,
    pub pr_cap_ambient: u64,
    pub pr_set_vma: u64,
    pub seccomp_set_mode_strict: u64,
    pub seccomp_set_mode_filter: u64,
    pub seccomp_get_action_avail: u64,
    pub seccomp_get_notif_sizes: u64,
    pub personality_query: u64,
    pub arch_prctl_allowed: &'static [u64],
    pub futex_cmd_mask: u64,
}

/// Values shared by x86_64 and riscv64 (the "generic" uapi layout, plus x86's identical open flags).
static GENERIC: Consts = Consts {
    o_accmode: 0o3,
    o_wronly: 0o1,
    o_rdwr: 0o2,
    o_creat: 0o100,
    o_trunc: 0o1000,
    o_directory: 0o200000,
    o_nofollow: 0o400000,
    o_tmpfile: 0o20000000 | 0o200000,
    o_path: 0o10000000,
    ..COMMON
};

/// aarch64 moves four open flags.
static AARCH64: Consts = Consts {
    o_accmode: 0o3,
    o_wronly: 0o1,
    o_rdwr: 0o2,
    o_creat: 0o100,
    o_trunc: 0o1000,
    o_directory: 0o40000,
    o_nofollow: 0o100000,
    o_tmpfile: 0o20000000 | 0o40000,
    o_path: 0o10000000,
    arch_prctl_allowed: &[],
    ..COMMON
};

const COMMON: Consts = Consts {
    o_accmode: 0,
    o_wronly: 0,
    o_rdwr: 0,
    o_creat: 0,
    o_trunc: 0,
    o_directory: 0,
    o_nofollow: 0,
    o_tmpfile: 0,
    o_path: 0,
    prot_exec: 0x4,
    map_fixed: 0x10,
    shm_exec: 0o100000,
    read_implies_exec: 0x0040_0000,
    mfd_exec: 0x10,
    mfd_noexec_seal: 0x8,
    at_empty_path: 0x1000,
    clone_vm: 0x100,
    clone_fs: 0x200,
    clone_files: 0x400,
    clone_sighand: 0x800,
    clone_pidfd: 0x1000,
    clone_ptrace: 0x2000,
    clone_vfork: 0x4000,
    clone_parent: 0x8000,
    clone_thread: 0x10000,
    clone_newns: 0x20000,
    clone_sysvsem: 0x40000,
    clone_settls: 0x80000,
    clone_parent_settid: 0x10_0000,
    clone_child_cleartid: 0x20_0000,
    clone_detached: 0x40_0000,
    clone_untraced: 0x80_0000,
    clone_child_settid: 0x100_0000,
    clone_newcgroup: 0x200_0000,
    clone_newuts: 0x400_0000,
    clone_newipc: 0x800_0000,
    clone_newuser: 0x1000_0000,
    clone_newpid: 0x2000_0000,
    clone_newnet: 0x4000_0000,
    clone_io: 0x8000_0000,
    csignal: 0xff,
    af_unix: 1,
    af_inet: 2,
    af_inet6: 10,
    af_netlink: 16,
    sock_stream: 1,
    sock_dgram: 2,
    sock_raw: 3,
    sock_seqpacket: 5,
    sock_nonblock: 0o4000,
    sock_cloexec: 0o2000000,
    netlink_route: 0,
    ipproto_ip: 0,
    ipproto_tcp: 6,
    ipproto_udp: 17,
    ipproto_ipv6: 41,
    sol_socket: 1,
    f_dupfd: 0,
    f_getfd: 1,
    f_setfd: 2,
    f_getfl: 3,
    f_setfl: 4,
    f_getlk: 5,
    f_setlk: 6,
    f_setlkw: 7,
    f_setown: 8,
    f_getown: 9,
    f_setsig: 10,
    f_getsig: 11,
    f_setown_ex: 15,
    f_getown_ex: 16,
    f_ofd_getlk: 36,
    f_ofd_setlk: 37,
    f_ofd_setlkw: 38,
    f_setlease: 1024,
    f_getlease: 1025,
    f_dupfd_cloexec: 1030,
    f_setpipe_sz: 1031,
    f_getpipe_sz: 1032,
    f_add_seals: 1033,
    f_get_seals: 1034,
    tcgets: 0x5401,
    tcsets: 0x5402,
    tcsetsw: 0x5403,
    tcsetsf: 0x5404,
    tcsbrk: 0x5409,
    tcxonc: 0x540A,
    tcflsh: 0x540B,
    tiocsctty: 0x540E,
    tiocgpgrp: 0x540F,
    tiocspgrp: 0x5410,
    tiocsti: 0x5412,
    tiocgwinsz: 0x5413,
    tiocswinsz: 0x5414,
    fionread: 0x541B,
    tioclinux: 0x541C,
    fionbio: 0x5421,
    tiocnotty: 0x5422,
    tiocgptn: 0x8004_5430,
    tiocsptlck: 0x4004_5431,
    tiocgsid: 0x5429,
    fionclex: 0x5450,
    fioclex: 0x5451,
    tiocgptpeer: 0x5441,
    sigabrt: 6,
    sigsys: 31,
    sig_block: 0,
    sig_unblock: 1,
    sig_setmask: 2,
    s_isuid_isgid_isvtx: 0o7000,
    pr_set_pdeathsig: 1,
    pr_get_pdeathsig: 2,
    pr_get_dumpable: 3,
    pr_get_keepcaps: 7,
    pr_set_keepcaps: 8,
    pr_set_name: 15,
    pr_get_name: 16,
    pr_get_seccomp: 21,
    pr_set_seccomp: 22,
    pr_capbset_read: 23,
    pr_capbset_drop: 24,
    pr_get_timerslack: 30,
    pr_set_child_subreaper: 36,
    pr_get_child_subreaper: 37,
    pr_set_no_new_privs: 38,
    pr_get_no_new_privs: 39,
    pr_get_tid_address: 40,
    pr_cap_ambient: 47,
    pr_set_vma: 0x5356_4d41,
    seccomp_set_mode_strict: 0,
    seccomp_set_mode_filter: 1,
    seccomp_get_action_avail: 2,
    seccomp_get_notif_sizes: 3,
    personality_query: 0xffff_ffff,
    // ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_CPUID, ARCH_CET_STATUS
    // (glibc's start-up query) and the shadow-stack status query. ARCH_SET_CPUID and the vDSO
    // mapping codes are left out.
    arch_prctl_allowed: &[0x1001, 0x1002, 0x1003, 0x1004, 0x1011, 0x3001, 0x5005],
    futex_cmd_mask: 0x7f,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_differ_by_arch() {
        assert_eq!(Arch::X86_64.syscall_number("openat"), Some(257));
        assert_eq!(Arch::Aarch64.syscall_number("openat"), Some(56));
        assert_eq!(Arch::Riscv64.syscall_number("openat"), Some(56));
        assert_eq!(Arch::Aarch64.syscall_number("open"), None);
        assert_eq!(Arch::X86_64.syscall_name(0), Some("read"));
        assert_eq!(Arch::Aarch64.syscall_name(63), Some("read"));
    }

    #[test]
    fn open_flags_differ_by_arch() {
        assert_eq!(Arch::X86_64.consts().o_directory, 0x10000);
        assert_eq!(Arch::Aarch64.consts().o_directory, 0x4000);
        assert_eq!(Arch::Riscv64.consts().o_directory, 0x10000);
        assert_eq!(Arch::X86_64.consts().o_tmpfile, 0x41_0000);
        assert_eq!(Arch::Aarch64.consts().o_tmpfile, 0x40_4000);
    }

    #[test]
    fn tables_are_sorted_and_named() {
        for arch in Arch::ALL {
            let calls = arch.syscalls();
            assert!(calls.len() > 250, "{arch}: {}", calls.len());
            assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
            for (nr, name) in calls {
                assert_eq!(arch.syscall_number(name), Some(nr));
            }
        }
    }
}
