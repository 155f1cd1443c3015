//! The promise table: what each promise allows, written once.
//!
//! Read it as data: one block per promise, then the calls no promise allows, then the calls that
//! answer ENOSYS. Every other part of the project (the compiler, the violation reporter, the
//! docs' promise reference, the tests) reads this table; nothing restates it.
//!
//! # Adding a syscall
//!
//! 1. Find the promise whose meaning covers it (REFERENCE: OpenBSD's pledge(2)); if none does,
//!    add it to [`NEVER`] with a reason. A call whose arguments seccomp cannot read (a pointer to
//!    a struct with flags inside, like `clone3`) goes to the ENOSYS list when libc has a
//!    fallback, otherwise to [`NEVER`].
//! 2. If only some arguments are safe, add conditions with the `Cond` helpers. Compare `int`
//!    arguments with the `int_*` helpers (the kernel ignores the high half); pointers with
//!    [`Cond::null`].
//! 3. `cargo test -p sandbox-policy`: the classification test fails for any syscall of any
//!    supported architecture that is not in the table, and for any name in the table that no
//!    architecture has.

use std::collections::{BTreeMap, BTreeSet};

use crate::arch::{Arch, Consts};
use crate::promise::{Promise, Promise::*, PromiseSet};
use crate::rule::{Alt, Class, Cond, Rule, Table};

/// Calls no promise allows, with the reason shown in the docs and in violation reports.
#[rustfmt::skip]
pub const NEVER: &[(&str, &[&str])] = &[
    (
        "reaches into other processes",
        &["ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"],
    ),
    (
        "performs I/O that seccomp cannot see",
        &["io_uring_setup", "io_uring_enter", "io_uring_register"],
    ),
    (
        "loads code or filters into the kernel",
        &[
            "bpf",
            "perf_event_open",
            "kexec_load",
            "kexec_file_load",
            "init_module",
            "finit_module",
            "delete_module",
            "create_module",
            "query_module",
            "get_kernel_syms",
            "uselib",
        ],
    ),
    ("uses the kernel keyring", &["keyctl", "add_key", "request_key"]),
    ("lets the kernel run user code mid-call", &["userfaultfd"]),
    (
        "changes namespaces or mounts",
        &[
            "unshare",
            "setns",
            "mount",
            "umount2",
            "pivot_root",
            "chroot",
            "fsopen",
            "fsconfig",
            "fsmount",
            "fspick",
            "move_mount",
            "open_tree",
            "open_tree_attr",
            "mount_setattr",
            "listmount",
            "statmount",
        ],
    ),
    (
        "administers the system",
        &[
            "swapon",
            "swapoff",
            "reboot",
            "sethostname",
            "setdomainname",
            "acct",
            "quotactl",
            "quotactl_fd",
            "syslog",
            "iopl",
            "ioperm",
            "vhangup",
            "nfsservctl",
            "lookup_dcookie",
            "_sysctl",
            "sysfs",
            "ustat",
            "fanotify_init",
            "fanotify_mark",
            "open_by_handle_at",
            "lsm_set_self_attr",
        ],
    ),
    (
        "is obsolete or has no use in a sandboxed program",
        &[
            "modify_ldt",
            "get_thread_area",
            "set_thread_area",
            "tuxcall",
            "security",
            "vserver",
            "afs_syscall",
            "getpmsg",
            "putpmsg",
            "epoll_ctl_old",
            "epoll_wait_old",
            "uprobe",
            "uretprobe",
            "lsm_get_self_attr",
            "lsm_list_modules",
        ],
    ),
    (
        "opens System V or POSIX IPC objects by name (no promise covers them yet)",
        &[
            "shmget",
            "shmat",
            "shmdt",
            "shmctl",
            "semget",
            "semop",
            "semctl",
            "semtimedop",
            "semtimedop_time64",
            "msgget",
            "msgsnd",
            "msgrcv",
            "msgctl",
            "mq_open",
            "mq_unlink",
            "mq_timedsend",
            "mq_timedsend_time64",
            "mq_timedreceive",
            "mq_timedreceive_time64",
            "mq_notify",
            "mq_getsetattr",
        ],
    ),
    (
        "submits legacy asynchronous I/O (no promise covers it yet)",
        &["io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64"],
    ),
];

