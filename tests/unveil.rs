//! `#[unveil]` with Landlock, end to end, in child processes. Each denied case checks the errno
//! and that the effect did not happen (the secret was not read, the file was not created).
//!
//! Landlock answers EACCES where OpenBSD answers ENOENT for an uncovered path.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{Run, Scenario};

const SECRET: &str = "the-outside-secret";
const INSIDE: &str = "inside-content";

/// The scratch tree of a scenario: `base/dir/{file, sub/inner, link -> ../outside/secret}` and
/// `base/outside/secret`. Built by the child before its phase, removed by the parent.
fn base_for(name: &str, parent: u32) -> PathBuf {
    std::env::temp_dir().join(format!("sandbox-unveil-{name}-{parent}"))
}
fn base(name: &str) -> PathBuf {
    let b = base_for(name, std::os::unix::process::parent_id());
    let _ = fs::remove_dir_all(&b);
    fs::create_dir_all(b.join("dir/sub")).unwrap();
    fs::create_dir_all(b.join("outside")).unwrap();
    fs::write(b.join("dir/file"), INSIDE).unwrap();
    fs::write(b.join("dir/sub/inner"), INSIDE).unwrap();
    fs::write(b.join("outside/secret"), SECRET).unwrap();
    std::os::unix::fs::symlink("../outside/secret", b.join("dir/link")).unwrap();
    b
}
fn parent_base(name: &str) -> PathBuf {
    base_for(name, std::process::id())
}

fn errno<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => match e.raw_os_error() {
            Some(libc::EACCES) => "EACCES".into(),
            Some(libc::ENOENT) => "ENOENT".into(),
            Some(libc::EXDEV) => "EXDEV".into(),
            Some(libc::EPERM) => "EPERM".into(),
            Some(n) => format!("errno {n}"),
            None => e.to_string(),
        },
    }
}

fn say(what: &str, result: String) {
    println!("{what}: {result}");
    std::io::stdout().flush().unwrap();
}

fn read(p: &Path) -> std::io::Result<String> {
    fs::read_to_string(p)
}

// ---- phases ------------------------------------------------------------------------------

#[sandbox::pledge("stdio rpath wpath cpath unveil")]
#[sandbox::unveil(dir, "r")]
fn only_r(dir: &Path) {}

#[sandbox::unveil(dir, "rw")]
#[sandbox::pledge("stdio rpath wpath cpath")]
fn only_rw(dir: &Path) {}

#[sandbox::pledge("stdio rpath wpath cpath")]
#[sandbox::unveil(dir, "rwc")]
fn only_rwc(dir: &Path) {}

#[sandbox::pledge("stdio rpath wpath cpath")]
#[sandbox::unveil(file, "r")]
fn file_rule(file: &Path) {}

#[sandbox::pledge("stdio rpath wpath cpath")]
#[sandbox::unveil(dir, "rwc")]
#[sandbox::unveil(sub, "r")]
fn nested(dir: &Path, sub: &Path) {}

#[sandbox::pledge("stdio rpath wpath cpath")]
#[sandbox::unveil(dir, "rwc", best_effort)]
#[sandbox::unveil(sub, "r")]
fn nested_best_effort(dir: &Path, sub: &Path) {}

#[sandbox::pledge("stdio rpath proc exec prot_exec")]
#[sandbox::unveil("/usr", "rx")]
#[sandbox::unveil("/etc/ld.so.cache", "r")]
fn exec_allowed() {}

#[sandbox::pledge("stdio rpath proc exec prot_exec")]
#[sandbox::unveil("/usr", "r")]
#[sandbox::unveil("/etc/ld.so.cache", "r")]
fn exec_not_allowed() {}

#[sandbox::pledge("stdio rpath")]
#[sandbox::unveil(missing, "r")]
fn missing_path(missing: &Path) {}

#[sandbox::pledge("stdio rpath")]
#[sandbox::unveil(missing, "r", optional)]
#[sandbox::unveil(dir, "r")]
fn missing_optional(missing: &Path, dir: &Path) {}

#[sandbox::pledge("stdio rpath wpath cpath unveil")]
#[sandbox::unveil(dir, "rw")]
fn first_stage(dir: &Path) {}

#[sandbox::unveil(sub, "r")]
fn narrower_stage(sub: &Path) {}

#[sandbox::unveil(outside, "r")]
fn wider_stage(outside: &Path) {}

#[sandbox::unveil(dir, "rwc")]
fn wider_perms_stage(dir: &Path) {}

#[sandbox::pledge("stdio rpath")]
fn no_unveil_promise() {}

#[sandbox::pledge("stdio dns")]
fn dns_only() {}

#[sandbox::pledge("stdio getpw")]
fn getpw_only() {}

#[sandbox::pledge("stdio rpath wpath")]
fn write_without_prot_exec() {}

#[sandbox::pledge("stdio wpath tmppath")]
fn wpath_tmppath() {}

