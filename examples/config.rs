//! Paths from a configuration file, unveiled with expressions, in phases that narrow.
//!
//! The configuration names a directory to read and a log to append to:
//!
//! ```text
//! # config.conf
//! root = /srv/data
//! log = /var/log/indexer.log
//! ```
//!
//! - `main` (`stdio rpath wpath cpath unveil`): reads the configuration and creates the log if
//!   it is missing (Landlock rules name existing files).
//! - `index`: unveils `cfg.root` read-only and `cfg.log` write-only, paths known only at run
//!   time, and appends one line per file under the root to the log.
//! - `summarize`: unveils the root alone. It still reads the root, but the log, and every other
//!   path, is now refused with EACCES. It keeps `wpath` on purpose, to show that unveil alone
//!   refuses the log; under `pledge("stdio rpath")` the same open would be a reported violation.
//!
//! ```text
//! cargo run --example config -- config.conf
//! ```

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::exit;

struct Config {
    root: PathBuf,
    log: PathBuf,
}

/// Parses `key = value` lines; blank lines and lines starting with `#` are ignored.
fn parse(text: &str) -> Result<Config, String> {
    let (mut root, mut log) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected `key = value`", n + 1));
        };
        let slot = match key.trim() {
            "root" => &mut root,
            "log" => &mut log,
            other => return Err(format!("line {}: unknown key {other:?}", n + 1)),
        };
        if slot.replace(PathBuf::from(value.trim())).is_some() {
            return Err(format!("line {}: {} given twice", n + 1, key.trim()));
        }
    }
    Ok(Config {
        root: root.ok_or("no `root = DIR` line")?,
        log: log.ok_or("no `log = FILE` line")?,
    })
}

#[sandbox::pledge("stdio rpath wpath cpath unveil")]
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: config CONFIG-FILE");
        exit(2);
    };
    let cfg = fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| parse(&text))
        .unwrap_or_else(|e| {
            eprintln!("config: {path}: {e}");
            exit(1);
        });
    if let Err(e) = OpenOptions::new().append(true).create(true).open(&cfg.log) {
        eprintln!("config: log {}: {e}", cfg.log.display());
        exit(1);
    }
    let files = index(&cfg).unwrap_or_else(|e| {
        eprintln!("config: indexing {}: {e}", cfg.root.display());
        exit(1);
    });
    summarize(&cfg, Path::new(&path), files);
}

/// Appends `indexed NAME: N bytes` to the log for each file directly under the root.
#[sandbox::pledge("stdio rpath wpath unveil")]
#[sandbox::unveil(cfg.root.as_path(), "r")]
#[sandbox::unveil(cfg.log.as_path(), "w")]
fn index(cfg: &Config) -> io::Result<usize> {
    let mut log = OpenOptions::new().append(true).open(&cfg.log)?;
    let mut names = Vec::new();
    for entry in fs::read_dir(&cfg.root)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name());
        }
    }
    names.sort();
    for name in &names {
        let bytes = fs::read(cfg.root.join(name))?.len();
        let line = format!("indexed {}: {bytes} bytes", name.to_string_lossy());
        writeln!(log, "{line}")?;
        println!("{line}");
    }
    Ok(names.len())
    // The log's descriptor closes here: a descriptor kept open would stay writable in the next
    // phase, since Landlock checks paths when they are opened.
}

/// The narrower phase: the root, read-only, and nothing else.
#[sandbox::pledge("stdio rpath wpath")]
#[sandbox::unveil(cfg.root.as_path(), "r")]
fn summarize(cfg: &Config, config_file: &Path, indexed: usize) {
    match fs::read_dir(&cfg.root) {
        Ok(dir) => println!(
            "root still readable: {} entries, {indexed} files indexed",
            dir.count()
        ),
        Err(e) => println!("root unreadable: {e}"),
    }
    match OpenOptions::new().append(true).open(&cfg.log) {
        Err(e) => println!("log refused: {e}"),
        Ok(mut log) => {
            let _ = writeln!(log, "written after the narrowing");
            println!("log still writable");
        }
    }
    match fs::read_to_string(config_file) {
        Err(e) => println!("config file refused: {e}"),
        Ok(_) => println!("config file still readable"),
    }
}