/// Calls that always answer ENOSYS: their flags live in a struct seccomp cannot read, and libc
/// falls back to an older call whose flags the filter checks.
pub const ENOSYS_CALLS: &[&str] = &["clone3", "openat2"];

struct Builder {
    arch: Arch,
    alts: BTreeMap<&'static str, Vec<Alt>>,
    pretend: BTreeMap<&'static str, Vec<Alt>>,
    /// The errno each call's `pretend` alternatives answer (absent: 0, success).
    answer: BTreeMap<&'static str, u32>,
    referenced: BTreeSet<&'static str>,
}

impl Builder {
    fn allow(&mut self, needs: PromiseSet, name: &'static str, conds: Vec<Cond>) {
        self.referenced.insert(name);
        if self.arch.syscall_number(name).is_some() {
            self.alts.entry(name).or_default().push(Alt {
                needs,
                conds: conds.into(),
            });
        }
    }

    fn pretend(&mut self, needs: PromiseSet, name: &'static str, conds: Vec<Cond>) {
        self.answer_with(needs, name, conds, 0);
    }

    /// Answers a call that no promise allows with `errno`, without running it and without the
    /// penalty: for calls libc makes and copes with failing. All of a call's answered
    /// alternatives share one errno.
    fn answer_with(&mut self, needs: PromiseSet, name: &'static str, conds: Vec<Cond>, errno: u32) {
        let previous = *self.answer.entry(name).or_insert(errno);
        assert_eq!(
            previous, errno,
            "{name}: one errno for all of its answered alternatives"
        );
        self.referenced.insert(name);
        if self.arch.syscall_number(name).is_some() {
            self.pretend.entry(name).or_default().push(Alt {
                needs,
                conds: conds.into(),
            });
        }
    }

    fn calls(&mut self, needs: PromiseSet, names: &[&'static str]) {
        for name in names {
            self.allow(needs, name, vec![]);
        }
    }
}

fn set(ps: &[Promise]) -> PromiseSet {
    ps.iter().copied().collect()
}

/// Builds the table for `arch`.
///
/// # Panics
///
/// If the table contradicts itself (a call both allowed and never allowed); the crate's tests
/// build every architecture's table, so this cannot reach a user.
#[must_use]
pub fn table(arch: Arch) -> Table {
    build(arch).0
}

/// Every syscall name the table mentions, on any architecture.
#[must_use]
pub fn referenced_names() -> BTreeSet<&'static str> {
    let mut b = build(Arch::X86_64).1;
    b.extend(NEVER.iter().flat_map(|(_, names)| names.iter().copied()));
    b.extend(ENOSYS_CALLS.iter().copied());
    b
}

