//! The only module with `unsafe`: thin wrappers over the syscalls the runtime makes.
//!
//! # Safety
//!
//! Each wrapper passes pointers to memory it owns for the duration of the call and checks the
//! return value; none keeps a pointer past the call. Functions marked signal-safe make exactly
//! one syscall and touch no lock or allocator, so the SIGSYS handler may call them.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use sandbox_policy::bpf::Insn;

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const Insn,
}

const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
const SECCOMP_FILTER_FLAG_TSYNC: libc::c_ulong = 1;

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. See prctl(2).
pub(crate) fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Result of installing a filter on every thread.
pub(crate) enum Install {
    Done,
    /// TSYNC could not move this thread (it carries a filter that is not an ancestor of ours).
    BlockedBy(libc::pid_t),
    Failed(io::Error),
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`, returning the raw result. Signal-safe.
/// See [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html).
fn set_mode_filter(prog: &[Insn], flags: libc::c_ulong) -> io::Result<libc::c_long> {
    let len = u16::try_from(prog.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let fprog = SockFprog {
        len,
        filter: prog.as_ptr(),
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call; the kernel copies the program.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            flags,
            &raw const fprog,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Installs `prog` on every thread (`SECCOMP_FILTER_FLAG_TSYNC`).
pub(crate) fn install_filter_all_threads(prog: &[Insn]) -> Install {
    match set_mode_filter(prog, SECCOMP_FILTER_FLAG_TSYNC) {
        Ok(0) => Install::Done,
        // A failing TSYNC names the thread that could not be synchronised.
        Ok(tid) => Install::BlockedBy(libc::pid_t::try_from(tid).unwrap_or(-1)),
        Err(e) => Install::Failed(e),
    }
}

/// `getpid()` as a raw syscall (no libc caching, right in a `vfork` child). Signal-safe.
pub(crate) fn getpid() -> u32 {
    // SAFETY: no arguments.
    let pid = unsafe { libc::syscall(libc::SYS_getpid) };
    u32::try_from(pid).unwrap_or(0)
}

/// `write(2, bytes)`, all of it, retrying on short writes. Signal-safe.
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe `bytes`.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) if n > 0 => bytes = &bytes[n..],
            _ => return,
        }
    }
}

/// Calls the reporter still makes once it has decided to end the process.
const DYING_ALLOWED: [libc::c_long; 9] = [
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_rt_sigreturn,
    libc::SYS_restart_syscall,
    libc::SYS_getpid,
    libc::SYS_gettid,
    libc::SYS_tgkill,
    libc::SYS_kill,
    libc::SYS_rt_sigprocmask,
];

/// The filter the reporter installs on every thread before it prints: from then on any other
/// call, by any thread, traps, and the handler parks that thread for good (see
/// `report::on_sigsys`). So no thread can race the reporter (re-install a SIGABRT handler between
/// its reset and its signal) or act on after the violation while the reporter is slow or stuck
/// reading a path, and a second thread's violation does not end the process by SIGSYS before
/// the first one's line is out. Allowed: `write` to fd 2, `rt_sigaction` queries (NULL action),
/// and [`DYING_ALLOWED`].
const DYING: [Insn; 15 + DYING_ALLOWED.len()] = {
    use sandbox_policy::bpf::{data, op, ret};
    const fn nr(n: libc::c_long) -> u32 {
        n as u32
    }
    const N: u8 = DYING_ALLOWED.len() as u8;
    const KILL: u8 = 13 + N; // index of `ret TRAP`: the handler parks the caller
    const ALLOW: u8 = 14 + N; // index of `ret ALLOW`
    let jeq = op::JMP | op::JEQ | op::K;
    let mut p = [Insn::ret(ret::TRAP); 15 + DYING_ALLOWED.len()];
    p[0] = Insn::load(data::NR);
    // rt_sigaction: queries only (a NULL action, both halves).
    p[1] = Insn::jump(jeq, nr(libc::SYS_rt_sigaction), 0, 4);
    p[2] = Insn::load(data::arg_lo(1));
    p[3] = Insn::jump(jeq, 0, 0, KILL - 4);
    p[4] = Insn::load(data::arg_hi(1));
    p[5] = Insn::jump(jeq, 0, ALLOW - 6, KILL - 6);
    // write: to fd 2 only.
    p[6] = Insn::jump(jeq, nr(libc::SYS_write), 0, 2);
    p[7] = Insn::load(data::arg_lo(0));
    p[8] = Insn::jump(jeq, 2, ALLOW - 9, KILL - 9);
    // prctl: the thread-name calls of `read_user_string` only.
    p[9] = Insn::jump(jeq, nr(libc::SYS_prctl), 0, 3);
    p[10] = Insn::load(data::arg_lo(0));
    p[11] = Insn::jump(jeq, libc::PR_SET_NAME as u32, ALLOW - 12, 0);
    p[12] = Insn::jump(jeq, libc::PR_GET_NAME as u32, ALLOW - 13, KILL - 13);
    // The rest by number (the accumulator still holds it).
    let mut j = 0;
    while j < DYING_ALLOWED.len() {
        p[13 + j] = Insn::jump(jeq, nr(DYING_ALLOWED[j]), ALLOW - 14 - j as u8, 0);
        j += 1;
    }
    p[KILL as usize] = Insn::ret(ret::TRAP);
    p[ALLOW as usize] = Insn::ret(ret::ALLOW);
    p
};

/// Makes the process's end certain before the reporter prints anything: SIGABRT back to its
/// default action, then [`DYING`] on every thread. Returns whether both held; if not, the
/// reporter ends the process with `exit_group` instead of a signal. Signal-safe.
pub(crate) fn prepare_to_die() -> bool {
    // The kernel's `struct sigaction`: all zero is SIG_DFL, no flags, empty mask, whatever the
    // architecture's field order.
    let default_action = [0u64; 4];
    // SAFETY: a raw syscall with a pointer to a local that outlives it.
    let reset = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            libc::SIGABRT,
            default_action.as_ptr(),
            0usize,
            8usize,
        )
    };
    let installed = set_mode_filter(&DYING, SECCOMP_FILTER_FLAG_TSYNC).is_ok_and(|r| r == 0);
    // A thread may have re-installed a handler between the reset and the filter: check.
    let mut now = [0u64; 4];
    // SAFETY: a query (NULL action) writing into a local of the kernel's struct size.
    let queried = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            libc::SIGABRT,
            0usize,
            now.as_mut_ptr(),
            8usize,
        )
    };
    reset == 0 && installed && queried == 0 && now[0] == 0
}

/// Ends the process: by SIGABRT at the calling thread when [`prepare_to_die`] held, otherwise
/// by `exit_group(134)`, which nothing can intercept. Signal-safe.
///
/// Raw syscalls, not libc's wrappers: musl's `sigaction` blocks every signal around its work,
/// and in a `vfork` child musl's `gettid` answers the parent's thread id.
pub(crate) fn die(signal_ok: bool) -> ! {
    let abrt_mask: u64 = 1 << (libc::SIGABRT - 1);
    // SAFETY: raw syscalls with integer arguments and a pointer to a local that outlives them.
    unsafe {
        if signal_ok {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_UNBLOCK,
                &raw const abrt_mask,
                0usize,
                8usize,
            );
            let pid = libc::syscall(libc::SYS_getpid);
            // Thread-directed: this thread, which just unblocked it, takes it.
            libc::syscall(
                libc::SYS_tgkill,
                pid,
                libc::syscall(libc::SYS_gettid),
                libc::SIGABRT,
            );
            libc::syscall(libc::SYS_kill, pid, libc::SIGABRT);
        }
        libc::syscall(libc::SYS_exit_group, 128 + libc::SIGABRT);
    }
    unreachable!("exit_group returned")
}

/// The handler type for `SA_SIGINFO`.
pub(crate) type SigInfoHandler =
    extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for SIGSYS with every other signal blocked while it runs. See sigaction(2).
pub(crate) fn install_sigsys_handler(handler: SigInfoHandler) -> io::Result<()> {
    // SAFETY: `act` is fully initialised (zeroed, then the handler, flags and mask set); the
    // handler is an `extern "C"` fn with the SA_SIGINFO signature and lives for the whole program.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler as usize;
        act.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&raw mut act.sa_mask);
        if libc::sigaction(libc::SIGSYS, &raw const act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The SIGSYS fields of `siginfo_t` (the kernel's `_sigsys` union member).
#[repr(C)]
struct SigSys {
    signo: libc::c_int,
    errno: libc::c_int,
    code: libc::c_int,
    _pad: libc::c_int,
    call_addr: *mut libc::c_void,
    syscall: libc::c_int,
    _arch: libc::c_uint,
}

/// What the kernel told the handler about a trapped call.
pub(crate) struct Trapped {
    pub(crate) data: u32,
    pub(crate) code: i32,
    pub(crate) nr: u32,
    pub(crate) args: [u64; 6],
}

/// Reads the trapped syscall from the handler's arguments. Signal-safe.
///
/// # Safety
///
/// `info` and `ctx` must be the pointers the kernel passed to an `SA_SIGINFO` handler for SIGSYS.
pub(crate) unsafe fn trapped(info: *const libc::siginfo_t, ctx: *const libc::c_void) -> Trapped {
    // SAFETY: the caller guarantees `info` is the kernel's siginfo for SIGSYS, whose layout
    // `SigSys` mirrors (include/uapi/asm-generic/siginfo.h, 64-bit).
    let s = unsafe { &*info.cast::<SigSys>() };
    // SAFETY: the caller guarantees `ctx` is the kernel's ucontext for this signal.
    let args = unsafe { args_of(ctx.cast::<libc::ucontext_t>()) };
    Trapped {
        data: u32::try_from(s.errno).unwrap_or(0),
        code: s.code,
        nr: u32::try_from(s.syscall).unwrap_or(u32::MAX),
        args,
    }
}

#[cfg(target_arch = "x86_64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; gregs is an array of 23 registers.
    let g = unsafe { &(*uc).uc_mcontext.gregs };
    let r = |i: libc::c_int| g[usize::try_from(i).unwrap_or(0)] as u64;
    [
        r(libc::REG_RDI),
        r(libc::REG_RSI),
        r(libc::REG_RDX),
        r(libc::REG_R10),
        r(libc::REG_R8),
        r(libc::REG_R9),
    ]
}

#[cfg(target_arch = "aarch64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; regs holds x0..x30.
    let r = unsafe { &(*uc).uc_mcontext.regs };
    [r[0], r[1], r[2], r[3], r[4], r[5]]
}

#[cfg(target_arch = "riscv64")]
unsafe fn args_of(uc: *const libc::ucontext_t) -> [u64; 6] {
    // SAFETY: the caller passes the kernel's ucontext; __gregs holds pc, ra, sp, ..., a0 at 10.
    let r = unsafe { &(*uc).uc_mcontext.__gregs };
    [r[10], r[11], r[12], r[13], r[14], r[15]].map(|v| v as u64)
}

/// Copies the NUL-terminated string a trapped call passed at `addr` into `buf`; returns the bytes
/// copied. Signal-safe, and it never touches the program's memory itself: the kernel copies the
/// string in 15-byte pieces through the thread's name (`PR_SET_NAME`, then `PR_GET_NAME`),
/// restored afterwards. A bad pointer gives EFAULT (the copy stops) instead of a fault in the
/// handler, and a page registered with userfaultfd for user-mode faults fails instead of
/// blocking the reporter.
pub(crate) fn read_user_string(addr: u64, buf: &mut [u8]) -> usize {
    let mut saved = [0u8; 16];
    // SAFETY: PR_GET_NAME writes at most 16 bytes into a 16-byte local.
    if unsafe { libc::prctl(libc::PR_GET_NAME, saved.as_mut_ptr()) } != 0 {
        return 0;
    }
    let mut n = 0;
    while n < buf.len() {
        // SAFETY: PR_SET_NAME makes the kernel copy at most 15 bytes from `addr + n`, checking
        // the address; the process's memory is not touched from user space.
        let set = unsafe { libc::prctl(libc::PR_SET_NAME, addr.wrapping_add(n as u64)) };
        if set != 0 {
            break;
        }
        let mut piece = [0u8; 16];
        // SAFETY: as above, into a 16-byte local.
        unsafe { libc::prctl(libc::PR_GET_NAME, piece.as_mut_ptr()) };
        let len = piece.iter().position(|&b| b == 0).unwrap_or(15).min(15);
        let take = len.min(buf.len() - n);
        buf[n..n + take].copy_from_slice(&piece[..take]);
        n += take;
        if len < 15 {
            break;
        }
    }
    // SAFETY: restores the name saved above, from a local.
    unsafe { libc::prctl(libc::PR_SET_NAME, saved.as_ptr()) };
    n
}

/// An atomic `Option<&'static T>`: the phase in force, readable from the signal handler with one
/// load and no lock.
pub(crate) struct StaticCell<T: 'static>(std::sync::atomic::AtomicPtr<T>);

impl<T: 'static> StaticCell<T> {
    pub(crate) const fn new() -> Self {
        StaticCell(std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()))
    }

    /// Whether the cell holds exactly `value`. One acquire load.
    #[inline]
    pub(crate) fn holds(&self, value: &'static T) -> bool {
        std::ptr::eq(self.0.load(std::sync::atomic::Ordering::Acquire), value)
    }

    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.0.load(std::sync::atomic::Ordering::Acquire);
        // SAFETY: only `set` stores into the cell, and it stores `&'static T` references (or
        // null), so a non-null pointer is valid for 'static and never mutably aliased.
        unsafe { p.as_ref() }
    }

    /// Stores `value`, returning what was there.
    pub(crate) fn set(&self, value: Option<&'static T>) -> Option<&'static T> {
        let p = value.map_or(std::ptr::null_mut(), |v| std::ptr::from_ref(v).cast_mut());
        let old = self.0.swap(p, std::sync::atomic::Ordering::AcqRel);
        // SAFETY: as in `get`: every stored pointer came from a `&'static T`.
        unsafe { old.as_ref() }
    }
}