#[sandbox::pledge("stdio cpath getpw")]
fn cpath_getpw() {}

#[sandbox::pledge("stdio rpath wpath prot_exec")]
fn write_with_prot_exec() {}

#[sandbox::pledge("stdio rpath")]
#[sandbox::unveil(dir, "r")]
#[sandbox::unveil(outside, "")]
fn hide(dir: &Path, outside: &Path) {}

#[sandbox::pledge("stdio tmppath")]
fn tmppath_only() {}

#[sandbox::pledge("stdio rpath wpath cpath")]
#[sandbox::unveil("dir", "r")]
fn relative() {}

// ---- scenarios ---------------------------------------------------------------------------

fn r_perm() {
    let b = base("r");
    only_r(&b.join("dir"));
    say("read inside", errno(read(&b.join("dir/file"))));
    say(
        "read_dir inside",
        errno(fs::read_dir(b.join("dir")).map(|d| d.count())),
    );
    say("read outside", errno(read(&b.join("outside/secret"))));
    say(
        "write inside",
        errno(fs::OpenOptions::new().write(true).open(b.join("dir/file"))),
    );
    say("create inside", errno(fs::File::create(b.join("dir/new"))));
    say(
        "unlink inside",
        errno(fs::remove_file(b.join("dir/sub/inner"))),
    );
    say("symlink to outside", errno(read(&b.join("dir/link"))));
    println!("{}", read(&b.join("dir/file")).unwrap_or_default());
}

fn rw_perm() {
    let b = base("rw");
    only_rw(&b.join("dir"));
    say(
        "write inside",
        errno(fs::write(b.join("dir/file"), "rewritten")),
    );
    say(
        "truncate inside",
        errno(
            fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(b.join("dir/sub/inner")),
        ),
    );
    say("create inside", errno(fs::File::create(b.join("dir/new"))));
    say(
        "write outside",
        errno(fs::write(b.join("outside/secret"), "overwritten")),
    );
}

fn rwc_perm() {
    let b = base("rwc");
    only_rwc(&b.join("dir"));
    say("create inside", errno(fs::write(b.join("dir/new"), "x")));
    say("mkdir inside", errno(fs::create_dir(b.join("dir/newdir"))));
    say("unlink inside", errno(fs::remove_file(b.join("dir/new"))));
    say("rmdir inside", errno(fs::remove_dir(b.join("dir/newdir"))));
    say(
        "rename out",
        errno(fs::rename(b.join("dir/file"), b.join("outside/moved"))),
    );
    say(
        "link out",
        errno(fs::hard_link(b.join("dir/file"), b.join("outside/linked"))),
    );
    say(
        "unlink outside",
        errno(fs::remove_file(b.join("outside/secret"))),
    );
    say(
        "create outside",
        errno(fs::write(b.join("outside/new"), "x")),
    );
}

fn chdir_dotdot() {
    let b = base("chdir");
    only_r(&b.join("dir"));
    say(
        "chdir inside",
        errno(std::env::set_current_dir(b.join("dir"))),
    );
    say(
        "read ../outside",
        errno(read(Path::new("../outside/secret"))),
    );
    say("read ./file", errno(read(Path::new("file"))));
}