#[allow(clippy::too_many_lines)] // it is the table
#[rustfmt::skip] // laid out as a table, for review
fn build(arch: Arch) -> (Table, BTreeSet<&'static str>) {
    let c = arch.consts();
    let mut b = Builder { arch, alts: BTreeMap::new(), pretend: BTreeMap::new(), answer: BTreeMap::new(), referenced: BTreeSet::new() };
    let none = PromiseSet::EMPTY;
    let stdio = PromiseSet::of(Stdio);

    // ---- always: exit, signal return, and the violation reporter's own needs --------------
    // The reporter writes one line to stderr and then kills its own process with SIGABRT; a
    // later phase installs its filter with seccomp(2) after setting no_new_privs.
    // Returning from main also tears down the main thread's signal stack (sigaltstack, munmap).
    b.calls(
        none,
        &["exit", "exit_group", "rt_sigreturn", "restart_syscall", "seccomp", "getpid", "gettid", "sigaltstack", "munmap"],
    );
    b.allow(none, "write", vec![Cond::int_eq(0, &[2])]);
    b.allow(none, "kill", vec![Cond::self_pid(0), Cond::int_eq(1, &[c.sigabrt])]);
    b.allow(none, "tgkill", vec![Cond::self_pid(0), Cond::int_eq(2, &[c.sigabrt])]);
    b.allow(none, "rt_sigaction", vec![Cond::int_eq(0, &[c.sigabrt])]);
    // Replacing the SIGSYS handler "succeeds" without taking effect: posix_spawn's child resets
    // every handled signal before execve (which resets them anyway), and a program that tries
    // to dodge the reporter keeps it.
    b.pretend(none, "rt_sigaction", vec![Cond::int_eq(0, &[c.sigsys])]);
    b.allow(none, "rt_sigprocmask", vec![Cond::int_eq(0, &[c.sig_unblock])]);
    // The reporter reads a path argument through the kernel, via the thread's name.
    b.allow(none, "prctl", vec![Cond::int_eq(0, &[c.pr_set_no_new_privs, c.pr_set_seccomp, c.pr_set_name, c.pr_get_name])]);

    // ---- stdio -----------------------------------------------------------------------------
    b.calls(
        stdio,
        &[
            // memory
            "brk", "munmap", "mremap", "madvise", "msync", "mincore", "mlock", "mlock2",
            "munlock", "mlockall", "munlockall", "membarrier", "pkey_alloc", "pkey_free",
            "mseal", "map_shadow_stack", "get_mempolicy", "set_mempolicy", "mbind",
            "set_mempolicy_home_node", "remap_file_pages", "memfd_secret", "cachestat",
            // I/O on descriptors already open
            "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
            "preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3",
            "pipe", "pipe2", "fstat", "fstatfs", "fsync", "fdatasync", "sync_file_range",
            "syncfs", "sync", "ftruncate", "fallocate", "fadvise64", "readahead", "sendfile",
            "splice", "tee", "vmsplice", "copy_file_range",
            // waiting for descriptors
            "poll", "ppoll", "ppoll_time64", "select", "pselect6", "pselect6_time64",
            "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
            "epoll_pwait2", "eventfd", "eventfd2", "timerfd_create", "timerfd_settime",
            "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "signalfd",
            "signalfd4", "inotify_init", "inotify_init1", "inotify_rm_watch",
            // sockets already open
            "recvfrom", "shutdown", "getsockname", "getpeername", "getsockopt",
            // time
            "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
            "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time",
            "getitimer", "setitimer", "alarm", "times", "timer_create", "timer_settime",
            "timer_settime64", "timer_gettime", "timer_gettime64", "timer_getoverrun",
            "timer_delete",
            // signals
            "rt_sigprocmask", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
            "rt_sigtimedwait_time64", "sigaltstack", "pause",
            // threads
            "futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait",
            "futex_requeue", "set_robust_list", "set_tid_address", "rseq", "sched_yield",
            "sched_getaffinity", "sched_getparam", "sched_getscheduler",
            "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
            "sched_rr_get_interval_time64", "sched_getattr", "getcpu",
            // identity and limits (read-only)
            "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
            "getresgid", "getgroups", "getpgid", "getpgrp", "getsid", "getrlimit",
            "getrusage", "getpriority", "ioprio_get", "sysinfo", "uname", "capget", "umask",
            "getrandom", "wait4", "waitid",
            // architecture odds and ends
            "riscv_hwprobe", "riscv_flush_icache",
        ],
    );
    let no_exec = |arg| vec![Cond::int_clear(arg, c.prot_exec)];
    b.allow(stdio, "mmap", no_exec(2));
    b.allow(stdio, "mprotect", no_exec(2));
    b.allow(stdio, "pkey_mprotect", no_exec(2));
    // A memfd is executable unless sealed so (vm.memfd_noexec=0, the default): execve of
    // /proc/self/fd/N would run code that no file on disk holds, around unveil's x.
    b.allow(stdio, "memfd_create", vec![Cond::int_in(1, c.mfd_exec | c.mfd_noexec_seal, &[c.mfd_noexec_seal])]);
    b.allow(stdio, "personality", vec![Cond::int_eq(0, &[c.personality_query])]);
    b.allow(stdio, "arch_prctl", vec![Cond::int_eq(0, c.arch_prctl_allowed)]);
    b.allow(
        stdio,
        "ioctl",
        vec![Cond::int_eq(1, &[c.fionread, c.fionbio, c.fioclex, c.fionclex, c.tcgets, c.tiocgwinsz])],
    );
    b.allow(
        stdio,
        "fcntl",
        vec![Cond::int_eq(
            1,
            &[
                c.f_dupfd, c.f_dupfd_cloexec, c.f_getfd, c.f_setfd, c.f_getfl, c.f_setfl,
                c.f_getown, c.f_getown_ex, c.f_getsig, c.f_getpipe_sz, c.f_setpipe_sz,
                c.f_add_seals, c.f_get_seals, c.f_getlease,
            ],
        )],
    );
    b.allow(
        stdio,
        "prctl",
        vec![Cond::int_eq(
            0,
            &[
                c.pr_set_name, c.pr_get_name, c.pr_get_dumpable, c.pr_get_seccomp,
                c.pr_get_no_new_privs, c.pr_capbset_read, c.pr_get_keepcaps,
                c.pr_get_timerslack, c.pr_get_tid_address, c.pr_set_vma, c.pr_get_pdeathsig,
                c.pr_get_child_subreaper,
            ],
        )],
    );
    // Send on a connected socket only: a destination address needs inet, unix or dns.
    b.allow(stdio, "sendto", vec![Cond::null(4)]);
    // Connected pairs only: a datagram pair socket can still connect or send to any pathname
    // datagram socket (/dev/log, a notify socket) under a promise that allows sendto with an
    // address (inet, dns), which seccomp cannot tell from an internet socket. unix allows every
    // type.
    let pair_types = Cond::int_in(1, !(c.sock_nonblock | c.sock_cloexec), &[c.sock_stream, c.sock_seqpacket]);
    b.allow(stdio, "socketpair", vec![Cond::int_eq(0, &[c.af_unix]), pair_types]);
    b.allow(set(&[Stdio, Unix]), "socketpair", vec![Cond::int_eq(0, &[c.af_unix])]);
    // fstat(2) and File::metadata go through statx / newfstatat with AT_EMPTY_PATH.
    b.allow(stdio, "statx", vec![Cond::int_set(2, c.at_empty_path)]);
    b.allow(stdio, "newfstatat", vec![Cond::int_set(3, c.at_empty_path)]);
    b.allow(stdio, "fstatat", vec![Cond::int_set(3, c.at_empty_path)]);
    // Signals: the SIGSYS handler cannot be replaced or ignored; kill only the own process.
    b.allow(stdio, "rt_sigaction", vec![Cond::int_not(0, &[c.sigsys])]);
    b.allow(stdio, "rt_sigaction", vec![Cond::int_eq(0, &[c.sigsys]), Cond::null(1)]);
    b.allow(stdio, "kill", vec![Cond::self_pid(0)]);
    b.allow(stdio, "tgkill", vec![Cond::self_pid(0)]);
    b.allow(stdio, "rt_sigqueueinfo", vec![Cond::self_pid(0)]);
    b.allow(stdio, "rt_tgsigqueueinfo", vec![Cond::self_pid(0)]);
    // Threads: clone with the flags of pthread_create (glibc and musl), nothing else.
    let thread_required = c.clone_vm | c.clone_sighand | c.clone_thread;
    let thread_allowed = thread_required
        | c.clone_fs
        | c.clone_files
        | c.clone_sysvsem
        | c.clone_settls
        | c.clone_parent_settid
        | c.clone_child_cleartid
        | c.clone_child_settid
        | c.clone_detached;
    b.allow(
        stdio,
        "clone",
        vec![Cond::int_set(0, thread_required), Cond::int_clear(0, !thread_allowed)],
    );
    // Own limits and robust list only.
    b.allow(stdio, "prlimit64", vec![Cond::int_eq(0, &[0]), Cond::null(2)]);
    b.allow(stdio, "get_robust_list", vec![Cond::int_eq(0, &[0])]);

    // ---- opening files: rpath, wpath, cpath, tmppath, dns, getpw, compiled together --------
    open_rules(&mut b, c);

    // ---- rpath ------------------------------------------------------------------------------
    let rpath = PromiseSet::of(Rpath);
    let stat_calls: &[&str] = &["stat", "lstat", "newfstatat", "fstatat", "statx", "statfs"];
    b.calls(rpath, stat_calls);
    b.calls(
        rpath,
        &[
            "access", "faccessat", "faccessat2", "readlink", "readlinkat", "chdir", "fchdir",
            "getcwd", "getdents", "getdents64", "getxattr", "lgetxattr", "fgetxattr",
            "listxattr", "llistxattr", "flistxattr", "getxattrat", "listxattrat",
            "file_getattr", "inotify_add_watch", "name_to_handle_at",
        ],
    );
    // The resolver and the password database stat their files to notice changes.
    b.calls(PromiseSet::of(Dns), stat_calls);
    b.calls(PromiseSet::of(Getpw), stat_calls);
    b.calls(PromiseSet::of(Tmppath), stat_calls);

    // ---- wpath, cpath, dpath, tmppath -------------------------------------------------------
    b.calls(PromiseSet::of(Wpath), &["truncate"]);
    b.calls(
        PromiseSet::of(Cpath),
        &[
            "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
            "unlink", "unlinkat", "mkdir", "mkdirat", "rmdir",
        ],
    );
    b.calls(PromiseSet::of(Dpath), &["mknod", "mknodat"]);
    b.calls(PromiseSet::of(Tmppath), &["unlink", "unlinkat"]);

    // ---- fattr, chown --------------------------------------------------------------------------
    let fattr = PromiseSet::of(Fattr);
    for (name, mode_arg) in [("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("fchmodat2", 2)] {
        b.allow(fattr, name, vec![Cond::int_clear(mode_arg, c.s_isuid_isgid_isvtx)]);
        b.allow(set(&[Fattr, Chown]), name, vec![]);
    }
    b.calls(
        fattr,
        &[
            "utime", "utimes", "utimensat", "utimensat_time64", "futimesat", "setxattr",
            "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
            "setxattrat", "removexattrat", "file_setattr",
        ],
    );
    // fattr may change the group (the kernel limits that to the caller's own groups) but keep
    // the owner (uid -1); chown may change both.
    for (name, uid_arg) in [("chown", 1), ("fchown", 1), ("lchown", 1), ("fchownat", 2)] {
        b.allow(fattr, name, vec![Cond::int_eq(uid_arg, &[0xffff_ffff])]);
        b.allow(PromiseSet::of(Chown), name, vec![]);
    }

    // ---- flock ----------------------------------------------------------------------------------
    b.calls(PromiseSet::of(Flock), &["flock"]);
    b.allow(
        PromiseSet::of(Flock),
        "fcntl",
        vec![Cond::int_eq(
            1,
            &[
                c.f_getlk, c.f_setlk, c.f_setlkw, c.f_ofd_getlk, c.f_ofd_setlk, c.f_ofd_setlkw,
                c.f_setlease,
            ],
        )],
    );

    // ---- sockets: inet, unix, dns, mcast, sendfd, recvfd --------------------------------------
    socket_rules(&mut b, c);

    // ---- tty -------------------------------------------------------------------------------------
    b.allow(
        PromiseSet::of(Tty),
        "ioctl",
        vec![Cond::int_eq(
            1,
            &[
                c.tcgets, c.tcsets, c.tcsetsw, c.tcsetsf, c.tcsbrk, c.tcxonc, c.tcflsh,
                c.tiocgpgrp, c.tiocspgrp, c.tiocgwinsz, c.tiocswinsz, c.tiocgsid, c.tiocgptn,
                c.tiocsptlck, c.tiocgptpeer, c.tiocsctty, c.tiocnotty,
            ],
        )],
    );

    // ---- proc ------------------------------------------------------------------------------------
    let proc = PromiseSet::of(Proc);
    b.calls(
        proc,
        &[
            "fork", "vfork", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
            "pidfd_open", "pidfd_send_signal", "setpgid", "setsid", "setpriority",
            "setrlimit", "prlimit64", "get_robust_list", "sched_setaffinity",
            "sched_setparam", "sched_setscheduler", "sched_setattr", "ioprio_set",
            "migrate_pages", "move_pages", "process_madvise", "process_mrelease",
        ],
    );
    let namespaces = c.clone_newns
        | c.clone_newcgroup
        | c.clone_newuts
        | c.clone_newipc
        | c.clone_newuser
        | c.clone_newpid
        | c.clone_newnet
        | c.clone_ptrace;
    b.allow(proc, "clone", vec![Cond::int_clear(0, namespaces)]);
    // posix_spawn (glibc and musl, and so std's Command) blocks every signal around its clone,
    // and musl's fork around its fork or clone: a trap there could not run the reporter and
    // would end the process by a bare SIGSYS. Without proc, making a process (fork, vfork, a
    // clone without CLONE_THREAD) answers EPERM instead, in every penalty mode, so that the
    // spawn or fork fails with an error the program can print.
    // (A clone asking for new namespaces keeps the report.)
    b.answer_with(
        PromiseSet::EMPTY,
        "clone",
        vec![Cond::int_clear(0, c.clone_thread | namespaces)],
        crate::rule::EPERM,
    );
    for name in ["fork", "vfork"] {
        b.answer_with(PromiseSet::EMPTY, name, vec![], crate::rule::EPERM);
    }
    b.allow(proc, "prctl", vec![Cond::int_eq(0, &[c.pr_set_pdeathsig, c.pr_set_child_subreaper])]);
    b.allow(proc, "fcntl", vec![Cond::int_eq(1, &[c.f_setown, c.f_setown_ex, c.f_setsig])]);

    // ---- exec, prot_exec ---------------------------------------------------------------------------
    b.calls(PromiseSet::of(Exec), &["execve"]);
    // execveat(fd, "", AT_EMPTY_PATH) runs a memfd or any descriptor: never.
    b.allow(PromiseSet::of(Exec), "execveat", vec![Cond::int_clear(4, c.at_empty_path)]);
    let prot_exec = PromiseSet::of(ProtExec);
    b.allow(set(&[Stdio, ProtExec]), "mmap", vec![]);
    b.allow(set(&[Stdio, ProtExec]), "mprotect", vec![]);
    b.allow(set(&[Stdio, ProtExec]), "pkey_mprotect", vec![]);
    b.allow(set(&[Stdio, ProtExec]), "memfd_create", vec![]);
    b.calls(prot_exec, &["personality"]);

    // ---- settime, id, unveil -------------------------------------------------------------------
    b.calls(
        PromiseSet::of(Settime),
        &["settimeofday", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime", "clock_adjtime64"],
    );
    let id = PromiseSet::of(Id);
    b.calls(
        id,
        &[
            "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
            "setfsuid", "setfsgid", "capset",
        ],
    );
    b.allow(id, "prctl", vec![Cond::int_eq(0, &[c.pr_set_keepcaps, c.pr_capbset_drop, c.pr_cap_ambient])]);
    // unveil: the Landlock calls, O_PATH handles on the paths to unveil (Landlock does not
    // restrict O_PATH; they grant only stat-like access), and listing /proc/self/task through a
    // descriptor opened at the first phase, to restrict threads on kernels before Landlock ABI 8.
    let unveil = PromiseSet::of(Unveil);
    b.calls(
        unveil,
        &["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "getdents64", "getdents"],
    );
    b.allow(unveil, "openat", vec![Cond::int_set(2, c.o_path)]);
    b.allow(unveil, "open", vec![Cond::int_set(1, c.o_path)]);
    // A later phase may always narrow what is unveiled: Landlock layers only take rights away,
    // so the Landlock calls and the O_PATH handles that name the paths are stdio (OpenBSD needs
    // the unveil promise because its unveil can widen; the runtime refuses any widening). An
    // O_PATH handle grants only stat-like access, which stdio has through AT_EMPTY_PATH.
    b.calls(stdio, &["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"]);
    b.allow(stdio, "openat", vec![Cond::int_set(2, c.o_path)]);
    b.allow(stdio, "open", vec![Cond::int_set(1, c.o_path)]);

    assemble(b)
}

/// open, openat and creat: one alternative per combination of access mode, O_CREAT, O_TRUNC and
/// O_TMPFILE, needing the union of what each part needs.
#[rustfmt::skip]
fn open_rules(b: &mut Builder, c: &Consts) {
    let tmpfile_bit = c.o_tmpfile & !c.o_directory;
    let mask = c.o_accmode | c.o_creat | c.o_trunc | tmpfile_bit;
    for accmode in 0..=3u64 {
        for creat in [false, true] {
            for trunc in [false, true] {
                for tmp in [false, true] {
                    let mut needs = match accmode {
                        0 => set(&[Rpath]),
                        1 => set(&[Wpath]),
                        _ => set(&[Rpath, Wpath]),
                    };
                    if creat || tmp {
                        needs = needs.with(Cpath);
                    }
                    if trunc {
                        needs = needs.with(Wpath);
                    }
                    let value = accmode
                        | if creat { c.o_creat } else { 0 }
                        | if trunc { c.o_trunc } else { 0 }
                        | if tmp { tmpfile_bit } else { 0 };
                    // tmppath: any combination, confined to /tmp by Landlock.
                    // dns and getpw: read-only, confined to their files by Landlock.
                    let mut whos = vec![needs, set(&[Tmppath])];
                    if value == 0 {
                        whos.push(set(&[Dns]));
                        whos.push(set(&[Getpw]));
                    }
                    for who in whos {
                        b.allow(who, "openat", vec![Cond::int_in(2, mask, &[value])]);
                        b.allow(who, "open", vec![Cond::int_in(1, mask, &[value])]);
                    }
                }
            }
        }
    }
    // creat(path, mode) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode).
    b.allow(set(&[Wpath, Cpath]), "creat", vec![]);
    b.allow(set(&[Tmppath]), "creat", vec![]);
}

/// `MSG_FASTOPEN`, the same on every supported architecture.
const MSG_FASTOPEN: u64 = 0x2000_0000;

#[rustfmt::skip]
fn socket_rules(b: &mut Builder, c: &Consts) {
    let sock_type = |types: &[u64]| Cond::int_in(1, !(c.sock_nonblock | c.sock_cloexec), types);
    let inet = PromiseSet::of(Inet);
    let unix = PromiseSet::of(Unix);
    let dns = PromiseSet::of(Dns);
    let families_inet = [c.af_inet, c.af_inet6];
    b.allow(
        inet,
        "socket",
        vec![
            Cond::int_eq(0, &families_inet),
            sock_type(&[c.sock_stream, c.sock_dgram]),
            Cond::int_eq(2, &[c.ipproto_ip, c.ipproto_tcp, c.ipproto_udp]),
        ],
    );
    b.allow(
        unix,
        "socket",
        vec![Cond::int_eq(0, &[c.af_unix]), sock_type(&[c.sock_stream, c.sock_dgram, c.sock_seqpacket])],
    );
    // The resolver: UDP and TCP to name servers (TCP only to port 53 where Landlock has TCP
    // rules, ABI 4; UDP to any port until Landlock ABI 10).
    b.allow(
        dns,
        "socket",
        vec![
            Cond::int_eq(0, &families_inet),
            sock_type(&[c.sock_stream, c.sock_dgram]),
            Cond::int_eq(2, &[c.ipproto_ip, c.ipproto_tcp, c.ipproto_udp]),
        ],
    );
    // Not granted: the unix socket libc tries for nscd (it would connect to any pathname socket:
    // a container runtime's, D-Bus, a database) and the netlink route socket glibc's
    // getaddrinfo opens to learn the local addresses (it would accept RTM_NEWLINK, NEWADDR and
    // NEWROUTE from root). Both answer EAFNOSUPPORT, without the penalty: glibc and musl then
    // read the files and ask the name servers themselves, and glibc assumes both IPv4 and
    // IPv6 are configured. Other forms of these sockets get the penalty ("needs unix").
    for who in [dns, PromiseSet::of(Getpw)] {
        b.answer_with(who, "socket", vec![Cond::int_eq(0, &[c.af_unix]), sock_type(&[c.sock_stream]), Cond::int_eq(2, &[0])], crate::rule::EAFNOSUPPORT);
    }
    b.answer_with(
        dns,
        "socket",
        vec![Cond::int_eq(0, &[c.af_netlink]), sock_type(&[c.sock_raw]), Cond::int_eq(2, &[c.netlink_route])],
        crate::rule::EAFNOSUPPORT,
    );

    for who in [inet, unix] {
        b.calls(who, &["connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg", "sendmmsg", "recvmsg", "recvmmsg", "recvmmsg_time64"]);
    }
    b.calls(dns, &["connect", "bind", "recvmsg", "recvmmsg", "recvmmsg_time64"]);
    // Without MSG_FASTOPEN: a TCP fast-open send connects inside the send, where Landlock's TCP
    // rules (port 53 only under dns) do not look.
    b.allow(dns, "sendto", vec![Cond::int_clear(3, MSG_FASTOPEN)]);
    b.allow(dns, "sendmsg", vec![Cond::int_clear(2, MSG_FASTOPEN)]);
    b.allow(dns, "sendmmsg", vec![Cond::int_clear(3, MSG_FASTOPEN)]);
    b.calls(PromiseSet::of(Sendfd), &["sendmsg"]);
    b.calls(PromiseSet::of(Recvfd), &["recvmsg"]);

    // Socket options: level (arg 1) and name (arg 2).
    const SOL_SOCKET_OPTS: &[u64] = &[
        2,  // SO_REUSEADDR
        6,  // SO_BROADCAST
        7,  // SO_SNDBUF
        8,  // SO_RCVBUF
        9,  // SO_KEEPALIVE
        13, // SO_LINGER
        15, // SO_REUSEPORT
        16, // SO_PASSCRED
        20, // SO_RCVTIMEO_OLD
        21, // SO_SNDTIMEO_OLD
        66, // SO_RCVTIMEO_NEW
        67, // SO_SNDTIMEO_NEW
    ];
    const TCP_OPTS: &[u64] = &[1, 4, 5, 6, 18]; // NODELAY, KEEPIDLE, KEEPINTVL, KEEPCNT, USER_TIMEOUT
    const IP_OPTS: &[u64] = &[1, 2, 11]; // IP_TOS, IP_TTL, IP_RECVERR
    const IPV6_OPTS: &[u64] = &[16, 25, 26]; // UNICAST_HOPS, RECVERR, V6ONLY
    const IP_MCAST: &[u64] = &[32, 33, 34, 35, 36]; // MULTICAST_IF/TTL/LOOP, ADD/DROP_MEMBERSHIP
    const IPV6_MCAST: &[u64] = &[17, 18, 19, 20, 21];
    let sockopt = |b: &mut Builder, who, level: u64, names: &[u64]| {
        b.allow(who, "setsockopt", vec![Cond::int_eq(1, &[level]), Cond::int_eq(2, names)]);
    };
    for who in [inet, unix] {
        sockopt(b, who, c.sol_socket, SOL_SOCKET_OPTS);
    }
    sockopt(b, inet, c.ipproto_tcp, TCP_OPTS);
    sockopt(b, inet, c.ipproto_ip, IP_OPTS);
    sockopt(b, inet, c.ipproto_ipv6, IPV6_OPTS);
    sockopt(b, dns, c.ipproto_ip, &[11]);
    sockopt(b, dns, c.ipproto_ipv6, &[25, 26]);
    sockopt(b, dns, c.sol_socket, &[7, 8, 20, 21, 66, 67]);
    let mcast = set(&[Inet, Mcast]);
    sockopt(b, mcast, c.ipproto_ip, IP_MCAST);
    sockopt(b, mcast, c.ipproto_ipv6, IPV6_MCAST);
}

fn assemble(b: Builder) -> (Table, BTreeSet<&'static str>) {
    let arch = b.arch;
    let never: BTreeMap<&str, &'static str> = NEVER
        .iter()
        .flat_map(|(why, names)| names.iter().map(move |n| (*n, *why)))
        .collect();
    let mut rules = Vec::new();
    for (nr, name) in arch.syscalls() {
        let alts = b.alts.get(name).cloned().unwrap_or_default();
        let pretend = b.pretend.get(name).cloned().unwrap_or_default();
        let answer = b.answer.get(name).copied().unwrap_or(0);
        let class = if ENOSYS_CALLS.contains(&name) {
            Class::Enosys
        } else if let Some(why) = never.get(name) {
            Class::Never(why)
        } else {
            Class::Promised
        };
        assert!(
            class == Class::Promised || alts.is_empty(),
            "{name} is both allowed and {class:?}"
        );
        rules.push(Rule {
            name,
            nr,
            class,
            alts: alts.into(),
            pretend: pretend.into(),
            answer,
        });
    }
    (
        Table {
            arch,
            rules: rules.into(),
        },
        b.referenced,
    )
}