// ---- Landlock (landlock(7)) ---------------------------------------------------------------------

/// `struct landlock_ruleset_attr` (ABI 6 layout; older kernels accept it with zero tails).
#[repr(C)]
pub(crate) struct RulesetAttr {
    pub(crate) handled_access_fs: u64,
    pub(crate) handled_access_net: u64,
    pub(crate) scoped: u64,
}

/// `struct landlock_path_beneath_attr` (packed in the uapi header).
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
const LANDLOCK_RULE_PATH_BENEATH: u32 = 1;

/// The Landlock ABI version, or the error (ENOSYS: not built in; EOPNOTSUPP: disabled).
pub(crate) fn landlock_abi() -> io::Result<u32> {
    // SAFETY: a NULL attribute with size 0 and the VERSION flag only queries the ABI.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(u32::try_from(r).unwrap_or(0))
    }
}

/// `landlock_create_ruleset(attr)`.
pub(crate) fn landlock_create_ruleset(attr: &RulesetAttr) -> io::Result<OwnedFd> {
    // SAFETY: `attr` is a valid ruleset_attr of the size passed; the kernel copies it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::from_ref(attr),
            std::mem::size_of::<RulesetAttr>(),
            0u32,
        )
    };
    owned_fd(r)
}

/// `landlock_add_rule(ruleset, PATH_BENEATH, {access, parent})`.
pub(crate) fn landlock_add_path(
    ruleset: BorrowedFd<'_>,
    parent: BorrowedFd<'_>,
    access: u64,
) -> io::Result<()> {
    let attr = PathBeneath {
        allowed_access: access,
        parent_fd: parent.as_raw_fd(),
    };
    // The parent descriptor is borrowed for the call, so it stays open during it.
    add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr)
}