fn fds_from_before() {
    let b = base("fds");
    let outside_dir = fs::File::open(b.join("outside")).unwrap();
    let secret = fs::File::open(b.join("outside/secret")).unwrap();
    let listed_before = fs::read_dir(b.join("outside")).unwrap();
    only_r(&b.join("dir"));
    // A descriptor opened before the phase keeps working: Landlock checks at open time.
    say(
        "listing a directory opened before",
        format!("{} entries", listed_before.count()),
    );
    let mut s = String::new();
    say(
        "reading a file opened before",
        errno(std::io::Read::read_to_string(&mut &secret, &mut s)),
    );
    // ... but nothing new opens through it, nor through /proc/self/fd.
    use std::os::fd::AsRawFd;
    let via_dirfd = {
        let c = std::ffi::CString::new("secret").unwrap();
        // SAFETY: openat with a valid directory fd and a NUL-terminated name.
        let fd = unsafe {
            libc::openat(
                outside_dir.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd >= 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    say("openat(dir fd from before)", errno(via_dirfd));
    say(
        "reopen via /proc/self/fd",
        errno(read(Path::new(&format!(
            "/proc/self/fd/{}",
            secret.as_raw_fd()
        )))),
    );
}

fn access_is_not_restricted() {
    let b = base("access");
    only_r(&b.join("dir"));
    // Landlock does not restrict access(2) or stat(2): a hidden path's existence and mode stay
    // visible (documented), while opening it fails.
    for (name, mode) in [
        ("F_OK", libc::F_OK),
        ("R_OK", libc::R_OK),
        ("W_OK", libc::W_OK),
        ("X_OK", libc::X_OK),
    ] {
        let c = std::ffi::CString::new(
            b.join("outside/secret")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: access with a NUL-terminated path.
        let r = unsafe { libc::access(c.as_ptr(), mode) };
        say(
            &format!("access {name} outside"),
            if r == 0 {
                "ok".into()
            } else {
                errno::<()>(Err(std::io::Error::last_os_error()))
            },
        );
    }
    say(
        "stat outside",
        errno(fs::metadata(b.join("outside/secret"))),
    );
    say("open outside", errno(read(&b.join("outside/secret"))));
}

fn exec_with_x() {
    exec_allowed();
    say(
        "exec /usr/bin/true",
        exit_of(std::process::Command::new("/usr/bin/true").status()),
    );
}

fn exit_of(s: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match s {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exit {c}"),
            (_, sig) => format!("signal {sig:?}"),
        },
        Err(e) => errno::<()>(Err(e)),
    }
}

fn exec_without_x() {
    exec_not_allowed();
    say(
        "exec /usr/bin/true",
        exit_of(std::process::Command::new("/usr/bin/true").status()),
    );
}

fn file_level_rule() {
    let b = base("file");
    file_rule(&b.join("dir/file"));
    say("read the file", errno(read(&b.join("dir/file"))));
    say("read a sibling", errno(read(&b.join("dir/sub/inner"))));
    say("list the directory", errno(fs::read_dir(b.join("dir"))));
    say("write the file", errno(fs::write(b.join("dir/file"), "x")));
}

fn most_specific_inside_wider() {
    let b = base("nested");
    nested(&b.join("dir"), &b.join("dir/sub"));
    println!("not reached");
}

fn most_specific_best_effort() {
    let b = base("nested-be");
    nested_best_effort(&b.join("dir"), &b.join("dir/sub"));
    say(
        "write inside the narrower rule",
        errno(fs::write(b.join("dir/sub/inner"), "x")),
    );
    say("read outside", errno(read(&b.join("outside/secret"))));
}

fn thread_before_and_after() {
    let b = base("threads");
    let secret = b.join("outside/secret");
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let s2 = secret.clone();
    let before = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        say("thread started before", errno(read(&s2)));
    });
    only_r(&b.join("dir"));
    go_tx.send(()).unwrap();
    before.join().unwrap();
    let after = std::thread::spawn(move || say("thread started after", errno(read(&secret))));
    after.join().unwrap();
}

fn no_landlock_fails_closed() {
    let b = base("nolandlock");
    sandbox::__private::simulate_abi(0);
    only_r(&b.join("dir"));
    println!("not reached");
}

fn no_landlock_best_effort() {
    let b = base("nolandlock-be");
    sandbox::__private::simulate_abi(0);
    nested_best_effort(&b.join("dir"), &b.join("dir/sub"));
    say("read outside", errno(read(&b.join("outside/secret"))));
}

/// Before Landlock ABI 3, truncation by path is refused everywhere (Landlock cannot restrict it);
/// truncating through a descriptor opened for writing, which Landlock checks, still works inside.
fn old_abi_truncates_by_descriptor_only() {
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    let b = base("abi2");
    let c = |p: &Path| CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let truncate = |p: &Path| {
        // SAFETY: a valid path.
        let r = unsafe { libc::truncate(c(p).as_ptr(), 1) };
        errno(if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        })
    };
    let open = |p: &Path, flags: i32| {
        // SAFETY: a valid path.
        let fd = unsafe { libc::open(c(p).as_ptr(), flags | libc::O_CLOEXEC) };
        if fd >= 0 {
            // SAFETY: closes the descriptor just opened.
            unsafe { libc::close(fd) };
        }
        errno(if fd >= 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        })
    };
    let spare = b.join("spare");
    fs::write(&spare, INSIDE).unwrap();
    say("control: truncate by path", truncate(&spare));
    sandbox::__private::simulate_abi(2);
    sandbox::Restrict::new()
        .unveil(&b.join("dir"), "rw")
        .unwrap()
        .pledge("stdio rpath wpath")
        .apply()
        .unwrap();
    say("truncate inside by path", truncate(&b.join("dir/file")));
    say(
        "truncate outside by path",
        truncate(&b.join("outside/secret")),
    );
    say(
        "O_RDONLY|O_TRUNC inside",
        open(&b.join("dir/file"), libc::O_RDONLY | libc::O_TRUNC),
    );
    say(
        "O_WRONLY|O_TRUNC outside",
        open(&b.join("outside/secret"), libc::O_WRONLY | libc::O_TRUNC),
    );
    let f = fs::OpenOptions::new()
        .write(true)
        .open(b.join("dir/file"))
        .unwrap();
    // SAFETY: ftruncate on a descriptor this code owns.
    let r = unsafe { libc::ftruncate(f.as_raw_fd(), 2) };
    say(
        "ftruncate inside",
        errno(if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }),
    );
    say(
        "O_WRONLY|O_TRUNC inside",
        open(&b.join("dir/sub/inner"), libc::O_WRONLY | libc::O_TRUNC),
    );
}

