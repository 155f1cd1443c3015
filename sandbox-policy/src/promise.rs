//! The promise vocabulary: OpenBSD's names, parsed from either spelling.

use std::fmt;

macro_rules! promises {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// One capability a program may keep, named as OpenBSD's pledge(2) names it.
        ///
        /// See the crate docs for what each promise allows on Linux.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Promise {
            $($(#[$doc])* $variant,)*
        }

        impl Promise {
            /// Every promise, in table order.
            pub const ALL: &'static [Promise] = &[$(Promise::$variant,)*];

            /// The promise's name as written in a pledge string.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Promise::$variant => $name,)*
                }
            }

            /// Looks a promise up by its exact name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Promise> {
                match name {
                    $($name => Some(Promise::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

promises! {
    /// Basic life of a process: memory, I/O on open descriptors, time, signals, threads.
    Stdio = "stdio",
    /// Read-only access to the filesystem: open for reading, stat, readlink, getdents.
    Rpath = "rpath",
    /// Write access to existing files: open for writing, truncate.
    Wpath = "wpath",
    /// Create and remove: O_CREAT, mkdir, rename, link, symlink, unlink, rmdir.
    Cpath = "cpath",
    /// Special files: mknod and mkfifo.
    Dpath = "dpath",
    /// Create, use and remove files under /tmp only.
    Tmppath = "tmppath",
    /// IPv4 and IPv6 sockets.
    Inet = "inet",
    /// Multicast socket options (with inet).
    Mcast = "mcast",
    /// Change file modes and times (never setuid, setgid or sticky bits).
    Fattr = "fattr",
    /// Change file owners.
    Chown = "chown",
    /// File locks.
    Flock = "flock",
    /// Unix-domain sockets.
    Unix = "unix",
    /// Name resolution: resolver sockets and files.
    Dns = "dns",
    /// The password and group databases.
    Getpw = "getpw",
    /// Send file descriptors over unix sockets.
    Sendfd = "sendfd",
    /// Receive file descriptors over unix sockets.
    Recvfd = "recvfd",
    /// Terminal control ioctls.
    Tty = "tty",
    /// Processes: fork, signals to other processes, sessions, priorities, limits.
    Proc = "proc",
    /// Run other programs.
    Exec = "exec",
    /// Map memory executable.
    ProtExec = "prot_exec",
    /// Set the system clock.
    Settime = "settime",
    /// Change user and group ids.
    Id = "id",
    /// Restrict the filesystem view further (Landlock).
    Unveil = "unveil",
    /// A denied call fails with an error instead of ending the process.
    Error = "error",
}

/// OpenBSD promises that have no meaning on Linux, with the reason given to the user.
pub const OPENBSD_ONLY: &[(&str, &str)] = &[
    ("pf", "it controls OpenBSD's pf packet filter"),
    ("audio", "it grants OpenBSD audio(4) device ioctls"),
    ("video", "it grants OpenBSD video(4) device ioctls"),
    (
        "bpf",
        "it grants OpenBSD bpf(4) device ioctls, not Linux's bpf(2)",
    ),
    ("tape", "it grants OpenBSD tape device ioctls"),
    ("disklabel", "it grants OpenBSD disklabel ioctls"),
    ("drm", "it grants OpenBSD drm(4) device ioctls"),
    ("vmm", "it grants OpenBSD vmm(4) ioctls"),
    ("route", "it grants OpenBSD routing-table sysctls"),
    ("wroute", "it grants OpenBSD routing-table changes"),
    (
        "ps",
        "it grants OpenBSD process-table sysctls; on Linux read /proc with rpath",
    ),
    (
        "vminfo",
        "it grants OpenBSD vm sysctls; on Linux read /proc with rpath",
    ),
];

impl fmt::Display for Promise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of promises, as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PromiseSet(u32);

impl PromiseSet {
    /// No promise at all: only exit (and the violation reporter's own needs).
    pub const EMPTY: PromiseSet = PromiseSet(0);

    /// Every promise.
    #[must_use]
    pub fn all() -> PromiseSet {
        Promise::ALL.iter().copied().collect()
    }

    /// The set holding one promise.
    #[must_use]
    pub const fn of(p: Promise) -> PromiseSet {
        PromiseSet(1 << p as u8)
    }

    /// The raw bits (bit `n` is the promise with discriminant `n`).
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Rebuilds a set from [`PromiseSet::bits`]; unknown bits are dropped.
    #[must_use]
    pub const fn from_bits(bits: u32) -> PromiseSet {
        let mut known = 0u32;
        let mut i = 0;
        while i < Promise::ALL.len() {
            known |= 1 << Promise::ALL[i] as u8;
            i += 1;
        }
        PromiseSet(bits & known)
    }

    /// Whether `p` is in the set.
    #[must_use]
    pub const fn contains(self, p: Promise) -> bool {
        self.0 & (1 << p as u8) != 0
    }

    /// Whether every promise of `other` is in `self`.
    #[must_use]
    pub const fn includes(self, other: PromiseSet) -> bool {
        other.0 & !self.0 == 0
    }

    /// The promises in either set.
    #[must_use]
    pub const fn union(self, other: PromiseSet) -> PromiseSet {
        PromiseSet(self.0 | other.0)
    }

    /// The promises of `self` that are not in `other`.
    #[must_use]
    pub const fn minus(self, other: PromiseSet) -> PromiseSet {
        PromiseSet(self.0 & !other.0)
    }

    /// Adds one promise.
    #[must_use]
    pub const fn with(self, p: Promise) -> PromiseSet {
        PromiseSet(self.0 | (1 << p as u8))
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many promises the set holds.
    #[must_use]
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The promises in table order.
    pub fn iter(self) -> impl Iterator<Item = Promise> {
        Promise::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    /// Parses a pledge string: promise names separated by white space.
    ///
    /// # Errors
    ///
    /// The first word that is not a Linux promise, or a repeated promise.
    ///
    /// # Examples
    ///
    /// ```
    /// use sandbox_policy::{Promise, PromiseSet};
    /// let set = PromiseSet::parse("stdio rpath")?;
    /// assert!(set.contains(Promise::Rpath) && !set.contains(Promise::Wpath));
    /// let typo = PromiseSet::parse("stdio rpth").unwrap_err();
    /// assert!(typo.to_string().contains("did you mean `rpath`?"));
    /// # Ok::<(), sandbox_policy::ParseError>(())
    /// ```
    pub fn parse(text: &str) -> Result<PromiseSet, ParseError> {
        let mut set = PromiseSet::EMPTY;
        for word in text.split_whitespace() {
            let p = parse_word(word)?;
            if set.contains(p) {
                return Err(ParseError::Duplicate(p));
            }
            set = set.with(p);
        }
        Ok(set)
    }

    /// Writes the set as a pledge string, `"stdio rpath"`.
    #[must_use]
    pub fn to_pledge_string(self) -> String {
        self.iter().map(Promise::name).collect::<Vec<_>>().join(" ")
    }
}

impl FromIterator<Promise> for PromiseSet {
    fn from_iter<I: IntoIterator<Item = Promise>>(iter: I) -> Self {
        iter.into_iter().fold(PromiseSet::EMPTY, PromiseSet::with)
    }
}

impl fmt::Debug for PromiseSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PromiseSet(\"{}\")", self.to_pledge_string())
    }
}

impl fmt::Display for PromiseSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_pledge_string())
    }
}

/// Why a promise word was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Not a promise name at all.
    Unknown {
        /// The word as written.
        word: String,
        /// The closest valid promise, when one is close enough to be a likely typo.
        suggestion: Option<Promise>,
    },
    /// An OpenBSD promise with no Linux meaning.
    OpenBsdOnly {
        /// The word as written.
        word: String,
        /// Why it has no meaning on Linux.
        reason: &'static str,
    },
    /// A promise named twice.
    Duplicate(Promise),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unknown { word, suggestion } => {
                write!(f, "unknown promise `{word}`")?;
                if let Some(hint) = separator_hint(word) {
                    return write!(f, ": {hint}");
                }
                if let Some(s) = suggestion {
                    write!(f, ", did you mean `{s}`?")?;
                }
                write!(f, " expected one of: {}", PromiseSet::all())
            }
            ParseError::OpenBsdOnly { word, reason } => write!(
                f,
                "promise `{word}` exists only on OpenBSD and has no meaning on Linux: {reason}"
            ),
            ParseError::Duplicate(p) => write!(f, "promise `{p}` is named twice"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses one promise word.
///
/// # Errors
///
/// A hint for a word that holds a separator other than a space (`"stdio, rpath"`).
#[must_use]
pub fn separator_hint(word: &str) -> Option<&'static str> {
    word.contains([',', ';', '|', '+'])
        .then_some("promises are separated by spaces: \"stdio rpath\", not \"stdio, rpath\"")
}

/// [`ParseError::Unknown`] with the closest match, or [`ParseError::OpenBsdOnly`].
pub fn parse_word(word: &str) -> Result<Promise, ParseError> {
    if let Some(p) = Promise::from_name(word) {
        return Ok(p);
    }
    if let Some((_, reason)) = OPENBSD_ONLY.iter().find(|(w, _)| *w == word) {
        return Err(ParseError::OpenBsdOnly {
            word: word.to_owned(),
            reason,
        });
    }
    Err(ParseError::Unknown {
        word: word.to_owned(),
        suggestion: closest(word),
    })
}

/// The promise whose name is nearest to `word` by edit distance, if within a typo's reach.
#[must_use]
pub fn closest(word: &str) -> Option<Promise> {
    let lower = word.to_ascii_lowercase();
    Promise::ALL
        .iter()
        .map(|p| (edit_distance(&lower, p.name()), *p))
        .filter(|(d, p)| *d <= 2.max(p.name().len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, p)| p)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Promise::ALL {
            assert_eq!(Promise::from_name(p.name()), Some(*p));
            assert_eq!(PromiseSet::parse(p.name()), Ok(PromiseSet::of(*p)));
        }
        let all = PromiseSet::all();
        assert_eq!(PromiseSet::parse(&all.to_pledge_string()), Ok(all));
        assert_eq!(all.len() as usize, Promise::ALL.len());
    }

    #[test]
    fn both_spellings_and_white_space() {
        let a = PromiseSet::parse("stdio rpath").unwrap();
        let b: PromiseSet = ["stdio", "rpath"]
            .iter()
            .map(|w| parse_word(w).unwrap())
            .collect();
        assert_eq!(a, b);
        assert_eq!(PromiseSet::parse("  stdio\trpath \n"), Ok(a));
        assert_eq!(PromiseSet::parse(""), Ok(PromiseSet::EMPTY));
    }

    #[test]
    fn typo_gets_a_suggestion_and_the_list() {
        let err = PromiseSet::parse("stdio rpth").unwrap_err();
        assert_eq!(
            err,
            ParseError::Unknown {
                word: "rpth".into(),
                suggestion: Some(Promise::Rpath)
            }
        );
        let text = err.to_string();
        assert!(text.contains("did you mean `rpath`?"), "{text}");
        assert!(text.contains("stdio rpath wpath"), "{text}");
        assert_eq!(closest("prot-exec"), Some(Promise::ProtExec));
        assert_eq!(closest("xyzzyplugh"), None);
    }

    #[test]
    fn openbsd_only_words_say_so() {
        for (w, _) in OPENBSD_ONLY {
            let err = parse_word(w).unwrap_err();
            assert!(matches!(err, ParseError::OpenBsdOnly { .. }), "{w}");
            assert!(err.to_string().contains("only on OpenBSD"));
        }
    }

    #[test]
    fn duplicates_are_refused() {
        assert_eq!(
            PromiseSet::parse("stdio stdio"),
            Err(ParseError::Duplicate(Promise::Stdio))
        );
    }

    #[test]
    fn set_algebra() {
        let s = PromiseSet::parse("stdio rpath").unwrap();
        assert!(s.includes(PromiseSet::of(Promise::Stdio)));
        assert!(!PromiseSet::of(Promise::Stdio).includes(s));
        assert_eq!(
            s.minus(PromiseSet::of(Promise::Stdio)),
            PromiseSet::of(Promise::Rpath)
        );
        assert_eq!(PromiseSet::from_bits(u32::MAX), PromiseSet::all());
    }
}