/// `landlock_add_rule(ruleset, kind, attr)`, `attr` being the kernel struct for `kind`.
fn add_rule<T>(ruleset: BorrowedFd<'_>, kind: u32, attr: &T) -> io::Result<()> {
    // SAFETY: `attr` points at a struct of the layout the kernel reads for `kind` (the callers'
    // `#[repr(C)]` copies of the uapi structs), alive across the call; the ruleset is open.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            kind,
            std::ptr::from_ref(attr),
            0u32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `struct landlock_net_port_attr`.
#[repr(C)]
struct NetPort {
    allowed_access: u64,
    port: u64,
}

const LANDLOCK_RULE_NET_PORT: u32 = 2;

/// `landlock_add_rule(ruleset, NET_PORT, {access, port})` (Landlock ABI 4).
pub(crate) fn landlock_add_port(ruleset: BorrowedFd<'_>, access: u64, port: u16) -> io::Result<()> {
    let attr = NetPort {
        allowed_access: access,
        port: u64::from(port),
    };
    add_rule(ruleset, LANDLOCK_RULE_NET_PORT, &attr)
}

/// `landlock_restrict_self(ruleset, flags)`. Signal-safe (the broadcast handler calls it).
pub(crate) fn landlock_restrict_self(ruleset: i32, flags: u32) -> io::Result<()> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `prctl(PR_SET_NO_NEW_PRIVS)` returning the raw result. Signal-safe.
pub(crate) fn set_no_new_privs_raw() -> bool {
    // SAFETY: integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 }
}

fn owned_fd(r: libc::c_long) -> io::Result<OwnedFd> {
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(r).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this descriptor to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `openat(dir, path, O_PATH | O_CLOEXEC | extra)`: a handle for Landlock rules and identity
/// checks. Landlock does not restrict O_PATH opens; the seccomp table grants them to `unveil`.
pub(crate) fn open_path(
    dir: Option<BorrowedFd<'_>>,
    path: &std::path::Path,
    extra: i32,
) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let dirfd = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    let r = unsafe { libc::openat(dirfd, c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC | extra) };
    owned_fd(libc::c_long::from(r))
}

/// Device, inode and whether it is a directory, by `fstat` on a handle.
pub(crate) fn identity(fd: BorrowedFd<'_>) -> io::Result<(u64, u64, bool)> {
    // SAFETY: `st` is written by the kernel before it is read.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid fd and a pointer to a local stat buffer.
    let r = unsafe { libc::fstat(fd.as_raw_fd(), &raw mut st) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((
        st.st_dev,
        st.st_ino,
        st.st_mode & libc::S_IFMT == libc::S_IFDIR,
    ))
}

/// Opens `/proc/self/task` for listing threads later (kept for the process's lifetime).
pub(crate) fn open_task_dir() -> io::Result<OwnedFd> {
    // SAFETY: a literal NUL-terminated path.
    let r = unsafe {
        libc::open(
            c"/proc/self/task".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned_fd(libc::c_long::from(r))
}

/// The thread ids in `/proc/self/task`, read through the kept descriptor.
pub(crate) fn list_threads(task_dir: BorrowedFd<'_>) -> io::Result<Vec<i32>> {
    // SAFETY: rewinding a directory descriptor we own.
    if unsafe { libc::lseek(task_dir.as_raw_fd(), 0, libc::SEEK_SET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut tids = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes of dirent64 records into `buf`.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                task_dir.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        if n == 0 {
            return Ok(tids);
        }
        let mut off = 0;
        while off + 19 <= n {
            // dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name[]
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            let name = &buf[off + 19..off + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if let Some(tid) = std::str::from_utf8(name).ok().and_then(|s| s.parse().ok()) {
                tids.push(tid);
            }
            if reclen == 0 {
                break;
            }
            off += reclen;
        }
    }
}

/// `tgkill(getpid(), tid, sig)`.
pub(crate) fn signal_thread(tid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, sig) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `gettid()`, as a raw syscall (musl caches it, wrongly in a `vfork` child). Signal-safe.
pub(crate) fn gettid() -> i32 {
    // SAFETY: no arguments.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    i32::try_from(tid).unwrap_or(-1)
}

/// Installs a plain handler for `sig` (restarting interrupted calls), unless the program already
/// handles that signal. Returns whether it was free.
pub(crate) fn claim_signal(sig: i32, handler: extern "C" fn(libc::c_int)) -> io::Result<bool> {
    // SAFETY: `old` is written by the kernel before it is read; `act` is fully initialised.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, std::ptr::null(), &raw mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        if old.sa_sigaction == handler as usize {
            return Ok(true);
        }
        if old.sa_sigaction != libc::SIG_DFL {
            return Ok(false);
        }
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler as usize;
        act.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&raw mut act.sa_mask);
        if libc::sigaction(sig, &raw const act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(true)
}

/// `nanosleep` for a short wait.
pub(crate) fn nap() {
    std::thread::sleep(std::time::Duration::from_micros(200));
}

/// Runs `hook` in the child between fork and exec (`CommandExt::pre_exec`).
///
/// The hook must only make async-signal-safe calls and must not allocate: the child of a
/// multi-threaded parent has one thread and possibly a locked allocator.
pub(crate) fn pre_exec(
    cmd: &mut std::process::Command,
    hook: impl FnMut() -> io::Result<()> + Send + Sync + 'static,
) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the only caller (`exec::CommandExt::pledge_exec`) passes a hook that patches a
    // pre-allocated program in place and makes two syscalls (prctl, seccomp): async-signal-safe,
    // no allocation, no lock.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Installs `prog` on the calling thread only (the child between fork and exec has one
/// thread). Signal-safe.
pub(crate) fn install_filter_this_thread(prog: &[Insn]) -> io::Result<()> {
    set_mode_filter(prog, 0).map(drop)
}

/// Sets the value a trapped syscall returns when the SIGSYS handler returns. Signal-safe.
///
/// # Safety
///
/// `ctx` must be the ucontext the kernel passed to the running SIGSYS handler.
pub(crate) unsafe fn set_return(ctx: *mut libc::c_void, value: i64) {
    let uc = ctx.cast::<libc::ucontext_t>();
    // SAFETY: the caller passes the kernel's ucontext, which is writable and is restored into
    // the registers when the handler returns.
    unsafe { set_return_register(uc, value) };
}

#[cfg(target_arch = "x86_64")]
unsafe fn set_return_register(uc: *mut libc::ucontext_t, value: i64) {
    // SAFETY: see `set_return`; RAX carries the syscall's return value.
    unsafe { (*uc).uc_mcontext.gregs[usize::try_from(libc::REG_RAX).unwrap_or(13)] = value };
}

#[cfg(target_arch = "aarch64")]
unsafe fn set_return_register(uc: *mut libc::ucontext_t, value: i64) {
    // SAFETY: see `set_return`; x0 carries the syscall's return value.
    unsafe { (*uc).uc_mcontext.regs[0] = value as u64 };
}

#[cfg(target_arch = "riscv64")]
unsafe fn set_return_register(uc: *mut libc::ucontext_t, value: i64) {
    // SAFETY: see `set_return`; a0 (register 10) carries the syscall's return value.
    unsafe { (*uc).uc_mcontext.__gregs[10] = value as libc::c_ulong };
}

/// The real, effective and saved user ids (getresuid(2)), and whether the calling thread has
/// any capability, effective or permitted (capget(2)). Failures count as privileged.
pub(crate) fn identity_now() -> ([u32; 3], bool) {
    let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
    // SAFETY: three pointers to locals the kernel writes.
    let ids = unsafe { libc::getresuid(&raw mut r, &raw mut e, &raw mut s) };
    if ids != 0 {
        return ([0; 3], true);
    }
    // struct __user_cap_header_struct { version, pid } and two __user_cap_data_struct
    // { effective, permitted, inheritable } (version 3: 64-bit sets).
    let mut header = [0x2008_0522u32, 0];
    let mut data = [0u32; 6];
    // SAFETY: a header and a two-element data array of the sizes version 3 uses.
    let caps = unsafe { libc::syscall(libc::SYS_capget, header.as_mut_ptr(), data.as_mut_ptr()) };
    let privileged = caps != 0 || data[0] | data[1] | data[3] | data[4] != 0;
    ([r, e, s], privileged)
}

/// Whether a file (a memfd) is sealed against writing (`F_SEAL_WRITE` or `F_SEAL_FUTURE_WRITE`)
/// and against shrinking (`F_SEAL_SHRINK`: truncating would zero its mapped pages) (fcntl(2)
/// `F_GET_SEALS`); false for files that cannot be sealed.
pub(crate) fn sealed_against_writes(file: &std::fs::File) -> bool {
    const F_SEAL_SHRINK: libc::c_int = 0x0002;
    const F_SEAL_WRITE: libc::c_int = 0x0008;
    const F_SEAL_FUTURE_WRITE: libc::c_int = 0x0010;
    // SAFETY: F_GET_SEALS takes no argument beyond the descriptor, which `file` keeps open.
    let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
    seals > 0 && seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 && seals & F_SEAL_SHRINK != 0
}

/// `personality(persona)`, returning the previous persona. See personality(2).
pub(crate) fn personality(persona: u64) -> u64 {
    // SAFETY: an integer argument only.
    let r = unsafe { libc::syscall(libc::SYS_personality, persona) };
    u64::try_from(r).unwrap_or(0)
}

/// The calling thread's `errno`. Signal-safe.
pub(crate) fn errno() -> i32 {
    // SAFETY: glibc and musl give each thread a valid errno location.
    unsafe { *libc::__errno_location() }
}

/// Sets the calling thread's `errno` (the SIGSYS handler restores the program's). Signal-safe.
pub(crate) fn set_errno(value: i32) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value };
}

/// A raw syscall result as the kernel gives it: the value, or `-errno`.
fn raw(r: libc::c_long) -> i64 {
    if r == -1 { -i64::from(errno()) } else { r }
}

/// `newfstatat(dirfd, path or "", AT_EMPTY_PATH | flags)` into a local. `path` is a pointer in
/// the program's memory (a trapped call's argument), which the kernel copies. Signal-safe.
pub(crate) fn stat_at(dirfd: i32, path: Option<u64>, flags: i32) -> io::Result<libc::stat> {
    // SAFETY: an all-zero stat is valid; the kernel fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let p = path.unwrap_or(c"".as_ptr() as u64);
    // SAFETY: `st` is a writable stat; `p` is either our NUL-terminated empty string or a
    // pointer the kernel checks itself (EFAULT).
    let r = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            dirfd,
            p,
            &raw mut st,
            libc::AT_EMPTY_PATH | flags,
        )
    };
    if r == 0 {
        Ok(st)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `newfstatat(fd, "", buf, AT_EMPTY_PATH)` into a buffer of the program's (a trapped call's
/// argument, checked by the kernel). Returns the raw result. Signal-safe.
pub(crate) fn fstatat_into(fd: i32, buf: u64) -> i64 {
    // SAFETY: the path is our empty string; `buf` is the program's, written by the kernel,
    // which checks it (EFAULT).
    raw(unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            fd,
            c"".as_ptr(),
            buf,
            libc::AT_EMPTY_PATH,
        )
    })
}

/// `statx(fd, "", AT_EMPTY_PATH | sync, mask, buf)` into a buffer of the program's. Returns the
/// raw result. Signal-safe.
pub(crate) fn statx_into(fd: i32, sync: i32, mask: u32, buf: u64) -> i64 {
    // SAFETY: as in `fstatat_into`.
    raw(unsafe {
        libc::syscall(
            libc::SYS_statx,
            fd,
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | sync,
            mask,
            buf,
        )
    })
}

/// A new descriptor for the open file description of `fd`, rewound to the start; the raw
/// result (the descriptor, or `-errno`). Signal-safe.
pub(crate) fn dup_rewound(fd: i32, cloexec: bool) -> i64 {
    let cmd = if cloexec {
        libc::F_DUPFD_CLOEXEC
    } else {
        libc::F_DUPFD
    };
    // SAFETY: fcntl and lseek with integer arguments on a descriptor the runtime keeps.
    let new = raw(unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, 0) });
    if new >= 0 {
        // SAFETY: as above.
        unsafe { libc::syscall(libc::SYS_lseek, new, 0, libc::SEEK_SET) };
    }
    new
}