fn old_abi_restricts_what_it_can() {
    let b = base("abi1");
    sandbox::__private::simulate_abi(1);
    let r = sandbox::Restrict::new()
        .unveil(&b.join("dir"), "r")
        .unwrap()
        .pledge("stdio rpath")
        .apply()
        .unwrap();
    let ll = r.landlock.unwrap();
    say("abi", format!("{} handled {:#x}", ll.abi, ll.handled_fs));
    say("read outside", errno(read(&b.join("outside/secret"))));
}

fn missing_path_is_an_error() {
    let b = base("missing");
    missing_path(&b.join("nope"));
    println!("not reached");
}

fn missing_path_optional() {
    let b = base("missing-opt");
    missing_optional(&b.join("nope"), &b.join("dir"));
    say("read inside", errno(read(&b.join("dir/file"))));
}

fn narrowing_then_widening() {
    let b = base("stages");
    first_stage(&b.join("dir"));
    narrower_stage(&b.join("dir/sub"));
    say(
        "read in the narrower stage",
        errno(read(&b.join("dir/sub/inner"))),
    );
    say(
        "read a sibling dropped by it",
        errno(read(&b.join("dir/file"))),
    );
    wider_stage(&b.join("outside"));
    println!("not reached");
}

fn widening_permissions() {
    let b = base("stages-perms");
    first_stage(&b.join("dir"));
    wider_perms_stage(&b.join("dir"));
    println!("not reached");
}

/// A phase without the `unveil` promise, then unveils that narrow: allowed (Landlock only
/// narrows); then one that would widen: refused.
fn narrowing_without_the_unveil_promise() {
    let b = base("nopromise");
    no_unveil_promise();
    say(
        "control: read the secret",
        errno(read(&b.join("outside/secret"))),
    );
    narrower_stage(&b.join("dir/sub"));
    say("read inside", errno(read(&b.join("dir/sub/inner"))));
    say("read a sibling dropped", errno(read(&b.join("dir/file"))));
    say("read the secret", errno(read(&b.join("outside/secret"))));
    wider_stage(&b.join("outside"));
    println!("not reached");
}

fn dns_is_path_precise() {
    dns_only();
    let addrs = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80)).map(|a| a.count());
    say("resolve localhost", errno(addrs));
    say("read /etc/passwd", errno(read(Path::new("/etc/passwd"))));
}

fn getpw_is_path_precise() {
    getpw_only();
    // SAFETY: getpwnam with a NUL-terminated name; the result is read before any other call.
    let uid = unsafe {
        let pw = libc::getpwnam(c"root".as_ptr());
        if pw.is_null() {
            -1
        } else {
            i64::from((*pw).pw_uid)
        }
    };
    say("getpwnam(root)", format!("uid {uid}"));
    say(
        "read /etc/hostname",
        errno(read(Path::new("/etc/hostname"))),
    );
}

fn open_mem() -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")
}

fn proc_mem_without_prot_exec() {
    let b = base("procmem");
    write_without_prot_exec();
    say("open /proc/self/mem rw", errno(open_mem()));
    let w = fs::OpenOptions::new()
        .write(true)
        .open(b.join("dir/file"))
        .and_then(|mut f| f.write_all(b"rewritten"));
    say("write a file", errno(w));
    say(
        "read /proc/self/status",
        errno(read(Path::new("/proc/self/status")).map(|_| ())),
    );
}

fn proc_mem_with_prot_exec() {
    write_with_prot_exec();
    say("open /proc/self/mem rw", errno(open_mem()));
}

fn unveil_over_proc_without_prot_exec() {
    let r = sandbox::Restrict::new()
        .unveil("/", "rw")
        .unwrap()
        .pledge("stdio rpath wpath")
        .apply();
    say(
        "phase",
        r.err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "applied".into()),
    );
    say("open /proc/self/mem rw", errno(open_mem()));
}

/// A fresh directory under /tmp, made before the phase. New files go in it rather than in /tmp
/// itself: where the test binary lives under /tmp and the process may write it (CI as root, in
/// a checkout under /tmp), the write guard keeps new entries directly in the directories on the
/// way to it unwritable (README, "The write guard"), and /tmp is one of them.
fn tmp_subdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sandbox-{name}-dir-{}",
        std::os::unix::process::parent_id()
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir(&d).unwrap();
    d
}

fn precise_promises_with_general_ones() {
    let b = base("combo");
    let tmp_new = tmp_subdir("combo").join("new");
    let outside_new = PathBuf::from(format!(
        "/var/tmp/sandbox-combo-{}",
        std::os::unix::process::parent_id()
    ));
    let _ = fs::write(&outside_new, "x");
    wpath_tmppath();
    say(
        "wpath tmppath: read outside /tmp",
        errno(read(Path::new("/etc/hostname"))),
    );
    let w = fs::OpenOptions::new()
        .write(true)
        .open(&outside_new)
        .and_then(|mut f| f.write_all(b"y"));
    say(
        "wpath tmppath: write an existing file outside /tmp",
        errno(w),
    );
    say(
        "wpath tmppath: create in /tmp",
        errno(fs::write(&tmp_new, "x")),
    );
    say(
        "wpath tmppath: unlink in /tmp",
        errno(fs::remove_file(&tmp_new)),
    );
    say(
        "wpath tmppath: unlink outside /tmp",
        errno(fs::remove_file(&outside_new)),
    );
    say(
        "wpath tmppath: create outside /tmp",
        errno(fs::write(format!("{}-new", outside_new.display()), "x")),
    );
    let _ = b;
}

fn precise_getpw_with_cpath() {
    let b = base("combo2");
    cpath_getpw();
    say(
        "cpath getpw: read /etc/passwd",
        errno(read(Path::new("/etc/passwd")).map(|_| ())),
    );
    say(
        "cpath getpw: read /etc/hostname",
        errno(read(Path::new("/etc/hostname"))),
    );
    say(
        "cpath getpw: mkdir",
        errno(fs::create_dir(b.join("dir/made"))),
    );
}

fn create_on_a_file() {
    let b = base("cfile");
    let r = sandbox::Restrict::new()
        .unveil(&b.join("dir/file"), "wc")
        .unwrap()
        .pledge("stdio rpath wpath cpath")
        .apply();
    say(
        "phase",
        r.err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "applied".into()),
    );
}

fn hide_with_empty() {
    let b = base("hide");
    hide(&b.join("dir"), &b.join("outside"));
    say("read inside", errno(read(&b.join("dir/file"))));
    say("read hidden", errno(read(&b.join("outside/secret"))));
    say("list hidden", errno(fs::read_dir(b.join("outside"))));
}