/// `exit_group(status)`, at once: no exit handler, no flush. Signal-safe.
pub(crate) fn exit_now(status: i32) -> ! {
    // SAFETY: exit_group takes an integer and does not return.
    unsafe { libc::syscall(libc::SYS_exit_group, status) };
    unreachable!("exit_group returned")
}

/// Whether a descriptor is on procfs (`fstatfs`). Signal-safe.
pub(crate) fn is_procfs(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: an all-zero statfs is valid; the kernel fills it.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a writable statfs.
    let r = unsafe { libc::fstatfs(fd.as_raw_fd(), &raw mut st) };
    r == 0 && st.f_type == libc::PROC_SUPER_MAGIC
}

#[cfg(test)]
mod tests {
    use sandbox_policy::bpf::{self, SeccompData, ret};

    use super::DYING;

    fn verdict(nr: libc::c_long, args: [u64; 6]) -> u32 {
        bpf::validate(&DYING).unwrap();
        let d = SeccompData {
            nr: u32::try_from(nr).unwrap(),
            args,
            ..SeccompData::default()
        };
        bpf::run(&DYING, &d).action
    }

    #[test]
    fn the_dying_filter_leaves_only_the_reporter_its_calls() {
        let a = |v: &[u64]| {
            let mut x = [0u64; 6];
            x[..v.len()].copy_from_slice(v);
            x
        };
        assert_eq!(verdict(libc::SYS_write, a(&[2, 0x1000, 10])), ret::ALLOW);
        assert_eq!(verdict(libc::SYS_write, a(&[1, 0x1000, 10])), ret::TRAP);
        assert_eq!(
            verdict(libc::SYS_rt_sigaction, a(&[6, 0, 0x1000, 8])),
            ret::ALLOW
        );
        assert_eq!(
            verdict(libc::SYS_rt_sigaction, a(&[6, 0x1000, 0, 8])),
            ret::TRAP
        );
        assert_eq!(
            verdict(libc::SYS_rt_sigaction, a(&[6, 1 << 32, 0, 8])),
            ret::TRAP
        );
        let (set, get) = (libc::PR_SET_NAME as u64, libc::PR_GET_NAME as u64);
        assert_eq!(verdict(libc::SYS_prctl, a(&[set, 0x1000])), ret::ALLOW);
        assert_eq!(verdict(libc::SYS_prctl, a(&[get, 0x1000])), ret::ALLOW);
        assert_eq!(verdict(libc::SYS_prctl, a(&[39])), ret::TRAP);
        for nr in [
            libc::SYS_tgkill,
            libc::SYS_getpid,
            libc::SYS_gettid,
            libc::SYS_exit_group,
            libc::SYS_rt_sigprocmask,
        ] {
            assert_eq!(verdict(nr, a(&[])), ret::ALLOW, "{nr}");
        }
        for nr in [
            libc::SYS_read,
            libc::SYS_openat,
            libc::SYS_clone,
            libc::SYS_mmap,
            libc::SYS_sendto,
        ] {
            assert_eq!(verdict(nr, a(&[])), ret::TRAP, "{nr}");
        }
    }
}