fn openat_inside() {
    use std::os::fd::AsRawFd;
    let b = base("openat");
    only_r(&b.join("dir"));
    let dir = fs::File::open(b.join("dir")).unwrap();
    let at = |name: &str| {
        let c = std::ffi::CString::new(name).unwrap();
        // SAFETY: openat with a valid directory fd and a NUL-terminated name.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd >= 0 {
            // SAFETY: closing the descriptor just opened.
            unsafe { libc::close(fd) };
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    say("openat file", errno(at("file")));
    say("openat sub/inner", errno(at("sub/inner")));
    say("openat ../outside/secret", errno(at("../outside/secret")));
}

fn scopes_follow_the_promises() {
    let b = base("scopes");
    // Best-effort: with `unix` held, connecting to pathname sockets cannot be restricted before
    // Landlock ABI 9 (reported); the scopes are what this scenario looks at.
    let status = sandbox::Restrict::new()
        .unveil(&b.join("dir"), "r")
        .unwrap()
        .pledge("stdio rpath unix")
        .best_effort()
        .apply()
        .unwrap();
    let ll = status.landlock.unwrap();
    say("not enforced", ll.not_enforced.join("; "));
    say(
        "scoped",
        format!(
            "abi {} scoped {:#x} net {:#x}",
            ll.abi, ll.scoped, ll.handled_net
        ),
    );
}

fn tmppath_is_path_precise() {
    let p = tmp_subdir("tmppath").join("new");
    let outside = PathBuf::from(format!(
        "/var/tmp/sandbox-tmppath-{}",
        std::os::unix::process::parent_id()
    ));
    tmppath_only();
    say("create in /tmp", errno(fs::write(&p, "x")));
    say("unlink in /tmp", errno(fs::remove_file(&p)));
    say("create in /var/tmp", errno(fs::write(&outside, "x")));
}

fn relative_paths() {
    let b = base("relative");
    std::env::set_current_dir(&b).unwrap();
    relative();
    say("read inside", errno(read(Path::new("dir/file"))));
    say("read outside", errno(read(Path::new("outside/secret"))));
}

fn layers_run_out() {
    let b = base("layers");
    let dir = b.join("dir");
    // A pledge without `unix` first: unveil alone, with unix sockets free, fails closed. Being
    // the first phase that opens files, it takes one layer (other processes out of reach), so
    // the 16th unveil is the one that finds no room.
    sandbox::pledge("stdio rpath unveil").unwrap();
    for i in 1..=20 {
        let r = sandbox::Restrict::new().unveil(&dir, "r").unwrap().apply();
        match r {
            Ok(_) => {}
            Err(e) => {
                say(&format!("phase {i}"), e.to_string());
                break;
            }
        }
    }
    say("read inside after", errno(read(&b.join("dir/file"))));
    say("read outside after", errno(read(&b.join("outside/secret"))));
}

fn main() {
    let tree_kept = |name: &str| {
        let b = parent_base(name);
        assert_eq!(
            fs::read_to_string(b.join("outside/secret")).unwrap(),
            SECRET,
            "outside was changed"
        );
        let _ = fs::remove_dir_all(&b);
    };
    let _ = tree_kept;
    common::main(&[
        Scenario {
            name: "r_perm",
            child: r_perm,
            check: |r| {
                r.exited(0)
                    .stdout_has("read inside: ok")
                    .stdout_has("read_dir inside: ok")
                    .stdout_has("read outside: EACCES")
                    .stdout_has("write inside: EACCES")
                    .stdout_has("create inside: EACCES")
                    .stdout_has("unlink inside: EACCES")
                    .stdout_has("symlink to outside: EACCES")
                    .stdout_has(INSIDE)
                    .stdout_lacks(SECRET);
                let b = parent_base("r");
                assert!(!b.join("dir/new").exists() && b.join("dir/sub/inner").exists());
                cleanup("r");
            },
        },
        Scenario {
            name: "rw_perm",
            child: rw_perm,
            check: |r| {
                r.exited(0)
                    .stdout_has("write inside: ok")
                    .stdout_has("truncate inside: ok")
                    .stdout_has("create inside: EACCES")
                    .stdout_has("write outside: EACCES");
                let b = parent_base("rw");
                assert_eq!(
                    fs::read_to_string(b.join("outside/secret")).unwrap(),
                    SECRET
                );
                assert!(!b.join("dir/new").exists());
                cleanup("rw");
            },
        },
        Scenario {
            name: "rwc_perm",
            child: rwc_perm,
            check: |r| {
                r.exited(0)
                    .stdout_has("create inside: ok")
                    .stdout_has("mkdir inside: ok")
                    .stdout_has("unlink inside: ok")
                    .stdout_has("rmdir inside: ok")
                    .stdout_has("rename out: EACCES")
                    .stdout_has("link out: EACCES")
                    .stdout_has("unlink outside: EACCES")
                    .stdout_has("create outside: EACCES");
                let b = parent_base("rwc");
                assert!(
                    b.join("dir/file").exists()
                        && !b.join("outside/moved").exists()
                        && !b.join("outside/linked").exists()
                );
                assert!(b.join("outside/secret").exists() && !b.join("outside/new").exists());
                cleanup("rwc");
            },
        },
        Scenario {
            name: "chdir_dotdot",
            child: chdir_dotdot,
            check: |r| {
                r.exited(0)
                    .stdout_has("chdir inside: ok")
                    .stdout_has("read ../outside: EACCES")
                    .stdout_has("read ./file: ok")
                    .stdout_lacks(SECRET);
                cleanup("chdir");
            },
        },
        Scenario {
            name: "fds_from_before",
            child: fds_from_before,
            check: |r| {
                r.exited(0)
                    .stdout_has("listing a directory opened before: 1 entries")
                    .stdout_has("reading a file opened before: ok")
                    .stdout_has("openat(dir fd from before): EACCES")
                    .stdout_has("reopen via /proc/self/fd: EACCES");
                cleanup("fds");
            },
        },
        Scenario {
            name: "access_is_not_restricted",
            child: access_is_not_restricted,
            check: |r| {
                r.exited(0)
                    .stdout_has("access F_OK outside: ok")
                    .stdout_has("access R_OK outside: ok")
                    .stdout_has("access W_OK outside: ok")
                    .stdout_has("access X_OK outside: EACCES")
                    .stdout_has("stat outside: ok")
                    .stdout_has("open outside: EACCES");
                cleanup("access");
            },
        },
        Scenario {
            name: "exec_with_x",
            child: exec_with_x,
            check: |r| {
                r.exited(0).stdout_has("exec /usr/bin/true: exit 0");
            },
        },
        Scenario {
            name: "exec_without_x",
            child: exec_without_x,
            check: |r| {
                r.exited(0).stdout_has("exec /usr/bin/true: EACCES");
            },
        },
        Scenario {
            name: "file_level_rule",
            child: file_level_rule,
            check: |r| {
                r.exited(0)
                    .stdout_has("read the file: ok")
                    .stdout_has("read a sibling: EACCES")
                    .stdout_has("list the directory: EACCES")
                    .stdout_has("write the file: EACCES");
                assert_eq!(
                    fs::read_to_string(parent_base("file").join("dir/file")).unwrap(),
                    INSIDE
                );
                cleanup("file");
            },
        },
        Scenario {
            name: "most_specific_inside_wider",
            child: most_specific_inside_wider,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_lacks("not reached")
                    .stderr_has("cannot be enforced")
                    .stderr_has("Landlock cannot take rights away beneath a rule");
                cleanup("nested");
            },
        },
        Scenario {
            name: "most_specific_best_effort",
            child: most_specific_best_effort,
            check: |r| {
                r.exited(0)
                    .stdout_has("write inside the narrower rule: ok")
                    .stdout_has("read outside: EACCES");
                assert_eq!(
                    r.stderr
                        .matches("sandbox: unveil runs best-effort; not enforced:")
                        .count(),
                    1,
                    "{}",
                    r.dump()
                );
                cleanup("nested-be");
            },
        },
        Scenario {
            name: "thread_before_and_after",
            child: thread_before_and_after,
            check: |r| {
                r.exited(0)
                    .stdout_has("thread started before: EACCES")
                    .stdout_has("thread started after: EACCES")
                    .stdout_lacks(SECRET);
                cleanup("threads");
            },
        },
        Scenario {
            name: "no_landlock_fails_closed",
            child: no_landlock_fails_closed,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_lacks("not reached")
                    .stderr_has("has no Landlock");
                cleanup("nolandlock");
            },
        },
        Scenario {
            name: "no_landlock_best_effort",
            child: no_landlock_best_effort,
            check: |r| {
                r.exited(0)
                    .stdout_has("read outside: ok")
                    .stderr_has("not enforced: Landlock is not available");
                assert_eq!(
                    r.stderr.matches("sandbox: unveil runs best-effort").count(),
                    1,
                    "{}",
                    r.dump()
                );
                cleanup("nolandlock-be");
            },
        },
        Scenario {
            name: "old_abi_truncates_by_descriptor_only",
            child: old_abi_truncates_by_descriptor_only,
            check: |r| {
                r.exited(0)
                    .stdout_has("control: truncate by path: ok")
                    .stdout_has("truncate inside by path: EACCES")
                    .stdout_has("truncate outside by path: EACCES")
                    .stdout_has("O_RDONLY|O_TRUNC inside: EACCES")
                    .stdout_has("O_WRONLY|O_TRUNC outside: EACCES")
                    .stdout_has("ftruncate inside: ok")
                    .stdout_has("O_WRONLY|O_TRUNC inside: ok");
                // cleanup checks that the outside file is unchanged.
                cleanup("abi2");
            },
        },
        Scenario {
            name: "old_abi_restricts_what_it_can",
            child: old_abi_restricts_what_it_can,
            check: |r| {
                r.exited(0)
                    .stdout_has("abi: 1 handled 0x1fff")
                    .stdout_has("read outside: EACCES");
                cleanup("abi1");
            },
        },
        Scenario {
            name: "missing_path_is_an_error",
            child: missing_path_is_an_error,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_lacks("not reached")
                    .stderr_has("/nope\" does not exist");
                cleanup("missing");
            },
        },
        Scenario {
            name: "missing_path_optional",
            child: missing_path_optional,
            check: |r| {
                r.exited(0).stdout_has("read inside: ok");
                cleanup("missing-opt");
            },
        },
        Scenario {
            name: "narrowing_then_widening",
            child: narrowing_then_widening,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_has("read in the narrower stage: ok")
                    .stdout_has("read a sibling dropped by it: EACCES")
                    .stdout_lacks("not reached")
                    .stderr_has("is wider than what phase `unveil::narrower_stage");
                cleanup("stages");
            },
        },
        Scenario {
            name: "widening_permissions",
            child: widening_permissions,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_lacks("not reached")
                    .stderr_has("\"rwc\" is wider than what phase `unveil::first_stage");
                cleanup("stages-perms");
            },
        },
        Scenario {
            name: "narrowing_without_the_unveil_promise",
            child: narrowing_without_the_unveil_promise,
            check: |r| {
                r.exited(sandbox::EXIT_CANNOT_ENTER)
                    .stdout_has("control: read the secret: ok")
                    .stdout_has("read inside: ok")
                    .stdout_has("read a sibling dropped: EACCES")
                    .stdout_has("read the secret: EACCES")
                    .stdout_lacks("not reached")
                    .stderr_has("is wider than what phase `unveil::narrower_stage");
                cleanup("nopromise");
            },
        },
        Scenario {
            name: "dns_is_path_precise",
            child: dns_is_path_precise,
            check: |r| {
                r.exited(0)
                    .stdout_has("resolve localhost: ok")
                    .stdout_has("read /etc/passwd: EACCES")
                    .stdout_lacks("root:");
            },
        },
        Scenario {
            name: "getpw_is_path_precise",
            child: getpw_is_path_precise,
            check: |r| {
                r.exited(0)
                    .stdout_has("getpwnam(root): uid 0")
                    .stdout_has("read /etc/hostname: EACCES");
            },
        },
        Scenario {
            name: "hide_with_empty",
            child: hide_with_empty,
            check: |r| {
                r.exited(0)
                    .stdout_has("read inside: ok")
                    .stdout_has("read hidden: EACCES")
                    .stdout_has("list hidden: EACCES")
                    .stdout_lacks(SECRET);
                cleanup("hide");
            },
        },
        Scenario {
            name: "openat_inside",
            child: openat_inside,
            check: |r| {
                r.exited(0)
                    .stdout_has("openat file: ok")
                    .stdout_has("openat sub/inner: ok")
                    .stdout_has("openat ../outside/secret: EACCES");
                cleanup("openat");
            },
        },
        Scenario {
            name: "scopes_follow_the_promises",
            child: scopes_follow_the_promises,
            check: |r| {
                // Signals scoped (no proc), abstract unix sockets not (unix is held), TCP bind and
                // connect handled (no inet), as far as the kernel's ABI has them.
                r.exited(0);
                let line = r
                    .stdout
                    .lines()
                    .find(|l| l.starts_with("scoped: abi "))
                    .unwrap_or_default();
                let abi: u32 = line
                    .split_whitespace()
                    .nth(2)
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(0);
                let scoped = if abi >= 6 { "0x2" } else { "0x0" };
                let net = if abi >= 4 { "0x3" } else { "0x0" };
                r.stdout_has("not enforced: connecting to pathname unix sockets");
                assert_eq!(
                    line,
                    format!("scoped: abi {abi} scoped {scoped} net {net}"),
                    "{}",
                    r.dump()
                );
                cleanup("scopes");
            },
        },
        Scenario {
            name: "proc_mem_without_prot_exec",
            child: proc_mem_without_prot_exec,
            check: |r| {
                r.exited(0)
                    .stdout_has("open /proc/self/mem rw: EACCES")
                    .stdout_has("write a file: ok")
                    .stdout_has("read /proc/self/status: ok");
                cleanup("procmem");
            },
        },
        Scenario {
            name: "proc_mem_with_prot_exec",
            child: proc_mem_with_prot_exec,
            check: |r| {
                r.exited(0).stdout_has("open /proc/self/mem rw: ok");
            },
        },
        Scenario {
            name: "unveil_over_proc_without_prot_exec",
            child: unveil_over_proc_without_prot_exec,
            check: |r| {
                r.exited(0)
                    .stdout_has("/ is unveiled writable, which includes /proc, a way to change code without prot_exec")
                    .stdout_has("open /proc/self/mem rw: ok");
            },
        },
        Scenario {
            name: "create_on_a_file",
            child: create_on_a_file,
            check: |r| {
                r.exited(0)
                    .stdout_has("\"c\" on it cannot be enforced (unveil its directory with \"c\")");
                cleanup("cfile");
            },
        },
        Scenario {
            name: "precise_promises_with_general_ones",
            child: precise_promises_with_general_ones,
            check: |r| {
                r.exited(0)
                    .stdout_has("wpath tmppath: read outside /tmp: EACCES")
                    .stdout_has("wpath tmppath: write an existing file outside /tmp: ok")
                    .stdout_has("wpath tmppath: create in /tmp: ok")
                    .stdout_has("wpath tmppath: unlink in /tmp: ok")
                    .stdout_has("wpath tmppath: unlink outside /tmp: EACCES")
                    .stdout_has("wpath tmppath: create outside /tmp: EACCES");
                let outside =
                    PathBuf::from(format!("/var/tmp/sandbox-combo-{}", std::process::id()));
                assert!(outside.exists(), "the file outside /tmp was unlinked");
                assert!(!PathBuf::from(format!("{}-new", outside.display())).exists());
                let _ = fs::remove_file(outside);
                cleanup("combo");
            },
        },
        Scenario {
            name: "precise_getpw_with_cpath",
            child: precise_getpw_with_cpath,
            check: |r| {
                r.exited(0)
                    .stdout_has("cpath getpw: read /etc/passwd: ok")
                    .stdout_has("cpath getpw: read /etc/hostname: EACCES")
                    .stdout_has("cpath getpw: mkdir: ok");
                cleanup("combo2");
            },
        },
        Scenario {
            name: "tmppath_is_path_precise",
            child: tmppath_is_path_precise,
            check: |r| {
                r.exited(0)
                    .stdout_has("create in /tmp: ok")
                    .stdout_has("unlink in /tmp: ok")
                    .stdout_has("create in /var/tmp: EACCES");
                assert!(
                    !Path::new(&format!("/var/tmp/sandbox-tmppath-{}", std::process::id()))
                        .exists()
                );
            },
        },
        Scenario {
            name: "relative_paths",
            child: relative_paths,
            check: |r| {
                r.exited(0)
                    .stdout_has("read inside: ok")
                    .stdout_has("read outside: EACCES");
                cleanup("relative");
            },
        },
        Scenario {
            name: "layers_run_out",
            child: layers_run_out,
            check: |r| {
                r.exited(0)
                    .stdout_has("phase 16: unveil: too many phases with unveil")
                    .stdout_has("read inside after: ok")
                    .stdout_has("read outside after: EACCES");
                cleanup("layers");
            },
        },
    ]);
}

fn cleanup(name: &str) {
    let b = parent_base(name);
    if let Ok(s) = fs::read_to_string(b.join("outside/secret")) {
        assert_eq!(s, SECRET, "the outside file was changed");
    }
    let _ = fs::set_permissions(&b, fs::Permissions::from_mode(0o755));
    let _ = fs::remove_dir_all(&b);
}

#[allow(dead_code)]
fn _unused(_: &Run) {}
